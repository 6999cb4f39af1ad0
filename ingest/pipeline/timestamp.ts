import { StrataError } from '../../lib/errors.ts';

/**
 * Timestamps as logs write them, to epoch milliseconds.
 *
 * Formats: `auto` (the default) tries epoch numbers, ISO 8601 / RFC 3339, Apache/nginx `dd/MMM/yyyy:HH:mm:ss Z`,
 * syslog `MMM d HH:mm:ss`, RFC 2822 and asctime (`Sun Dec 04 04:47:44 2005`), in that order. Named formats:
 * `iso8601`, `rfc3339`, `syslog`, `apache`, `rfc2822`, `asctime`, `epoch_s` (fractions allowed), `epoch_ms`,
 * `epoch_us`, `epoch_ns`. Anything else is a pattern of Java-style letters (see compilePattern).
 *
 * Text without a zone is read in `opts.timezone`; text without a year is given the year that puts it in the twelve
 * months up to one day after `opts.nowMs`, as a syslog reader must. Parts out of range (month 13, 31 April, hour 25)
 * give NaN rather than a rolled-over date; a leap second (:60) is read as the next second, the nearest instant
 * epoch milliseconds can represent. Fractions beyond milliseconds are truncated.
 *
 * A bad value gives NaN; a bad format or time zone throws StrataError('invalid_config'): the first is the data's
 * fault and is reported per record, the second is the pipeline's and is reported once.
 */
export function parseTime(value: string | number, format = 'auto', opts?: { timezone?: string; nowMs?: number }): number {
  // One context for every call (parsing never re-enters), so a record costs no allocation here.
  const ctx = CONTEXT;
  ctx.zone = opts?.timezone === undefined ? UTC : resolveZone(opts.timezone);
  ctx.nowMs = opts?.nowMs ?? NaN;
  if (typeof value === 'number') return parseNumber(value, format, ctx);
  switch (format) {
    case 'auto':
      return parseAuto(value, ctx);
    case 'iso8601':
      return parseIso(value, ctx);
    case 'rfc3339':
      return parseRfc3339(value, ctx);
    case 'syslog':
      return parseSyslog(value, ctx);
    case 'apache':
      return parseApache(value, ctx);
    case 'rfc2822':
      return parseRfc2822(value, ctx);
    case 'asctime':
      return parseAsctime(value, ctx);
    case 'epoch_s':
      return parseEpochText(value, 0);
    case 'epoch_ms':
      return parseEpochText(value, 3);
    case 'epoch_us':
      return parseEpochText(value, 6);
    case 'epoch_ns':
      return parseEpochText(value, 9);
    default:
      return parsePattern(value, compilePattern(format), ctx);
  }
}

interface Context {
  zone: Zone;
  /** NaN: the clock, read only when a year must be inferred. */
  nowMs: number;
}

const CONTEXT: Context = { zone: { toUtc: (local) => local }, nowMs: NaN };
const MAX_DATE_MS = 8.64e15;
const DAY_MS = 86_400_000;

function checked(t: number): number {
  return Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS ? t : NaN;
}

// ---------------------------------------------------------------------------------------------------------------
// Epoch numbers

const EPOCH_UNITS: Record<string, number> = { epoch_s: 0, epoch_ms: 3, epoch_us: 6, epoch_ns: 9 };

function parseNumber(value: number, format: string, ctx: Context): number {
  if (!Number.isFinite(value)) return NaN;
  if (format === 'auto') return checked(toMs(value, guessDigits(value)));
  const digits = EPOCH_UNITS[format];
  if (digits !== undefined) return checked(toMs(value, digits));
  // A number in a text format (`yyyyMMdd` read from a JSON number) is its digits.
  switch (format) {
    case 'iso8601':
    case 'rfc3339':
    case 'syslog':
    case 'apache':
    case 'rfc2822':
    case 'asctime':
      return NaN;
    default:
      return parsePattern(String(value), compilePattern(format), ctx);
  }
}

/**
 * A number in units of 10^-digits s, as whole ms. Floats carry no exact decimals: 1.001 s times 1000 is
 * 1000.9999999999999, so a product within a microsecond of a whole millisecond is taken as that millisecond.
 */
