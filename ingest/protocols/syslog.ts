import type { Fields } from '../../lib/record.ts';

/**
 * One syslog message (the text inside a datagram or TCP frame) into a record: RFC 5424, RFC 3164, and the
 * deviations senders in the field produce (no PRI, no host, an RFC 3339 timestamp where RFC 3164 puts its own, a
 * tag without its colon).
 *
 * Fields: `level` and `facility` (names, from PRI), `host`, `app`, `pid` (a number when all digits), `msgid`,
 * `sd.<SD-ID>.<PARAM>` for RFC 5424 structured data, and `message`. Nil (`-`) and absent parts are left out.
 * A PARAM repeated within a message (RFC 5424 allows it, e.g. several `ip` in `origin`) becomes the JSON text of
 * the array of its values, in order, as the record contract keeps arrays; a PARAM seen once stays a plain string.
 *
 * Never throws and never loses text: what cannot be parsed is stored whole as the message, with `problem` set.
 */
export interface SyslogRecord {
  /** Event time, epoch ms: the message's own, or `nowMs` when it has none or an invalid one (then `problem`). */
  ts: number;
  fields: Fields;
  /** Why the record is not what the sender meant exactly; for a per-message warning. */
  problem?: string;
}

const SEVERITY = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];
// RFC 5424 table 1, facilities 0–23, by the names syslog implementations commonly give them.
const FACILITY = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp',
  'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_MS = 86_400_000;
/** Date.UTC maps years 0–99 to 1900–1999; a 400-year Gregorian cycle later has the same calendar. */
const CYCLE_400Y_MS = 146_097 * DAY_MS;
const SP = 32;
const BOM = 0xfeff;

const NO_TIMESTAMP = 'no timestamp; stored with the receive time';

export function parseSyslog(msg: string, nowMs: number): SyslogRecord {
  const fields: Fields = {};
  let problem: string | undefined;
  let pos = 0;
  let hadPri = false;

  if (msg.charCodeAt(0) === 60 /* < */) {
    let i = 1;
    let pri = 0;
    for (; i < msg.length && i <= 11 && isDigit(msg.charCodeAt(i)); i++) pri = pri * 10 + msg.charCodeAt(i) - 48;
    if (i > 1 && msg.charCodeAt(i) === 62 /* > */) {
      hadPri = true;
      pos = i + 1;
      if (i <= 4 && pri <= 191) {
        fields.level = SEVERITY[pri & 7];
        fields.facility = FACILITY[pri >> 3];
      } else {
        problem = `PRI <${msg.slice(1, i)}> is out of range (0 to 191); level and facility left out`;
      }
    }
  }

  let r: SyslogRecord | null = null;
  if (msg.charCodeAt(pos) === 49 /* 1 */ && msg.charCodeAt(pos + 1) === SP) r = parse5424(msg, pos + 2, hadPri, nowMs, fields);
  r ??= parse3164(msg, pos, hadPri, nowMs, fields);
  if (problem !== undefined) r.problem = r.problem === undefined ? problem : problem + '; ' + r.problem;
  return r;
}

/**
 * Parses from after `1 `; null when what follows is not an RFC 5424 header at all (then it is RFC 3164 text).
 * Without a PRI, only a valid timestamp makes a line that starts with `1 ` RFC 5424.
 */
