/**
 * The one standard record every input becomes. `@timestamp` is kept apart from the other fields because every
 * layer (log, head, segments, queries) orders and filters by it.
 */
export type FieldValue = string | number | boolean;
export type Fields = Record<string, FieldValue>;

export interface LogRecord {
  /** Event time, epoch milliseconds. */
  ts: number;
  /** Flattened fields (dotted keys); `message` is the usual text field. Never contains `@timestamp`. */
  fields: Fields;
}

export const TIMESTAMP_FIELD = '@timestamp';
export const MESSAGE_FIELD = 'message';
/** Keys that describe a hit rather than the record; a record may not set them. */
const RESERVED = new Set(['_id', '_index', TIMESTAMP_FIELD]);

/**
 * Whether a key from a decoded input must not become a field: the reserved keys, and `__proto__`, which assigning
 * would set an object's prototype. For decoders that build fields themselves rather than through normalizeObject.
 */
export function isReservedKey(key: string): boolean {
  return RESERVED.has(key) || key === '__proto__';
}
const MAX_DEPTH = 32;

/**
 * Parses a timestamp given as ISO 8601 / RFC 3339 text, epoch milliseconds (number or digits), or returns NaN.
 * Epoch values are taken as milliseconds, as the record contract says; ingest pipelines convert other units.
 */
export function parseTimestamp(v: unknown): number {
  let t: number;
  if (typeof v === 'number') t = v;
  else if (typeof v !== 'string' || v.length === 0) return NaN;
  else if (/^-?\d+(\.\d+)?$/.test(v)) t = Number(v);
  else t = Date.parse(v);
  // Whole milliseconds inside the range a Date can represent; anything else is not a timestamp.
  return Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS ? Math.floor(t) : NaN;
}
const MAX_DATE_MS = 8.64e15;

/** A normalized record, and whether its fields are exactly the input object's members minus `@timestamp`. */
export interface NormalizedRecord extends LogRecord {
  /**
   * True when nothing was flattened, converted or dropped (every member a string, boolean or finite number, no
   * reserved key but `@timestamp`): the input's own JSON text then serializes the fields, so ingest need not
   * stringify them again.
   */
  verbatim: boolean;
  /** Whether the input had a `@timestamp` member (whatever its value). */
  hadTimestamp: boolean;
  /** The input had a non-null `@timestamp` that did not parse, so the ingest time was used. */
  timestampInvalid: boolean;
}

/**
 * Turns a decoded JSON object into a record: picks the timestamp (ingest time when absent or unparseable),
 * flattens nested objects to dotted keys, keeps arrays as their JSON text and drops nulls.
 */
export function normalizeObject(obj: Record<string, unknown>, nowMs: number): NormalizedRecord {
  const hadTimestamp = Object.hasOwn(obj, TIMESTAMP_FIELD);
  let ts = parseTimestamp(obj[TIMESTAMP_FIELD]);
  const timestampInvalid = Number.isNaN(ts) && hadTimestamp && obj[TIMESTAMP_FIELD] !== null;
  if (Number.isNaN(ts)) ts = nowMs;
  const fields: Fields = {};
  const verbatim = flattenInto(fields, obj, '', 0);
  return { ts, fields, verbatim, hadTimestamp, timestampInvalid };
}

/** Returns whether every member was copied as it is (see NormalizedRecord.verbatim). */
function flattenInto(out: Fields, obj: Record<string, unknown>, prefix: string, depth: number): boolean {
  let verbatim = true;
  for (const key in obj) {
    const v = obj[key];
    const name = prefix === '' ? key : prefix + '.' + key;
    if (prefix === '' && RESERVED.has(key)) {
      if (key !== TIMESTAMP_FIELD) verbatim = false;
      continue;
    }
    // Assigning it would set the prototype, not a field: such a member is dropped.
    if (key === '__proto__') {
      verbatim = false;
      continue;
    }
    if (v === null || v === undefined) {
      verbatim = false;
      continue;
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        out[name] = v;
        break;
      case 'number':
        if (Number.isFinite(v)) out[name] = v;
        else verbatim = false;
        break;
      case 'object':
        verbatim = false;
        if (Array.isArray(v) || depth >= MAX_DEPTH) out[name] = JSON.stringify(v);
        else flattenInto(out, v as Record<string, unknown>, name, depth + 1);
        break;
      default:
        verbatim = false;
        break;
    }
  }
  return verbatim;
}

/**
 * The record's `_id`, when its sender gave one: `_bulk` stores it as the record's first field. Every other input
 * drops `_id` as reserved and pipelines cannot set or remove it, so a record carries one only from its sender.
 * Within an index, records with the same `_id` are stored once.
 */
export function recordId(fields: Fields | null): string | null {
  if (fields === null) return null;
  const v = fields._id;
  return typeof v === 'string' ? v : null;
}

/** A plain text line becomes a record with the ingest time. */
export function textRecord(line: string, nowMs: number): LogRecord {
  return { ts: nowMs, fields: { [MESSAGE_FIELD]: line } };
}
