import type { LoghubSystem } from '../../../lib/datasets.ts';

/**
 * Whole-line patterns for the formats people ship most, and for the 16 Loghub systems.
 *
 * Field names are lower-case and mean the same thing in every pattern:
 *   message      the free text (Loghub's `Content`), without trailing whitespace
 *   level        severity as written (`INFO`, `notice`, `D`)
 *   component    the logger, class or subsystem (Loghub `Component`)
 *   program      the syslog tag or process name (Loghub Proxifier `Program`)
 *   pid          process id (Loghub `Pid`/`PID`), an int
 *   thread       thread name or id (Loghub Hadoop `Process`, Android `Tid`)
 *   host         the host name a syslog line carries (Loghub Linux `Level`, Mac `User`, OpenSSH `Component`; the
 *                ground truth names these columns after what the Loghub format string called them, not what they are)
 *   node         a cluster node (Loghub BGL/HPC `Node`, Thunderbird `User`, Zookeeper `Node`)
 *   timestamp    a capture holding a whole date and time (Loghub `Time` in Apache, BGL, HealthApp, Proxifier)
 *   date, time   the two halves when a line splits them (Loghub `Date`, `Time`)
 *   month, day   a syslog date's parts (Loghub Linux/Mac `Month`/`Date`, OpenSSH `Date`/`Day`, Thunderbird `Month`/`Day`)
 *   epoch        seconds since 1970 (Loghub BGL/Thunderbird `Timestamp`, HPC `Time`)
 * Loghub columns without a shared meaning keep their own snake_case name: `label`, `node_repeat`, `type`, `log_id`,
 * `state`, `flag`, `location`, `address`, `log_file` (OpenStack `Logrecord`), `context` (OpenStack `ADDR`, the
 * request context in brackets), `line` (Zookeeper `Id`, the source line after `@`).
 *
 * Access logs follow the Elastic Common Schema: `client.ip`, `user.ident`, `user.name`, `http.method`,
 * `url.original` (the request target as sent, query included), `http.version`, `http.status` (int), `http.bytes`
 * (int; `-` for none is left out), `http.referrer`, `user_agent`, and `http.request` for a request line that is not
 * `METHOD target [HTTP/x]`.
 *
 * Each Loghub pattern reproduces the Loghub ground truth (`<S>_2k.log_structured.csv`), which was cut with lazy
 * matches over the format strings of the Loghub benchmark; where that cut differs from what a line means (the
 * Zookeeper thread name split at its first `:`), the ground truth wins so the test can compare with it.
 */

/** A quoted field's content; Apache and nginx escape `"` inside it as `\"` or `\x22`. */
const QUOTED_CONTENT = '(?:[^"\\\\]|\\\\.)*';
const REQUEST =
  '"(?:%{WORD:http.method} %{NOTSPACE:url.original}(?: HTTP/%{NUMBER:http.version})?|%{HTTPD_QUOTED:http.request})"';