function parse5424(msg: string, start: number, hadPri: boolean, nowMs: number, fields: Fields): SyslogRecord | null {
  const n = msg.length;
  let end = tokenEnd(msg, start);
  const c = msg.charCodeAt(start);
  let ts: number;
  let problem: string | undefined;
  if (end === start + 1 && c === 45 /* - */ && hadPri) {
    ts = nowMs;
    problem = NO_TIMESTAMP;
  } else if (isDigit(c)) {
    ts = parseRfc3339(msg, start, end);
    if (Number.isNaN(ts)) {
      if (!hadPri) return null;
      ts = nowMs;
      problem = invalidTimestamp(msg.slice(start, end));
    }
  } else {
    return null;
  }

  // HOSTNAME APP-NAME PROCID MSGID, each a token or `-`.
  const header: string[] = [];
  let pos = end;
  for (let k = 0; k < 4; k++) {
    if (pos >= n) return whole(msg, nowMs, fields, 'the RFC 5424 header ends before its MSGID');
    pos++;
    end = tokenEnd(msg, pos);
    header.push(msg.slice(pos, end));
    pos = end;
  }
  setNonNil(fields, 'host', header[0]);
  setNonNil(fields, 'app', header[1]);
  if (header[2] !== '' && header[2] !== '-') fields.pid = pidValue(header[2]);
  setNonNil(fields, 'msgid', header[3]);

  if (pos < n) pos++;
  const sdChar = msg.charCodeAt(pos);
  if (sdChar === 45 /* - */ && (pos + 1 >= n || msg.charCodeAt(pos + 1) === SP)) {
    pos++;
  } else if (sdChar === 91 /* [ */) {
    const sd = parseStructuredData(msg, pos, fields);
    if (typeof sd === 'string') {
      // Keeping the text matters more than the structure: the unparsed data stays in the message.
      problem = joinProblems(problem, sd + '; kept in the message');
      setMessage(fields, msg, pos);
      return { ts, fields, problem };
    }
    pos = sd;
  }
  // Senders that leave out STRUCTURED-DATA altogether go straight to MSG: taken as it is.
  if (msg.charCodeAt(pos) === SP) pos++;
  if (msg.charCodeAt(pos) === BOM) pos++;
  setMessage(fields, msg, pos);
  return problem === undefined ? { ts, fields } : { ts, fields, problem };
}

/**
 * Parses SD-ELEMENTs from `[` into `fields` and returns where they end, or says why they are malformed (then
 * `fields` is left as it was).
 */
function parseStructuredData(msg: string, start: number, fields: Fields): number | string {
  const n = msg.length;
  const added: string[] = [];
  // Only a PARAM seen twice needs its values gathered; most messages never allocate this.
  let repeated: Map<string, string[]> | null = null;
  let pos = start;
  let error: string | null = null;
  elements: while (msg.charCodeAt(pos) === 91 /* [ */) {
    pos++;
    const idStart = pos;
    while (pos < n && isSdNameChar(msg.charCodeAt(pos))) pos++;
    if (pos === idStart) {
      error = malformedSd(msg, pos, 'an SD-ID');
      break;
    }
    const prefix = 'sd.' + msg.slice(idStart, pos) + '.';
    for (;;) {
      const c = msg.charCodeAt(pos);
      if (c === 93 /* ] */) {
        pos++;
        break;
      }
      if (c !== SP) {
        error = malformedSd(msg, pos, "' ' or ']'");
        break elements;
      }
      while (msg.charCodeAt(pos) === SP) pos++;
      const nameStart = pos;
      while (pos < n && isSdNameChar(msg.charCodeAt(pos))) pos++;
      if (pos === nameStart) {
        error = malformedSd(msg, pos, 'a PARAM-NAME');
        break elements;
      }
      const key = prefix + msg.slice(nameStart, pos);
      if (msg.charCodeAt(pos) !== 61 /* = */) {
        error = malformedSd(msg, pos, "'='");
        break elements;
      }
      if (msg.charCodeAt(pos + 1) !== 34 /* " */) {
        error = malformedSd(msg, pos + 1, "'\"'");
        break elements;
      }
      pos += 2;
      // `\"`, `\\` and `\]` stand for the character; a backslash before anything else is itself (RFC 5424 6.3.3).
      let value = '';
      let from = pos;
      for (;;) {
        if (pos >= n) {
          error = malformedSd(msg, pos, 'the closing \'"\' of a PARAM-VALUE');
          break elements;
        }
        const d = msg.charCodeAt(pos);
        if (d === 34) break;
        if (d === 92 /* \ */) {
          const e = msg.charCodeAt(pos + 1);
          if (e === 34 || e === 92 || e === 93) {
            value += msg.slice(from, pos);
            from = pos + 1;
            pos += 2;
            continue;
          }
        }
        pos++;
      }
      value += msg.slice(from, pos);
      pos++;
      const had = fields[key];
      if (had === undefined) {
        fields[key] = value;
        added.push(key);
        continue;
      }
      repeated ??= new Map();
      let values = repeated.get(key);
      if (values === undefined) repeated.set(key, (values = [had as string]));
      values.push(value);
      fields[key] = JSON.stringify(values);
    }
  }
  if (error === null) return pos;
  for (const k of added) delete fields[k];
  return error;
}

