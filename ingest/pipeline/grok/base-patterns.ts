/**
 * The named building blocks of grok patterns. Names follow the grok convention users know; the expressions are
 * our own, written for V8's backtracking engine: no quantifier wraps another over characters both can take (the
 * shape that backtracks exponentially), repeated parts are separated by a character the part cannot hold, and
 * numeric parts are bounded, so a pattern built from these fails in time linear in the text (or close to it).
 */

const HEX = '[0-9A-Fa-f]';
const H16 = `${HEX}{1,4}`;
const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_CORE = `(?:${DEC_OCTET}\\.){3}${DEC_OCTET}`;

/**
 * RFC 4291 §2.2 text forms: eight groups, or `::` standing for one or more zero groups with `before` groups ahead of
 * it and `after` behind (before + after ≤ 7), optionally ending in a dotted IPv4 address that takes two groups'
 * place. Forms are listed longest first and forms with an IPv4 tail before the rest, because alternation in a JS
 * regular expression takes the first alternative that matches, not the longest.
 */
function ipv6Pattern(): string {
  const forms: string[] = [];
  const compressed = (groups: number, tail: string): void => {
    for (let before = groups; before >= 0; before--) {
      const after = groups - before;
      const head = before === 0 ? '' : before === 1 ? H16 : `${H16}(?::${H16}){0,${before - 1}}`;
      // `after` is an upper bound: fewer groups behind `::` are covered by the same form.
      const rest = after === 0 ? '' : `(?:${H16}:){0,${after - 1}}${H16}`;
      if (tail === '') forms.push(`${head}::${rest}`);
      else forms.push(`${head}::${after === 0 ? '' : `(?:${H16}:){0,${after}}`}${tail}`);
    }
  };
  forms.push(`(?:${H16}:){6}${IPV4_CORE}`);
  compressed(5, IPV4_CORE);
  forms.push(`(?:${H16}:){7}${H16}`);
  compressed(7, '');
  forms.push('::');
  // A zone index (`fe80::1%eth0`) names the link of a link-local address.
  return `(?<![0-9A-Fa-f:.])(?:${dedupe(forms).join('|')})(?:%[0-9A-Za-z._~-]+)?(?![0-9A-Fa-f:])`;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

const MONTH_NAMES =
  'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';
const DAY_NAMES = 'Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?';

/** Level words as applications write them: lower, capitalised or upper case, short and long forms. */
const LEVELS = [
  'trace', 'debug', 'info', 'information', 'informational', 'notice', 'warn', 'warning', 'err', 'error', 'crit',
  'critical', 'alert', 'emerg', 'emergency', 'fatal', 'severe', 'fine', 'finer', 'finest', 'verbose',
];

function levelPattern(): string {
  const variants = new Set<string>();
  for (const l of LEVELS) {
    variants.add(l);
    variants.add(l[0].toUpperCase() + l.slice(1));
    variants.add(l.toUpperCase());
  }
  // Longest first: `Information` must not stop at `Info`.
  const sorted = [...variants].sort((a, b) => b.length - a.length);
  return `\\b(?:${sorted.join('|')})\\b`;
}

export const BASE_PATTERNS: Record<string, string> = {
  // Text
  WORD: '\\b\\w+\\b',
  NOTSPACE: '\\S+',
  SPACE: '\\s*',
  DATA: '.*?',
  GREEDYDATA: '.*',
  /**
   * The rest of a text without its trailing white space (a CRLF file's \r, padding); follow it with `\s*$`. It
   * takes line breaks too, so a multi-line message matches whole and the match never has to backtrack out of it.
   */
  TRIMMED: '(?:[^]*\\S)?',
  QUOTEDSTRING: `(?:"(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|\`(?:[^\`\\\\]|\\\\.)*\`)`,
  QS: '%{QUOTEDSTRING}',
  UUID: `${HEX}{8}-(?:${HEX}{4}-){3}${HEX}{12}`,

  // Numbers
  INT: '[+-]?[0-9]+',
  BASE10NUM: '(?<![0-9.+-])[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)',
  NUMBER: '%{BASE10NUM}',
  BASE16NUM: '(?<![0-9A-Fa-f])[+-]?(?:0x)?[0-9A-Fa-f]+',
  POSINT: '\\b[1-9][0-9]*\\b',
  NONNEGINT: '\\b[0-9]+\\b',

  // Network
  IPV4: `(?<![0-9])${IPV4_CORE}(?![0-9])`,
  IPV6: ipv6Pattern(),
  IP: '(?:%{IPV4}|%{IPV6})',
  HOSTNAME: '\\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\\.?',
  IPORHOST: '(?:%{IP}|%{HOSTNAME})',
  HOSTPORT: '%{IPORHOST}:%{POSINT}',
  MAC: `(?:${HEX}{2}[:-]){5}${HEX}{2}|(?:${HEX}{4}\\.){2}${HEX}{4}`,
  USERNAME: '[a-zA-Z0-9._-]+',
  USER: '%{USERNAME}',
  EMAILLOCALPART: "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*",
  EMAILADDRESS: '%{EMAILLOCALPART}@%{HOSTNAME}',

  // Paths and URIs (RFC 3986 character classes; `%` escapes are plain characters of the class)
  UNIXPATH: '(?:/[^/\\s?#]*)+',
  WINPATH: '(?:[A-Za-z]:|\\\\\\\\[^\\\\\\s]+)(?:\\\\[^\\\\\\s]*)+',
  PATH: '(?:%{UNIXPATH}|%{WINPATH})',
  URIPROTO: '[A-Za-z][A-Za-z0-9+.-]*',
  URIHOST: '%{IPORHOST}(?::%{POSINT})?',
  URIPATH: "(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_|\\[\\]<>^-]*)+",
  URIPARAM: "\\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\\[\\]<>^-]*",
  URIPATHPARAM: '%{URIPATH}(?:%{URIPARAM})?',
  URI: '%{URIPROTO}://(?:%{USER}(?::[^@\\s/]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?',

  // Dates and times
  MONTH: `\\b(?:${MONTH_NAMES})\\b`,
  MONTHNUM: '(?:1[0-2]|0?[1-9])',
  MONTHNUM2: '(?:0[1-9]|1[0-2])',
  MONTHDAY: '(?:3[01]|[12][0-9]|0[1-9]|[1-9])',
  DAY: `\\b(?:${DAY_NAMES})\\b`,
  YEAR: '(?:[0-9]{4}|[0-9]{2})',
  HOUR: '(?:2[0-3]|[01]?[0-9])',
  MINUTE: '[0-5][0-9]',
  // 60 is a leap second.
  SECOND: '(?:60|[0-5]?[0-9])(?:[.,:][0-9]+)?',
  TIME: '(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})?(?![0-9])',
  DATE_US: '%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}',
  DATE_EU: '%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}',
  ISO8601_TIMEZONE: '(?:Z|[+-]%{HOUR}(?::?%{MINUTE})?)',
  ISO8601_SECOND: '(?:60|[0-5][0-9])(?:[.,][0-9]+)?',
  TIMESTAMP_ISO8601:
    '%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{ISO8601_SECOND})?%{ISO8601_TIMEZONE}?',
  HTTPDATE: '%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} [+-]?[0-9]{4}',
  SYSLOGTIMESTAMP: '%{MONTH} +%{MONTHDAY} %{TIME}',
  /** asctime / ctime, as the Apache error log writes it: `Sun Dec 04 04:47:44 2005`. */
  DATESTAMP_ASCTIME: '%{DAY} %{MONTH} +%{MONTHDAY} %{TIME}(?:\\.[0-9]+)? %{YEAR}',

  // Logs
  LOGLEVEL: levelPattern(),
  /** A syslog program name: printable ASCII but brackets (its pid follows in brackets) and the `:` ending the tag. */
  PROG: '[\\x21-\\x39\\x3b-\\x5a\\x5c\\x5e-\\x7e]+',
  SYSLOGPROG: '%{PROG:program}(?:\\[%{POSINT:pid:int}\\])?',
  SYSLOGHOST: '%{IPORHOST}',
  SYSLOGFACILITY: '<%{NONNEGINT:syslog.facility:int}\\.%{NONNEGINT:syslog.severity:int}>',
  SYSLOGPRI: '<%{NONNEGINT:syslog.priority:int}>',
};
