import type { Fields } from '../../lib/record.ts';
import { normalizeObject, textRecord } from '../../lib/record.ts';
import { forEachWindow } from './windows.ts';
import { DECODE, eachRawLine } from './raw-line.ts';
import { type DecodedBatch, emptyBatch, preview, pushRawRecord, pushRecord, type RejectCode, reject, rejectOversize, warn } from '../batch.ts';

/** One JSON line made a record: its fields' stored JSON when cut from the line, and a note on a bad timestamp. */
export type JsonLine =
  | { ok: true; ts: number; fields: Fields; json: string | null; timestampProblem: string | null }
  | { ok: false; code: RejectCode; reason: string };

/**
 * One line of JSON into a record by the record rules (lib/record.ts), or why it cannot be one. Shared by every
 * protocol that carries one JSON object a line (native NDJSON, `_bulk` sources).
 */
export function decodeJsonLine(text: string, nowMs: number): JsonLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, code: 'invalid_json', reason: `invalid JSON: ${(e as Error).message.slice(0, 200)}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, code: 'not_an_object', reason: 'expected a JSON object' };
  const r = normalizeObject(v as Record<string, unknown>, nowMs);
  const timestampProblem = r.timestampInvalid
    ? `@timestamp ${preview((v as Record<string, unknown>)['@timestamp'])} is not ISO 8601 or epoch ms; stored with the ingest time`
    : null;
  return { ok: true, ts: r.ts, fields: r.fields, json: r.verbatim ? verbatimJson(text, r.hadTimestamp) : null, timestampProblem };
}

/**
 * Decodes a native ingest body: NDJSON (one JSON object a line) or plain text (one message a line). Each bad line
 * is rejected with its 1-based line number and reason; the others are kept. Blank lines are skipped.
 * A body given as bytes is decoded a window of whole lines at a time (windows.ts).
 *
 * `keepFields` false drops the parsed object of each record whose stored JSON is cut from its line (fields null,
 * see DecodedBatch), for a caller that will not read it: a request's records then die young. Kept until their
 * answer, they outlived the young generation, and copying and promoting them was most of the main thread's
 * collection work.
 */
export function decodeLines(body: string | Buffer, format: 'ndjson' | 'text', nowMs: number, maxRecordBytes: number, keepFields = true): DecodedBatch {
  const out = emptyBatch();
  if (typeof body === 'string') {
    decodeText(out, body, 0, format, nowMs, maxRecordBytes, keepFields);
    return out;
  }
  if (format === 'ndjson' && !keepFields) {
    decodeRawLines(out, body, nowMs, maxRecordBytes);
    return out;
  }
  let line = 0;
  forEachWindow(body, (text) => (line = decodeText(out, text, line, format, nowMs, maxRecordBytes, keepFields)));
  return out;
}

/**
 * NDJSON bytes whose records nobody needs parsed: each line that RawLineReader can take is kept as bytes of the body
 * (see DecodedBatch.raw), every other line is decoded as text, exactly as decodeText would.
 */
function decodeRawLines(out: DecodedBatch, body: Buffer, nowMs: number, maxRecordBytes: number): void {
  out.raw = { bytes: body, start: [], end: [] };
  let line = 0;
  eachRawLine(body, maxRecordBytes, nowMs, (from, stop, start, ts) => {
    line++;
    if (start >= 0) pushRawRecord(out, line, ts, start, stop);
    else if (start === DECODE) decodeItem(out, body.toString('utf8', from, stop), line, 'ndjson', nowMs, maxRecordBytes, false);
  });
}

/** Decodes the lines of `text` into `out`, numbering them on from `line`; returns the last line's number. */
function decodeText(out: DecodedBatch, text: string, line: number, format: 'ndjson' | 'text', nowMs: number, maxRecordBytes: number, keepFields: boolean): number {
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    line++;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    decodeItem(out, text.slice(pos, stop), line, format, nowMs, maxRecordBytes, keepFields);
    pos = end + 1;
  }
  return line;
}

/** One line of a body (without its line break) into `out`: a record, a rejection, or nothing when it is blank. */
function decodeItem(out: DecodedBatch, item: string, line: number, format: 'ndjson' | 'text', nowMs: number, maxRecordBytes: number, keepFields: boolean): void {
  if (item.trim() === '') return;
  if (rejectOversize(out, line, item, maxRecordBytes)) return;
  if (format === 'text') {
    const r = textRecord(item, nowMs);
    pushRecord(out, line, r.ts, r.fields);
    return;
  }
  const r = decodeJsonLine(item, nowMs);
  if (!r.ok) {
    reject(out, line, r.code, r.reason);
    return;
  }
  if (r.timestampProblem !== null) warn(out, line, 'invalid_timestamp', r.timestampProblem);
  pushRecord(out, line, r.ts, keepFields || r.json === null ? r.fields : null, r.json);
}

const TS_MEMBER = '{"@timestamp":';

/**
 * The JSON text of a verbatim record's fields cut from its own line, or null when that cannot be done safely.
 * Stringifying a parsed record again is the costliest step of ingest after parsing it; most shippers send
 * `{"@timestamp":…,` first and compact, so the fields are the rest of the line. Anything else (spaces, escapes in
 * the timestamp, the key repeated) takes the slow path.
 */
export function verbatimJson(line: string, hadTimestamp: boolean): string | null {
  if (!hadTimestamp) return line;
  if (!line.startsWith(TS_MEMBER)) return null;
  let i = TS_MEMBER.length;
  const c = line.charCodeAt(i);
  if (c === 34 /* " */) {
    for (i++; i < line.length; i++) {
      const d = line.charCodeAt(i);
      if (d === 34) break;
      if (d === 92 /* \ */) return null;
    }
    i++;
  } else if ((c >= 48 && c <= 57) || c === 45 /* - */) {
    for (; i < line.length; i++) {
      const d = line.charCodeAt(i);
      // digits, e, E, +, -, .
      if (!((d >= 48 && d <= 57) || d === 101 || d === 69 || d === 43 || d === 45 || d === 46)) break;
    }
  } else {
    return null;
  }
  const rest = line.charCodeAt(i);
  let json: string;
  if (rest === 44 /* , */) json = '{' + line.slice(i + 1);
  else if (rest === 125 /* } */ && line.slice(i + 1).trim() === '') json = '{}';
  else return null;
  return json.includes('"@timestamp"') ? null : json;
}