function toMs(value: number, digits: number): number {
  const ms = digits <= 3 ? value * 10 ** (3 - digits) : value / 10 ** (digits - 3);
  const whole = Math.round(ms);
  return Math.abs(ms - whole) < 1e-3 ? whole : Math.floor(ms);
}

/**
 * The unit of an epoch number from its magnitude (as digits after the second): seconds reach 1e11 only in the
 * year 5138, milliseconds 1e14 likewise, and so on. Values from before 1973 in ms read as seconds: the price of
 * guessing, which a named format avoids.
 */
function guessDigits(v: number): number {
  const a = Math.abs(v);
  if (a < 1e11) return 0;
  if (a < 1e14) return 3;
  if (a < 1e17) return 6;
  return 9;
}

const EPOCH_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Digits read exactly, without a trip through a float: nanoseconds since 1970 have 19 digits, beyond 2^53, and
 * `1.001` seconds must be 1001 ms, which `1.001 * 1000` is not.
 */
function parseEpochText(text: string, unitDigits: number): number {
  const m = EPOCH_TEXT.exec(text);
  if (m === null) return NaN;
  // Only seconds take a fraction; a fraction of a millisecond is not a thing a log writes.
  if (m[3] !== undefined && unitDigits !== 0) return NaN;
  const all = m[2] + (m[3] ?? '');
  // Move the point to milliseconds: the digits after the point in ms units.
  const pointAt = m[2].length + 3 - unitDigits;
  const whole = pointAt <= 0 ? '0' : all.slice(0, pointAt).padEnd(pointAt, '0');
  const rest = pointAt <= 0 ? all : all.slice(pointAt);
  let ms = Number(whole);
  const hasRest = /[1-9]/.test(rest);
  if (m[1] === '-') ms = hasRest ? -ms - 1 : -ms;
  return checked(ms);
}

// ---------------------------------------------------------------------------------------------------------------
// Named formats

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL_MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november',
  'december',
];
const MONTH_ABBR = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const DAY_ABBR = '(?:mon|tue|wed|thu|fri|sat|sun)';
const DAY_FULL = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';

function monthOf(name: string): number {
  const lower = name.toLowerCase();
  const i = MONTHS.indexOf(lower.slice(0, 3));
  return i < 0 || (lower.length > 3 && FULL_MONTHS[i] !== lower) ? NaN : i + 1;
}

const ISO_EXTENDED =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)? ?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(\d{2})?)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function parseIso(text: string, ctx: Context): number {
  const m = ISO_EXTENDED.exec(text) ?? ISO_BASIC.exec(text);
  return m === null ? NaN : fromIsoMatch(m, ctx);
}

function parseRfc3339(text: string, ctx: Context): number {
  const m = RFC3339.exec(text);
  return m === null ? NaN : fromIsoMatch(m, ctx);
}

/** Groups: year, month, day, hour, minute, second, fraction, Z, sign, offset hours, offset minutes. */
function fromIsoMatch(m: RegExpExecArray, ctx: Context): number {
  const offset = m[8] !== undefined ? 0 : m[9] !== undefined ? offsetOf(m[9], m[10], m[11] ?? '00') : undefined;
  return toEpoch(
    Number(m[1]), Number(m[2]), Number(m[3]),
    m[4] === undefined ? 0 : Number(m[4]), m[5] === undefined ? 0 : Number(m[5]), m[6] === undefined ? 0 : Number(m[6]),
    fractionMs(m[7]), offset, ctx.zone,
  );
}

const APACHE = new RegExp(`^(\\d{1,2})/(${MONTH_ABBR})/(\\d{4}):(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))? ([+-])(\\d{2}):?(\\d{2})$`, 'i');

function parseApache(text: string, ctx: Context): number {
  const m = APACHE.exec(text);
  if (m === null) return NaN;
  return toEpoch(Number(m[3]), monthOf(m[2]), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), fractionMs(m[7]),
    offsetOf(m[8], m[9], m[10]), ctx.zone);
}

const SYSLOG = new RegExp(`^(${MONTH_ABBR})\\s+(\\d{1,2})(?:\\s+(\\d{4}))?\\s+(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?$`, 'i');