function malformedSd(msg: string, pos: number, wanted: string): string {
  const found = pos >= msg.length ? 'the end of the message' : JSON.stringify(msg.slice(pos, pos + 12));
  return `malformed structured data: expected ${wanted} at character ${pos + 1}, found ${found}`;
}

/** SD-NAME: printable US-ASCII except `=`, space, `]` and `"`. */
function isSdNameChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 61 && c !== 93 && c !== 34;
}

/** RFC 3164 and its deviations, from after the PRI (if any). */
function parse3164(msg: string, start: number, hadPri: boolean, nowMs: number, fields: Fields): SyslogRecord {
  const n = msg.length;
  let pos = start;
  let ts = nowMs;
  let problem: string | undefined;
  const bsd = parseBsdTimestamp(msg, start, nowMs);
  let tsEnd = -1;
  if (bsd !== null) {
    tsEnd = bsd.end;
    if (Number.isNaN(bsd.ts)) problem = invalidTimestamp(msg.slice(start, tsEnd));
    else ts = bsd.ts;
  } else if (isDigit(msg.charCodeAt(start)) && msg.charCodeAt(start + 4) === 45 /* - */) {
    // rsyslog's RSYSLOG_ForwardFormat (and others) put an RFC 3339 timestamp here.
    const end = tokenEnd(msg, start);
    const t = parseRfc3339(msg, start, end);
    if (!Number.isNaN(t)) {
      ts = t;
      tsEnd = end;
    } else if (hadPri) {
      problem = invalidTimestamp(msg.slice(start, end));
      tsEnd = end;
    }
  }

  if (tsEnd < 0) {
    if (!hadPri) return whole(msg, nowMs, fields, 'not a syslog message (no <PRI> and no timestamp)');
    // Local senders (and some devices) send `<PRI>tag: message`; without a timestamp a host is not expected.
    const tag = readTag(msg, pos, true);
    if (tag !== null) pos = applyTag(msg, fields, tag);
    setMessage(fields, msg, pos);
    return { ts, fields, problem: joinProblems(problem, NO_TIMESTAMP) };
  }

  pos = tsEnd;
  while (msg.charCodeAt(pos) === SP) pos++;
  // HOSTNAME, unless the sender left it out and the tag comes first (`sshd[42]:`, `cron:`): a tag ends with
  // `:` or carries `[`; a lone last word is message text.
  const hostEnd = tokenEnd(msg, pos);
  if (hostEnd < n && hostEnd > pos && msg.charCodeAt(hostEnd - 1) !== 58 /* : */ && msg.lastIndexOf('[', hostEnd - 1) < pos) {
    fields.host = msg.slice(pos, hostEnd);
    pos = hostEnd;
    while (msg.charCodeAt(pos) === SP) pos++;
  }
  const tag = readTag(msg, pos, false);
  if (tag !== null) pos = applyTag(msg, fields, tag);
  setMessage(fields, msg, pos);
  return problem === undefined ? { ts, fields } : { ts, fields, problem };
}

/** A TAG found at some position: `app` is [start, appEnd), `pid` [pidStart, pidEnd) when present. */
interface Tag {
  appEnd: number;
  pidStart: number;
  pidEnd: number;
  /** Where the message starts. */
  end: number;
  start: number;
}

/**
 * `TAG[PID]: `, `TAG: `, and (unless `requireColon`) `TAG[PID] ` and a bare `TAG ` as rsyslog reads them: a first
 * word of tag characters followed by more text is the tag. That takes the first word of a tagless message (RFC
 * 3164's own `Use the BFG!` example) for a tag, but senders that drop the colon are far more common; the word is
 * kept in `app`, so no text is lost.
 */