export const GROK_LIBRARY: Record<string, string> = {
  // Access logs (the Common Log Format, and the combined format that adds referrer and user agent).
  HTTPD_COMMON:
    `%{IPORHOST:client.ip} %{NOTSPACE:user.ident} %{NOTSPACE:user.name} \\[%{HTTPDATE:timestamp}\\] ${REQUEST}` +
    ' (?:%{INT:http.status:int}|-) (?:%{INT:http.bytes:int}|-)',
  // A line cut short inside its user agent (the elastic sample holds one, with no closing quote) still matches:
  // everything it says is there.
  HTTPD_COMBINED: '%{HTTPD_COMMON} "%{HTTPD_QUOTED:http.referrer}" "%{HTTPD_QUOTED:user_agent}(?:"|$)',
  HTTPD_QUOTED: QUOTED_CONTENT,
  APACHE_COMMON: '^%{HTTPD_COMMON}\\s*$',
  APACHE_COMBINED: '^%{HTTPD_COMBINED}\\s*$',
  /** nginx's `combined` is Apache's; many distributions append `"$http_x_forwarded_for"`. */
  NGINX_COMBINED: '^%{HTTPD_COMBINED}(?: "%{HTTPD_QUOTED:http.forwarded_for}")?\\s*$',
  /** Apache 2.2 (`[time] [level] msg`) and 2.4 (`[time] [module:level] [pid N:tid N] [client ip:port] msg`). */
  APACHE_ERROR:
    '^\\[%{DATESTAMP_ASCTIME:timestamp}\\] \\[(?:%{WORD:component}:)?%{APACHE_LEVEL:level}\\]' +
    '(?: \\[pid %{POSINT:pid:int}(?::tid %{INT:thread:int})?\\])?' +
    '(?: \\[client %{IPORHOST:client.ip}(?::%{POSINT:client.port:int})?\\])?' +
    '(?: %{TRIMMED:message})?\\s*$',
  APACHE_LEVEL: '(?:%{LOGLEVEL}|trace[1-8])',

  // Syslog as written to files: RFC 3164 style with the classic or an ISO timestamp, and RFC 5424 text.
  SYSLOG_LINE:
    '^(?:%{SYSLOGTIMESTAMP:timestamp}|%{TIMESTAMP_ISO8601:timestamp}) (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:host}' +
    '(?: %{SYSLOGPROG}:)?(?: %{TRIMMED:message})?\\s*$',
  SYSLOG5424_LINE:
    '^(?:%{SYSLOGPRI})?%{NONNEGINT:syslog.version:int} (?:-|%{TIMESTAMP_ISO8601:timestamp})' +
    ' (?:-|%{SYSLOG5424_NAME:host}) (?:-|%{SYSLOG5424_NAME:program}) (?:-|%{SYSLOG5424_NAME:pid:int})' +
    ' (?:-|%{SYSLOG5424_NAME:syslog.msgid}) (?:-|%{SYSLOG5424_SD:syslog.structured_data})' +
    '(?: \\uFEFF?%{TRIMMED:message})?\\s*$',
  SYSLOG5424_NAME: '[!-~]+',
  /** One or more `[id param="value" …]` elements; `\]`, `\"` and `\\` are escaped inside values. */
  SYSLOG5424_SD: '(?:\\[[^\\s\\]=" ]+(?: [^\\s\\]=" ]+="(?:[^"\\\\]|\\\\.)*")*\\])+',

  // Loghub (https://github.com/logpai/loghub): one pattern per system, anchored, named LOGHUB_<SYSTEM>.
  LOGHUB_ANDROID:
    '^(?<date>[0-9]{2}-[0-9]{2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]+)\\s+%{INT:pid:int}\\s+%{INT:thread:int}' +
    '\\s+(?<level>\\S+)\\s+(?=\\S)(?<component>.*?):\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_APACHE: '^\\[(?<timestamp>[^\\]]*)\\]\\s+\\[(?<level>[^\\]]*)\\]\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_BGL:
    '^(?<label>\\S+)\\s+%{INT:epoch:int}\\s+(?<date>\\S+)\\s+(?<node>\\S+)\\s+(?<timestamp>\\S+)\\s+(?<node_repeat>\\S+)' +
    '\\s+(?<type>\\S+)\\s+(?<component>\\S+)\\s+(?<level>\\S+)\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_HDFS:
    '^(?<date>[0-9]{6})\\s+(?<time>[0-9]{6})\\s+%{INT:pid:int}\\s+(?<level>\\S+)\\s+(?=\\S)(?<component>.*?):\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_HPC:
    '^(?<log_id>\\S+)\\s+(?<node>\\S+)\\s+(?<component>\\S+)\\s+(?<state>\\S+)\\s+%{INT:epoch:int}\\s+(?<flag>\\S+)' +
    '\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_HADOOP:
    '^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]+)\\s+(?<level>\\S+)' +
    '\\s+\\[(?<thread>[^\\]]*)\\]\\s+(?=\\S)(?<component>.*?):\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_HEALTHAPP: '^(?<timestamp>[^|]*)\\|(?<component>[^|]*)\\|%{INT:pid:int}\\|%{TRIMMED:message}\\s*$',
  LOGHUB_LINUX:
    '^(?<month>[A-Z][a-z]{2})\\s+(?<day>[0-9]{1,2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2})\\s+(?<host>\\S+)' +
    '\\s+(?=\\S)(?<component>.*?)(?:\\[%{INT:pid:int}\\])?:\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_MAC:
    '^(?<month>[A-Z][a-z]{2})\\s+(?<day>[0-9]{1,2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2})\\s+(?<host>\\S+)' +
    '\\s+(?=\\S)(?<component>.*?)\\[%{INT:pid:int}\\](?:\\s+\\((?<address>[^()]*)\\))?:\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_OPENSSH:
    '^(?<month>[A-Z][a-z]{2})\\s+(?<day>[0-9]{1,2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2})\\s+(?<host>\\S+)' +
    '\\s+sshd\\[%{INT:pid:int}\\]:\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_OPENSTACK:
    '^(?<log_file>\\S+)\\s+(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]+)' +
    '\\s+%{INT:pid:int}\\s+(?<level>\\S+)\\s+(?<component>\\S+)\\s+\\[(?<context>.*?)\\]\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_PROXIFIER: '^\\[(?<timestamp>[^\\]]*)\\]\\s+(?:(?<program>\\S(?:.*?\\S)?)\\s+)??-\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_SPARK:
    '^(?<date>[0-9]{2}/[0-9]{2}/[0-9]{2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2})\\s+(?<level>\\S+)' +
    '\\s+(?=\\S)(?<component>.*?):\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_THUNDERBIRD:
    '^(?<label>\\S+)\\s+%{INT:epoch:int}\\s+(?<date>\\S+)\\s+(?<node>\\S+)\\s+(?<month>[A-Z][a-z]{2})\\s+(?<day>[0-9]{1,2})' +
    '\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2})\\s+(?<location>\\S+)\\s+(?=\\S)(?<component>.*?)(?:\\[%{INT:pid:int}\\])?:' +
    '\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_WINDOWS:
    '^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2}),\\s+(?<level>\\S+)\\s+(?<component>\\S+)' +
    '\\s+%{TRIMMED:message}\\s*$',
  LOGHUB_ZOOKEEPER:
    '^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\\s+(?<time>[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]+)\\s+-\\s+(?<level>\\S+)' +
    '\\s+\\[(?<node>[^:]*):(?<component>.*?)@%{INT:line:int}\\]\\s+-\\s+%{TRIMMED:message}\\s*$',
};