function parseSyslog(text: string, ctx: Context): number {
  const m = SYSLOG.exec(text);
  if (m === null) return NaN;
  const month = monthOf(m[1]);
  const day = Number(m[2]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  const ms = fractionMs(m[7]);
  if (m[3] !== undefined) return toEpoch(Number(m[3]), month, day, h, mi, s, ms, undefined, ctx.zone);
  return withInferredYear(month, day, h, mi, s, ms, undefined, ctx);
}

/** RFC 2822 §3.3 and its obsolete zones (§4.3); military zones other than Z are not used in logs. */
const RFC2822 = new RegExp(
  `^(?:${DAY_ABBR},?\\s+)?(\\d{1,2})\\s+(${MONTH_ABBR})\\s+(\\d{2}|\\d{4})\\s+(\\d{2}):(\\d{2})(?::(\\d{2}))?` +
    `\\s+(?:([+-])(\\d{2})(\\d{2})|(UT|GMT|UTC|Z|EST|EDT|CST|CDT|MST|MDT|PST|PDT))$`,
  'i',
);
const NAMED_ZONES: Record<string, number> = {
  UT: 0, GMT: 0, UTC: 0, Z: 0, EST: -5, EDT: -4, CST: -6, CDT: -5, MST: -7, MDT: -6, PST: -8, PDT: -7,
};

function parseRfc2822(text: string, ctx: Context): number {
  const m = RFC2822.exec(text);
  if (m === null) return NaN;
  let year = Number(m[3]);
  // RFC 2822 §4.3: a two-digit year below 50 is 20xx, else 19xx.
  if (m[3].length === 2) year += year < 50 ? 2000 : 1900;
  const offset = m[7] !== undefined ? offsetOf(m[7], m[8], m[9]) : NAMED_ZONES[m[10].toUpperCase()] * 3_600_000;
  return toEpoch(year, monthOf(m[2]), Number(m[1]), Number(m[4]), Number(m[5]), m[6] === undefined ? 0 : Number(m[6]), 0,
    offset, ctx.zone);
}

const ASCTIME = new RegExp(
  `^${DAY_ABBR}\\s+(${MONTH_ABBR})\\s+(\\d{1,2})\\s+(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?\\s+(\\d{4})$`,
  'i',
);

function parseAsctime(text: string, ctx: Context): number {
  const m = ASCTIME.exec(text);
  if (m === null) return NaN;
  return toEpoch(Number(m[7]), monthOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), fractionMs(m[6]),
    undefined, ctx.zone);
}

const NUMERIC = /^-?\d+(?:\.\d+)?$/;