function readTag(msg: string, start: number, requireColon: boolean): Tag | null {
  const n = msg.length;
  let i = start;
  let tagLike = true;
  for (; i < n; i++) {
    const c = msg.charCodeAt(i);
    if (c === SP || c === 58 /* : */ || c === 91 /* [ */) break;
    if (!isTagChar(c)) tagLike = false;
  }
  if (i === start || i >= n) return null;
  let pidStart = -1;
  let pidEnd = -1;
  let j = i;
  if (msg.charCodeAt(i) === 91) {
    pidStart = i + 1;
    pidEnd = pidStart;
    while (pidEnd < n && msg.charCodeAt(pidEnd) !== 93 /* ] */ && msg.charCodeAt(pidEnd) !== SP) pidEnd++;
    if (msg.charCodeAt(pidEnd) !== 93) return null;
    j = pidEnd + 1;
  }
  const colon = msg.charCodeAt(j) === 58;
  if (colon) j++;
  if (j < n && msg.charCodeAt(j) !== SP) return null;
  if (!colon) {
    if (requireColon || j >= n) return null;
    if (pidStart < 0 && !tagLike) return null;
  }
  return { start, appEnd: i, pidStart, pidEnd, end: j };
}

function applyTag(msg: string, fields: Fields, tag: Tag): number {
  fields.app = msg.slice(tag.start, tag.appEnd);
  if (tag.pidEnd > tag.pidStart) fields.pid = pidValue(msg.slice(tag.pidStart, tag.pidEnd));
  return tag.end;
}

/** Letters, digits and the punctuation program names use. */
function isTagChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 45 || c === 46 || c === 95 || c === 47 || c === 64;
}

/**
 * `Mmm dd hh:mm:ss` (day space- or zero-padded, an optional fraction), followed by a space or the end. No year:
 * the one that puts it within the 12 months up to a day after `nowMs` (a sender's clock a little ahead still
 * lands in this year; a December message read in January lands in the last one). No zone: UTC. `ts` is NaN when
 * the shape is right but the date is not (`Feb 30`); null when this is not such a timestamp at all.
 */
function parseBsdTimestamp(msg: string, start: number, nowMs: number): { ts: number; end: number } | null {
  if (msg.length < start + 14) return null;
  const month = MONTHS.indexOf(msg.slice(start, start + 3).toLowerCase());
  if (month < 0 || msg.charCodeAt(start + 3) !== SP) return null;
  let p = start + 4;
  if (msg.charCodeAt(p) === SP) p++;
  let day = digits(msg, p, 2);
  if (day >= 0) p += 2;
  else if ((day = digits(msg, p, 1)) >= 0) p += 1;
  else return null;
  if (msg.charCodeAt(p) !== SP) return null;
  p++;
  const h = digits(msg, p, 2);
  const mi = digits(msg, p + 3, 2);
  const s = digits(msg, p + 6, 2);
  if (h < 0 || mi < 0 || s < 0 || msg.charCodeAt(p + 2) !== 58 || msg.charCodeAt(p + 5) !== 58) return null;
  p += 8;
  let ms = 0;
  if (msg.charCodeAt(p) === 46 /* . */ && isDigit(msg.charCodeAt(p + 1))) {
    const f = readFraction(msg, p + 1, msg.length);
    ms = f.ms;
    p = f.end;
  }
  if (p < msg.length && msg.charCodeAt(p) !== SP) return null;
  if (h > 23 || mi > 59 || s > 60) return { ts: NaN, end: p };
  const year = new Date(nowMs).getUTCFullYear();
  // Feb 29 may need to go back up to 8 years (1900 → 1896 style gaps) to find a leap year.
  for (let y = year + 1; y >= year - 8; y--) {
    if (day < 1 || day > daysInMonth(y, month)) continue;
    const t = utc(y, month, day, h, mi, Math.min(s, 59), ms);
    if (t <= nowMs + DAY_MS) return { ts: t, end: p };
  }
  return { ts: NaN, end: p };
}

/**
 * RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` in [start, end), NaN when invalid. Lenient where senders are:
 * no zone is UTC, `±HHMM` is accepted, a fraction of any length is cut to milliseconds.
 */
