import { createHash } from 'node:crypto';
import type { Fields } from '../../../lib/record.ts';
import { JOURNAL_LEVELS } from '../config.ts';

/**
 * One journal entry, as `journalctl -o json` prints it, into a record's fields:
 *
 * | journal field | record field |
 * |---|---|
 * | `MESSAGE` | `message` |
 * | `__REALTIME_TIMESTAMP` (µs) | `@timestamp` (ms) |
 * | `PRIORITY` 0…7 | `level`: emerg, alert, crit, error, warning, notice, info, debug |
 * | `_HOSTNAME` | `host.name` (the agent's host when absent) |
 * | `_SYSTEMD_UNIT` | `systemd.unit` |
 * | `_PID` | `process.pid` (a number) |
 * | `SYSLOG_IDENTIFIER` | `syslog.identifier` |
 * | any other field not starting with `_` | `journald.<name in lower case>` |
 *
 * Other trusted fields (`_COMM`, `_UID`, `_BOOT_ID`…) and the address fields (`__CURSOR`, `__SEQNUM`…) are left
 * out. A value the journal holds as bytes that are not UTF-8 comes as an array of numbers: decoded as UTF-8, each
 * invalid byte becoming U+FFFD. A field given more than once in an entry comes as an array of values: `message`
 * joins them with newlines, a `journald.` field keeps them as JSON array text (as the node keeps arrays).
 */

export interface MappedEntry {
  /** `__REALTIME_TIMESTAMP` in ms; null when absent or not a time. */
  tsMs: number | null;
  fields: Fields;
  cursor: string | null;
}

const MAPPED: Record<string, string> = {
  _HOSTNAME: 'host.name',
  _SYSTEMD_UNIT: 'systemd.unit',
  SYSLOG_IDENTIFIER: 'syslog.identifier',
};
const MAX_MS = 8.64e15;

/** A journal value as text: a string, bytes (an array of numbers), or null when it is neither. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return Buffer.from(v as number[]).toString('utf8');
  return null;
}

/** A value that may be a field given several times (an array of values, each a string or bytes). */
function values(v: unknown): string | string[] | null {
  const one = text(v);
  if (one !== null) return one;
  if (!Array.isArray(v)) return null;
  const all = v.map(text).filter((t): t is string => t !== null);
  return all.length === 0 ? null : all.length === 1 ? all[0] : all;
}

export function mapEntry(o: Record<string, unknown>, agentHost: string): MappedEntry {
  const fields: Fields = {};
  let tsMs: number | null = null;
  let cursor: string | null = null;
  for (const k in o) {
    const v = values(o[k]);
    if (v === null) continue;
    const first = typeof v === 'string' ? v : v[0];
    switch (k) {
      case 'MESSAGE':
        fields.message = typeof v === 'string' ? v : v.join('\n');
        continue;
      case '__REALTIME_TIMESTAMP': {
        const us = /^\d{1,19}$/.test(first) ? Number(first) : NaN;
        if (us / 1000 <= MAX_MS) tsMs = Math.floor(us / 1000);
        continue;
      }
      case '__CURSOR':
        cursor = first;
        continue;
      case 'PRIORITY': {
        const p = /^[0-7]$/.test(first) ? Number(first) : -1;
        if (p >= 0) fields.level = JOURNAL_LEVELS[p];
        else fields['journald.priority'] = first;
        continue;
      }
      case '_PID':
        fields['process.pid'] = /^\d{1,15}$/.test(first) ? Number(first) : first;
        continue;
    }
    const to = MAPPED[k];
    if (to !== undefined) fields[to] = first;
    else if (k.charCodeAt(0) !== 0x5f /* _ */) fields[`journald.${k.toLowerCase()}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  fields.message ??= '';
  fields['host.name'] ??= agentHost;
  return { tsMs, fields, cursor };
}

/**
 * A record's `_id` from its entry's cursor: `<seqnum id>-<seqnum>` (the cursor's `s=` and `i=`, the latter in
 * decimal), which names one entry of one journal however often it is read. A cursor without them (none such is
 * known) is named by a hash of itself: `<32 hex digits>-0`.
 */
export function cursorId(cursor: string): { key: string; seq: number } {
  const m = /(?:^|;)s=([0-9a-f]{1,64});i=([0-9a-f]{1,13})(?:;|$)/.exec(cursor);
  if (m !== null) return { key: m[1], seq: Number.parseInt(m[2], 16) };
  return { key: createHash('sha256').update(cursor).digest('hex').slice(0, 32), seq: 0 };
}