function parseAuto(text: string, ctx: Context): number {
  if (NUMERIC.test(text)) {
    const digits = guessDigits(Number(text));
    return parseEpochText(text.includes('.') && digits !== 0 ? String(Math.floor(Number(text))) : text, digits);
  }
  const c = text.charCodeAt(0);
  // A digit, or the sign of an ISO 8601 expanded year (+010000-01-01).
  if ((c >= 48 && c <= 57) || c === 43 || c === 45) {
    const t = parseIso(text, ctx);
    if (!Number.isNaN(t)) return t;
    const a = parseApache(text, ctx);
    if (!Number.isNaN(a)) return a;
    return parseRfc2822(text, ctx);
  }
  const s = parseSyslog(text, ctx);
  if (!Number.isNaN(s)) return s;
  const r = parseRfc2822(text, ctx);
  if (!Number.isNaN(r)) return r;
  return parseAsctime(text, ctx);
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns

type Setter = 'year' | 'year2' | 'month' | 'monthName' | 'day' | 'hour' | 'minute' | 'second' | 'fraction' | 'offset';

interface CompiledPattern {
  regex: RegExp;
  /** What each capture group sets, in group order (an offset takes three groups). */
  setters: Setter[];
  /** Fraction digits per fraction group, in order. */
  fractionDigits: number[];
  hasYear: boolean;
}

const PATTERN_CACHE = new Map<string, CompiledPattern>();
const PATTERN_CACHE_MAX = 1024;

/**
 * Compiles a Java-style pattern once (a pipeline parses one format per record). Letters: `yyyy` `yy` `y`; `MM` `M`
 * `MMM` (Jan) `MMMM` (January); `dd` `d`; `HH` `H`; `mm` `m`; `ss` `s`; a run of n `S`: the second's fraction in
 * units of 10^-n s, up to n digits, so `SSS` reads both `.123` and an unpadded `:96` as milliseconds (as Java's
 * SimpleDateFormat writes them); `Z` (±HHmm), `X` (±HH), `XX` (±HHmm), `XXX` (±HH:MM), all also taking `Z`;
 * `EEE`/`EEEE` (day name, checked for form and then ignored). Text in single quotes is literal (`''` is a quote);
 * a space matches one or more white-space characters. A variable-width field followed directly by a number takes
 * its full width. Two-digit years are 1969–2068 (POSIX strptime's window).
 */
function compilePattern(format: string): CompiledPattern {
  const cached = PATTERN_CACHE.get(format);
  if (cached !== undefined) return cached;
  const tokens = tokenize(format);
  let source = '^';
  const setters: Setter[] = [];
  const fractionDigits: number[] = [];
  let hasYear = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'literal') {
      source += t.text === ' ' ? '\\s+' : escapeRegex(t.text);
      continue;
    }
    const fixed = i + 1 < tokens.length && isNumeric(tokens[i + 1]);
    const n = t.text.length;
    const numeric = (setter: Setter, min: number, max: number): void => {
      source += fixed || min === max ? `(\\d{${max}})` : `(\\d{${min},${max}})`;
      setters.push(setter);
    };
    switch (t.text[0]) {
      case 'y':
        hasYear = true;
        if (n === 2) numeric('year2', 2, 2);
        else if (n === 1) numeric('year', 1, 4);
        else numeric('year', 4, 4);
        break;
      case 'M':
        if (n <= 2) numeric('month', n, 2);
        else {
          source += n === 3 ? `(${MONTH_ABBR})` : `(${FULL_MONTHS.join('|')})`;
          setters.push('monthName');
        }
        break;
      case 'd':
        if (n > 2) throw badPattern(format, `"${t.text}" (day of month is d or dd)`);
        numeric('day', n, 2);
        break;
      case 'H':
        if (n > 2) throw badPattern(format, `"${t.text}" (hour is H or HH)`);
        numeric('hour', n, 2);
        break;
      case 'm':
        if (n > 2) throw badPattern(format, `"${t.text}" (minute is m or mm)`);
        numeric('minute', n, 2);
        break;
      case 's':
        if (n > 2) throw badPattern(format, `"${t.text}" (second is s or ss)`);
        numeric('second', n, 2);
        break;
      case 'S':
        numeric('fraction', 1, n);
        fractionDigits.push(n);
        break;
      case 'Z':
        if (n !== 1) throw badPattern(format, `"${t.text}" (use Z for ±HHmm)`);
        source += '(?:([Zz])|([+-])(\\d{2})(\\d{2}))';
        setters.push('offset');
        break;
      case 'X':
        if (n > 3) throw badPattern(format, `"${t.text}" (use X, XX or XXX)`);
        source += n === 1 ? '(?:([Zz])|([+-])(\\d{2})())' : n === 2 ? '(?:([Zz])|([+-])(\\d{2})(\\d{2}))' : '(?:([Zz])|([+-])(\\d{2}):(\\d{2}))';
        setters.push('offset');
        break;
      case 'E':
        source += n <= 3 ? DAY_ABBR : DAY_FULL;
        break;
      default:
        throw badPattern(format, `"${t.text[0]}" (letters are y M d H m s S Z X E; quote literal text as in 'T')`);
    }
  }
  const compiled = { regex: new RegExp(source + '$', 'i'), setters, fractionDigits, hasYear };
  if (PATTERN_CACHE.size >= PATTERN_CACHE_MAX) PATTERN_CACHE.clear();
  PATTERN_CACHE.set(format, compiled);
  return compiled;
}

interface Token {
  kind: 'field' | 'literal';
  text: string;
}