export function parseRfc3339(s: string, start: number, end: number): number {
  if (end - start < 19) return NaN;
  const y = digits(s, start, 4);
  const mo = digits(s, start + 5, 2);
  const d = digits(s, start + 8, 2);
  const h = digits(s, start + 11, 2);
  const mi = digits(s, start + 14, 2);
  const sec = digits(s, start + 17, 2);
  const sepT = s.charCodeAt(start + 10) | 0x20;
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return NaN;
  if (s.charCodeAt(start + 4) !== 45 || s.charCodeAt(start + 7) !== 45 || sepT !== 116 /* t */) return NaN;
  if (s.charCodeAt(start + 13) !== 58 || s.charCodeAt(start + 16) !== 58) return NaN;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo - 1) || h > 23 || mi > 59 || sec > 60) return NaN;
  let p = start + 19;
  let ms = 0;
  if (p < end && s.charCodeAt(p) === 46) {
    if (!isDigit(s.charCodeAt(p + 1))) return NaN;
    const f = readFraction(s, p + 1, end);
    ms = f.ms;
    p = f.end;
  }
  let offsetMin = 0;
  if (p < end) {
    const z = s.charCodeAt(p);
    if ((z | 0x20) === 122 /* z */) {
      p++;
    } else if (z === 43 || z === 45) {
      const oh = digits(s, p + 1, 2);
      const colon = s.charCodeAt(p + 3) === 58 ? 1 : 0;
      const om = digits(s, p + 3 + colon, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return NaN;
      offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
      p += 5 + colon;
    } else {
      return NaN;
    }
  }
  if (p !== end) return NaN;
  // A leap second (:60) is stored as the last millisecond-aligned instant of its minute's :59.
  return utc(y, mo - 1, d, h, mi, Math.min(sec, 59), ms) - offsetMin * 60_000;
}

function utc(y: number, month: number, d: number, h: number, mi: number, s: number, ms: number): number {
  return y < 100 ? Date.UTC(y + 400, month, d, h, mi, s, ms) - CYCLE_400Y_MS : Date.UTC(y, month, d, h, mi, s, ms);
}

function daysInMonth(y: number, month: number): number {
  if (month === 1) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
}

function readFraction(s: string, start: number, end: number): { ms: number; end: number } {
  let p = start;
  let ms = 0;
  for (; p < end && isDigit(s.charCodeAt(p)); p++) if (p - start < 3) ms = ms * 10 + s.charCodeAt(p) - 48;
  for (let k = p - start; k < 3; k++) ms *= 10;
  return { ms, end: p };
}

/** The value of `count` decimal digits at `start`, or -1. */
function digits(s: string, start: number, count: number): number {
  let v = 0;
  for (let i = start; i < start + count; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 48;
  }
  return v;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function tokenEnd(s: string, start: number): number {
  const i = s.indexOf(' ', start);
  return i < 0 ? s.length : i;
}

function setNonNil(fields: Fields, key: string, v: string): void {
  if (v !== '' && v !== '-') fields[key] = v;
}

function pidValue(v: string): string | number {
  // Up to 15 digits is exact as a double; longer digit strings stay text.
  if (v.length <= 15 && /^\d+$/.test(v)) return Number(v);
  return v;
}

/**
 * The message from `pos`, without leading spaces: relays keep the space that followed an RFC 3164 tag's colon
 * (rsyslog's `%msg%` starts with it), so a message passed through one would otherwise differ from the same one
 * sent directly. Empty: no message field.
 */
function setMessage(fields: Fields, msg: string, pos: number): void {
  while (msg.charCodeAt(pos) === SP) pos++;
  if (pos < msg.length) fields.message = pos === 0 ? msg : msg.slice(pos);
}

/** The whole text as the message (`fields` holds at most what PRI said). */
function whole(msg: string, nowMs: number, fields: Fields, why: string): SyslogRecord {
  if (msg.length > 0) fields.message = msg;
  return { ts: nowMs, fields, problem: `${why}; stored whole as the message with the receive time` };
}

function invalidTimestamp(text: string): string {
  return `invalid timestamp ${JSON.stringify(text.slice(0, 40))}; stored with the receive time`;
}

function joinProblems(a: string | undefined, b: string): string {
  return a === undefined ? b : a + '; ' + b;
}
