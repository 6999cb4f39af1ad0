import type { Fields } from '../../../lib/record.ts';

/**
 * A syslog message into fields, minimally, on the host (the agent cannot import the node's parser): RFC 5424
 * (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`).
 * The fields are named as the node's syslog receiver names them, so that records look alike whichever way they
 * came: `level` and `facility` (names, from PRI), `host`, `app`, `pid` (a number when all digits), `msgid`,
 * `sd.<SD-ID>.<PARAM>`, and `message`. Nil (`-`) and absent parts are left out.
 *
 * Time: an RFC 5424 timestamp (it has a zone) is the record's time. An RFC 3164 one has neither year nor zone:
 * the receive time is used instead (a live listener receives within moments of the sending), and the original
 * text is kept as `syslog.timestamp`. What does not parse is kept whole as the message: never an error.
 */

const SEVERITY = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];
const FACILITY = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp',
  'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const PRI = /^<(\d{1,3})>/;
const RFC3164_TIME = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? /;
const TAG = /^([^\s:[\]]{1,64})(?:\[([^\]\s]{1,32})\])?:(?: |$)/;

export interface ParsedSyslog {
  /** The message's own time (epoch ms), when it has one with a zone. */
  tsMs: number | null;
  fields: Fields;
}

export function parseSyslog(msg: string): ParsedSyslog {
  const fields: Fields = {};
  let pos = 0;
  const pri = PRI.exec(msg);
  if (pri !== null) {
    const v = Number(pri[1]);
    if (v <= 191) {
      fields.level = SEVERITY[v & 7];
      fields.facility = FACILITY[v >> 3];
    }
    pos = pri[0].length;
  }
  if (msg.startsWith('1 ', pos)) {
    const r = parse5424(msg, pos + 2, fields);
    if (r !== null) return r;
  }
  return parse3164(msg, pos, fields);
}

function parse5424(msg: string, pos: number, fields: Fields): ParsedSyslog | null {
  const header: string[] = [];
  for (let k = 0; k < 5; k++) {
    const sp = msg.indexOf(' ', pos);
    header.push(msg.slice(pos, sp < 0 ? msg.length : sp));
    pos = sp < 0 ? msg.length : sp + 1;
    if (sp < 0 && k < 4) return null;
  }
  const [time, host, app, procid, msgid] = header;
  let tsMs: number | null = null;
  if (time !== '-') {
    tsMs = /^\d{4}-\d\d-\d\dT/.test(time) ? Date.parse(time) : NaN;
    if (Number.isNaN(tsMs)) return null;
  }
  set(fields, 'host', host);
  set(fields, 'app', app);
  if (procid !== '-' && procid !== '') fields.pid = /^\d{1,15}$/.test(procid) ? Number(procid) : procid;
  set(fields, 'msgid', msgid);
  if (msg.startsWith('-', pos)) pos += msg.charCodeAt(pos + 1) === 32 ? 2 : 1;
  else if (msg.charCodeAt(pos) === 91 /* [ */) {
    const end = parseStructuredData(msg, pos, fields);
    // Structured data that does not parse stays in the message: the text matters more than its structure.
    if (end >= 0) pos = msg.charCodeAt(end) === 32 ? end + 1 : end;
  }
  let text = msg.slice(pos);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  fields.message = text;
  return { tsMs, fields };
}

/** Parses `[id k="v" …]…` into `sd.<id>.<k>`; answers the position after it, or -1 (then nothing is set). */
function parseStructuredData(msg: string, pos: number, fields: Fields): number {
  const found: Array<[string, string]> = [];
  while (msg.charCodeAt(pos) === 91) {
    const idEnd = msg.slice(pos + 1).search(/[ \]]/);
    if (idEnd <= 0) return -1;
    const id = msg.slice(pos + 1, pos + 1 + idEnd);
    pos += 1 + idEnd;
    while (msg.charCodeAt(pos) === 32) {
      const eq = msg.indexOf('="', pos + 1);
      if (eq < 0) return -1;
      const name = msg.slice(pos + 1, eq);
      let value = '';
      let i = eq + 2;
      for (; i < msg.length && msg.charCodeAt(i) !== 34; i++) {
        const c = msg[i];
        if (c === '\\' && (msg[i + 1] === '"' || msg[i + 1] === '\\' || msg[i + 1] === ']')) value += msg[++i];
        else value += c;
      }
      if (i >= msg.length) return -1;
      found.push([`sd.${id}.${name}`, value]);
      pos = i + 1;
    }
    if (msg.charCodeAt(pos) !== 93 /* ] */) return -1;
    pos++;
  }
  for (const [k, v] of found) fields[k] = v;
  return pos;
}

function parse3164(msg: string, pos: number, fields: Fields): ParsedSyslog {
  let rest = msg.slice(pos);
  const time = RFC3164_TIME.exec(rest);
  if (time !== null) {
    fields['syslog.timestamp'] = time[0].trimEnd();
    rest = rest.slice(time[0].length);
    // HOST, unless the sender left it out and the next word is already the tag (`app[12]:` or `app:`).
    const sp = rest.indexOf(' ');
    if (sp > 0 && !TAG.test(rest)) {
      fields.host = rest.slice(0, sp);
      rest = rest.slice(sp + 1);
    }
  }
  const tag = TAG.exec(rest);
  if (tag !== null) {
    fields.app = tag[1];
    if (tag[2] !== undefined) fields.pid = /^\d{1,15}$/.test(tag[2]) ? Number(tag[2]) : tag[2];
    rest = rest.slice(tag[0].length);
  }
  fields.message = rest;
  return { tsMs: null, fields };
}

function set(fields: Fields, key: string, v: string): void {
  if (v !== '-' && v !== '') fields[key] = v;
}