function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'") {
      // '' is a quote character, inside or outside quoted text.
      if (format[i + 1] === "'") {
        tokens.push({ kind: 'literal', text: "'" });
        i += 2;
        continue;
      }
      let text = '';
      let j = i + 1;
      for (;;) {
        const end = format.indexOf("'", j);
        if (end < 0) throw badPattern(format, 'an unclosed quote');
        text += format.slice(j, end);
        if (format[end + 1] !== "'") {
          j = end + 1;
          break;
        }
        text += "'";
        j = end + 2;
      }
      tokens.push({ kind: 'literal', text });
      i = j;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (format[j] === c) j++;
      tokens.push({ kind: 'field', text: format.slice(i, j) });
      i = j;
      continue;
    }
    if (c === ' ') {
      let j = i;
      while (format[j] === ' ') j++;
      tokens.push({ kind: 'literal', text: ' ' });
      i = j;
      continue;
    }
    tokens.push({ kind: 'literal', text: c });
    i++;
  }
  return tokens;
}

function isNumeric(t: Token): boolean {
  return t.kind === 'field' && 'yMdHmsS'.includes(t.text[0]) && !(t.text[0] === 'M' && t.text.length > 2);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function badPattern(format: string, what: string): StrataError {
  return new StrataError('invalid_config', `time format "${format}" has an unsupported part: ${what}`, { format });
}

function parsePattern(text: string, p: CompiledPattern, ctx: Context): number {
  const m = p.regex.exec(text);
  if (m === null) return NaN;
  let year = NaN;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let offset: number | undefined;
  let g = 1;
  let f = 0;
  for (const setter of p.setters) {
    const v = m[g++];
    switch (setter) {
      case 'year':
        year = Number(v);
        break;
      case 'year2': {
        const y = Number(v);
        year = y < 69 ? 2000 + y : 1900 + y;
        break;
      }
      case 'month':
        month = Number(v);
        break;
      case 'monthName':
        month = monthOf(v);
        break;
      case 'day':
        day = Number(v);
        break;
      case 'hour':
        hour = Number(v);
        break;
      case 'minute':
        minute = Number(v);
        break;
      case 'second':
        second = Number(v);
        break;
      case 'fraction':
        ms = unitsToMs(v, p.fractionDigits[f++]);
        break;
      case 'offset': {
        // Groups: Z, sign, hours, minutes (empty for X).
        const mm = m[g + 2];
        offset = v !== undefined ? 0 : offsetOf(m[g], m[g + 1], mm === '' || mm === undefined ? '00' : mm);
        g += 3;
        break;
      }
    }
  }
  if (!p.hasYear) return withInferredYear(month, day, hour, minute, second, ms, offset, ctx);
  return toEpoch(year, month, day, hour, minute, second, ms, offset, ctx.zone);
}

/** `digits` in units of 10^-n s, as whole milliseconds (truncated). */
function unitsToMs(digits: string, n: number): number {
  if (n <= 3) return Number(digits) * 10 ** (3 - n);
  return Number(digits.padStart(n, '0').slice(0, 3));
}

/** A fraction of a second as written after the point: `5` is 500 ms, `123456` is 123 ms. */
function fractionMs(digits: string | undefined): number {
  if (digits === undefined) return 0;
  return Number(digits.slice(0, 3).padEnd(3, '0'));
}

function offsetOf(sign: string, hh: string, mm: string): number {
  const h = Number(hh);
  const m = Number(mm);
  if (h > 23 || m > 59) return NaN;
  return (sign === '-' ? -1 : 1) * (h * 60 + m) * 60_000;
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, by the civil-from-days arithmetic of 400-year eras (146,097
 * days each), so years 0–99 are not taken for 1900–1999 as Date.UTC takes them.
 */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Wall-clock parts to epoch ms: with the text's own offset if it had one, else in `zone`. */
function toEpoch(
  y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: number | undefined, zone: Zone,
): number {
  if (!Number.isInteger(y) || !(mo >= 1 && mo <= 12) || !(d >= 1 && d <= daysInMonth(y, mo))) return NaN;
  if (!(h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60)) return NaN;
  const local = daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  if (offset !== undefined) return Number.isNaN(offset) ? NaN : checked(local - offset);
  return checked(zone.toUtc(local));
}

/** The year that puts the time in the twelve months up to one day after now (a clock a little ahead is no future). */
function withInferredYear(
  mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: number | undefined, ctx: Context,
): number {
  const limit = (Number.isNaN(ctx.nowMs) ? Date.now() : ctx.nowMs) + DAY_MS;
  const year = new Date(limit).getUTCFullYear();
  // 29 February needs a leap year: look back up to eight years for one.
  for (let y = year + 1; y >= year - 8; y--) {
    const t = toEpoch(y, mo, d, h, mi, s, ms, offset, ctx.zone);
    if (t <= limit) return t;
  }
  return NaN;
}

// ---------------------------------------------------------------------------------------------------------------
// Time zones

interface Zone {
  /** Epoch ms of a wall-clock time given as if it were UTC. */
  toUtc(localMs: number): number;
}

const UTC: Zone = { toUtc: (local) => local };

const ZONES = new Map<string, Zone>();
const FIXED_OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

function resolveZone(name: string): Zone {
  let zone = ZONES.get(name);
  if (zone !== undefined) return zone;
  const fixed = FIXED_OFFSET.exec(name);
  if (name === 'UTC' || name === 'Z' || name === 'GMT') zone = UTC;
  else if (fixed !== null) {
    const offset = offsetOf(fixed[1], fixed[2], fixed[3]);
    if (Number.isNaN(offset)) throw badZone(name);
    zone = { toUtc: (local) => local - offset };
  } else zone = new IanaZone(name);
  if (ZONES.size >= 256) ZONES.clear();
  ZONES.set(name, zone);
  return zone;
}

function badZone(name: string): StrataError {
  return new StrataError('invalid_config', `unknown time zone "${name}": use UTC, an offset like +02:00, or an IANA name like Europe/Paris`, {
    timezone: name,
  });
}

const HOUR_MS = 3_600_000;

/**
 * An IANA zone through Intl, which knows the tz database. Intl is slow (microseconds a call), so offsets are cached
 * per UTC hour; an hour holding a transition is marked and computed exactly each time.
 */
class IanaZone implements Zone {
  readonly #format: Intl.DateTimeFormat;
  readonly #hourly = new Map<number, number>();

  constructor(name: string) {
    try {
      this.#format = new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric',
        minute: 'numeric', second: 'numeric', era: 'short',
      });
    } catch {
      throw badZone(name);
    }
  }

  /**
   * Around a transition a wall-clock time is ambiguous (clocks fall back: the earlier instant is taken) or does
   * not exist (clocks spring forward: it is moved later by the gap, as java.time does). The offsets a day before
   * and after bound the candidates, since no zone changes its offset twice within two days.
   */
  toUtc(local: number): number {
    if (!Number.isFinite(local)) return NaN;
    const before = this.offsetAt(local - DAY_MS);
    const after = this.offsetAt(local + DAY_MS);
    const a = local - before;
    if (before === after) return a;
    const b = local - after;
    const aValid = this.offsetAt(a) === before;
    const bValid = this.offsetAt(b) === after;
    if (aValid && bValid) return Math.min(a, b);
    if (bValid) return b;
    return a;
  }

  offsetAt(t: number): number {
    const hour = Math.floor(t / HOUR_MS);
    const cached = this.#hourly.get(hour);
    if (cached !== undefined && !Number.isNaN(cached)) return cached;
    if (cached === undefined) {
      const start = this.#exact(hour * HOUR_MS);
      const end = this.#exact(hour * HOUR_MS + HOUR_MS - 1000);
      if (this.#hourly.size >= 100_000) this.#hourly.clear();
      this.#hourly.set(hour, start === end ? start : NaN);
      if (start === end) return start;
    }
    return this.#exact(t);
  }

  #exact(t: number): number {
    if (Math.abs(t) > MAX_DATE_MS) return 0;
    const parts = this.#format.formatToParts(t);
    let y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0, bc = false;
    for (const p of parts) {
      switch (p.type) {
        case 'year': y = Number(p.value); break;
        case 'month': mo = Number(p.value); break;
        case 'day': d = Number(p.value); break;
        case 'hour': h = Number(p.value); break;
        case 'minute': mi = Number(p.value); break;
        case 'second': s = Number(p.value); break;
        case 'era': bc = p.value.startsWith('B'); break;
      }
    }
    if (bc) y = 1 - y;
    const wall = daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000;
    return wall - (t - (((t % 1000) + 1000) % 1000));
  }
}