/** How to build a record's time from a line's captures: their values joined by one space, read in `format`. */
export interface TimestampSpec {
  fields: string[];
  format: string;
  /** The zone of a text without one, when known (else UTC). */
  timezone?: string;
}

/** BGL and Thunderbird write local time; their epoch column agrees with it read as US Pacific time on every line. */
const PACIFIC = 'America/Los_Angeles';

/** Per Loghub system: the line pattern and how to build the timestamp from its captured fields. */
export const LOGHUB_FORMATS: Record<LoghubSystem, { pattern: string; timestamp: TimestampSpec }> = {
  Android: { pattern: '%{LOGHUB_ANDROID}', timestamp: { fields: ['date', 'time'], format: 'MM-dd HH:mm:ss.SSS' } },
  Apache: { pattern: '%{LOGHUB_APACHE}', timestamp: { fields: ['timestamp'], format: 'EEE MMM dd HH:mm:ss yyyy' } },
  BGL: {
    pattern: '%{LOGHUB_BGL}',
    timestamp: { fields: ['timestamp'], format: 'yyyy-MM-dd-HH.mm.ss.SSSSSS', timezone: PACIFIC },
  },
  HDFS: { pattern: '%{LOGHUB_HDFS}', timestamp: { fields: ['date', 'time'], format: 'yyMMdd HHmmss' } },
  HPC: { pattern: '%{LOGHUB_HPC}', timestamp: { fields: ['epoch'], format: 'epoch_s' } },
  Hadoop: { pattern: '%{LOGHUB_HADOOP}', timestamp: { fields: ['date', 'time'], format: 'yyyy-MM-dd HH:mm:ss,SSS' } },
  // HealthApp writes hours, minutes, seconds and milliseconds unpadded (`22:16:0:119`; `:35:96` comes before
  // `:35:104`): single letters take one or two digits, and a run of three S up to three digits of milliseconds.
  HealthApp: { pattern: '%{LOGHUB_HEALTHAPP}', timestamp: { fields: ['timestamp'], format: 'yyyyMMdd-H:m:s:SSS' } },
  Linux: { pattern: '%{LOGHUB_LINUX}', timestamp: { fields: ['month', 'day', 'time'], format: 'MMM d HH:mm:ss' } },
  Mac: { pattern: '%{LOGHUB_MAC}', timestamp: { fields: ['month', 'day', 'time'], format: 'MMM d HH:mm:ss' } },
  OpenSSH: { pattern: '%{LOGHUB_OPENSSH}', timestamp: { fields: ['month', 'day', 'time'], format: 'MMM d HH:mm:ss' } },
  OpenStack: { pattern: '%{LOGHUB_OPENSTACK}', timestamp: { fields: ['date', 'time'], format: 'yyyy-MM-dd HH:mm:ss.SSS' } },
  Proxifier: { pattern: '%{LOGHUB_PROXIFIER}', timestamp: { fields: ['timestamp'], format: 'MM.dd HH:mm:ss' } },
  Spark: { pattern: '%{LOGHUB_SPARK}', timestamp: { fields: ['date', 'time'], format: 'yy/MM/dd HH:mm:ss' } },
  Thunderbird: {
    pattern: '%{LOGHUB_THUNDERBIRD}',
    timestamp: { fields: ['date', 'time'], format: 'yyyy.MM.dd HH:mm:ss', timezone: PACIFIC },
  },
  Windows: { pattern: '%{LOGHUB_WINDOWS}', timestamp: { fields: ['date', 'time'], format: 'yyyy-MM-dd HH:mm:ss' } },
  Zookeeper: { pattern: '%{LOGHUB_ZOOKEEPER}', timestamp: { fields: ['date', 'time'], format: 'yyyy-MM-dd HH:mm:ss,SSS' } },
};
