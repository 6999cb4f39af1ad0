import type { Fields } from '../lib/record.ts';

/** Why an item was refused, as a counter label; `reason` says it for a person. */
export type RejectCode =
  | 'invalid_json'
  | 'not_an_object'
  | 'oversize'
  | 'invalid_timestamp'
  | 'invalid_syntax'
  | 'unknown_field'
  | 'invalid_field'
  | 'conflict'
  | 'pipeline_failed'
  | 'overloaded'
  | 'forbidden'
  | 'storage_failed';

/** Why one item of a request was not stored; `line` is its 1-based position in the request (line, entry, item). */
export interface Rejection {
  line: number;
  code: RejectCode;
  reason: string;
}

/**
 * Records decoded from one request, column by column (the native path decodes hundreds of thousands a second, and
 * parallel arrays cost less than an object per record). Every protocol decodes into this shape; the pipeline maps
 * one batch to another.
 */
export interface DecodedBatch {
  /** Event time, epoch ms. */
  ts: number[];
  /**
   * Null when the decoder did not keep the parsed record (no pipeline, tail or recent search needs it): it is
   * then a verbatim one, without `_id`, whose `fieldsJson` parses to exactly its fields (`fieldsOf`).
   */
  fields: (Fields | null)[];
  /** The fields' JSON text when the input already holds it exactly; null: stringify `fields` when storing. */
  fieldsJson: (string | null)[];
  /**
   * Records kept as bytes of the request body, whose fields nobody needed parsed (native NDJSON and `_bulk`, see
   * protocols/raw-line.ts): record i's fields are the JSON `{` followed by `bytes[start[i], end[i])`, and its
   * `fields` and `fieldsJson` are null. start[i] is -1 for the other records. The bytes are the request's own: valid
   * only until its answer.
   */
  raw?: RawJson;
  /** 1-based position of each record in the request, so answers can name it. */
  pos: number[];
  rejected: Rejection[];
  /** Records stored with a note for the sender, such as an unparseable timestamp replaced by the ingest time. */
  warnings?: Rejection[];
}

export interface RawJson {
  bytes: Buffer;
  start: number[];
  end: number[];
}

export function emptyBatch(): DecodedBatch {
  return { ts: [], fields: [], fieldsJson: [], pos: [], rejected: [], warnings: [] };
}

export function warn(out: DecodedBatch, pos: number, code: RejectCode, reason: string): void {
  (out.warnings ??= []).push({ line: pos, code, reason });
}

/** The text of a value for a message, cut so that a huge or hostile value cannot flood an answer. */
export function preview(v: unknown, max = 100): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v));
  return s.length > max ? s.slice(0, max) + '…' : s;
}

export function pushRecord(out: DecodedBatch, pos: number, ts: number, fields: Fields | null, json: string | null = null): void {
  if (fields === null && json === null) throw new Error('a record needs its fields or their JSON text');
  out.ts.push(ts);
  out.fields.push(fields);
  out.fieldsJson.push(json);
  out.pos.push(pos);
  if (out.raw !== undefined) {
    out.raw.start.push(-1);
    out.raw.end.push(-1);
  }
}

/** A record whose fields are the JSON `{` followed by `out.raw.bytes[start, end)` (see DecodedBatch.raw). */
export function pushRawRecord(out: DecodedBatch, pos: number, ts: number, start: number, end: number): void {
  const raw = out.raw!;
  out.ts.push(ts);
  out.fields.push(null);
  out.fieldsJson.push(null);
  out.pos.push(pos);
  raw.start.push(start);
  raw.end.push(end);
}

export function reject(out: DecodedBatch, pos: number, code: RejectCode, reason: string): void {
  out.rejected.push({ line: pos, code, reason });
}

/** Rejects a record over the size cap; returns whether it was. UTF-16 length bounds UTF-8 bytes from below. */
export function rejectOversize(out: DecodedBatch, pos: number, text: string, maxRecordBytes: number): boolean {
  if (text.length <= maxRecordBytes / 3) return false;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxRecordBytes) return false;
  reject(out, pos, 'oversize', `record is ${bytes} bytes, over the limit of ${maxRecordBytes}`);
  return true;
}

/** The JSON text to store for record `i`. */
export function jsonOf(b: DecodedBatch, i: number): string {
  const j = b.fieldsJson[i];
  if (j !== null) return j;
  const raw = b.raw;
  if (raw !== undefined && raw.start[i] >= 0) return '{' + raw.bytes.toString('utf8', raw.start[i], raw.end[i]);
  return JSON.stringify(b.fields[i]);
}

/** Record `i`'s fields, parsed again from its JSON text when the decoder did not keep them. */
export function fieldsOf(b: DecodedBatch, i: number): Fields {
  return (b.fields[i] ??= JSON.parse(jsonOf(b, i)) as Fields);
}
