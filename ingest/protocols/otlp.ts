import { StrataError } from '../../lib/errors.ts';
import type { FieldValue, Fields } from '../../lib/record.ts';
import { isReservedKey } from '../../lib/record.ts';
import { type DecodedBatch, type RejectCode, emptyBatch, pushRecord, reject } from '../batch.ts';
import { Otlp } from './proto/otlp-logs.ts';
import {
  KeyCache, type MessageSpec, type Reader, errorText, isProtobufMediaType, lengthEnd, mediaType, newReader, nsTextToMs,
  readFixed64Ms, readInt64, skipField, specOf,
} from './proto/wire.ts';

/**
 * OTLP logs over HTTP (`POST /v1/logs`), protobuf or OTLP/JSON. A log record becomes a record with its resource's
 * attributes, then its scope's (`scope.name`, `scope.version` and attributes), then its own attributes, each level
 * overriding the one before for a shared key; the record's own parts (`message`, `level`, `severity_number`,
 * `trace_id`, `span_id`, `event_name`) are set last. Keys stay as sent (`service.name`); a map value is flattened with
 * dots, an array kept as its JSON text, bytes as base64, an int64 past 2^53 as its exact decimal text.
 *
 * Positions count log records across the request. A resource or scope that cannot be read rejects each of its
 * records; framing broken inside a ResourceLogs or ScopeLogs costs one position for the part that could not be read.
 * This file holds both encodings, which must stay field-for-field alike, so that one reading keeps them in step.
 */

/** Which encoding a Content-Type names, for the request and so for its answer; null when OTLP/HTTP has none such. */
export function otlpEncoding(contentType: string): 'json' | 'protobuf' | null {
  const t = mediaType(contentType);
  if (t === 'application/json') return 'json';
  return isProtobufMediaType(t) ? 'protobuf' : null;
}

export function decodeOtlpLogs(body: Buffer, contentType: string, nowMs: number, maxRecordBytes: number): DecodedBatch {
  const enc = otlpEncoding(contentType);
  if (enc === null) {
    throw new StrataError('invalid_request', `unsupported Content-Type "${contentType}" for OTLP logs: send application/x-protobuf or application/json`);
  }
  const ctx: Ctx = { out: emptyBatch(), nowMs, max: maxRecordBytes, pos: 0, s: newScratch(), records: [] };
  if (enc === 'protobuf') decodeProtobuf(ctx, body);
  else decodeJson(ctx, body);
  return ctx.out;
}

/** The answer to an export: empty, or partial success with the count of rejected records and why. */
export function encodeOtlpResponse(rejected: number, message: string, protobuf: boolean): { body: Buffer; contentType: string } {
  const partial = rejected > 0 || message !== '';
  if (protobuf) {
    const T = Otlp.ExportLogsServiceResponse;
    const msg = partial ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } } : {};
    const bytes = T.encode(T.fromObject(msg)).finish();
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), contentType: 'application/x-protobuf' };
  }
  // OTLP/JSON follows the proto3 mapping, where an int64 is written as a decimal string.
  const doc = partial ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } } : {};
  return { body: Buffer.from(JSON.stringify(doc)), contentType: 'application/json' };
}

// ---------------------------------------------------------------------------------------------------------------
// What both encodings share: the request state, the record's own parts gathered while walking it, and assembly.

interface Ctx {
  out: DecodedBatch;
  nowMs: number;
  max: number;
  pos: number;
  s: Scratch;
  /** Start and end offsets of the current ScopeLogs' records, reused from scope to scope. */
  records: number[];
}

/** A log record's parts besides its attributes, reset for each record rather than allocated. */
interface Scratch {
  /** Epoch ms; -1 when not set. */
  timeMs: number;
  observedMs: number;
  severityNumber: number;
  severityText: string;
  message: string | undefined;
  traceId: string;
  spanId: string;
  eventName: string;
  /** UTF-16 units of keys and values so far (8 per number or boolean): a cheap bound before measuring bytes. */
  size: number;
  invalid: string | null;
  /** Protobuf attribute keys, by their ordinal in the record (`slot`). */
  keys: KeyCache;
  slot: number;
}

function newScratch(): Scratch {
  return {
    timeMs: -1, observedMs: -1, severityNumber: 0, severityText: '', message: undefined, traceId: '', spanId: '', eventName: '', size: 0,
    invalid: null, keys: new KeyCache(), slot: 0,
  };
}

function resetScratch(s: Scratch, size: number): void {
  s.timeMs = -1;
  s.observedMs = -1;
  s.severityNumber = 0;
  s.severityText = '';
  s.message = undefined;
  s.traceId = '';
  s.spanId = '';
  s.eventName = '';
  s.size = size;
  s.invalid = null;
  s.slot = 0;
}

/** How deep maps and arrays may nest in a value: deeper is hostile or broken, and recursion must stay bounded. */
const MAX_DEPTH = 32;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function put(f: Fields, key: string, v: FieldValue, s: Scratch): void {
  if (isReservedKey(key)) return;
  f[key] = v;
  s.size += key.length + (typeof v === 'string' ? v.length : 8);
}

/** For the record's own text parts, where proto3 means "not set" by an empty string. */
function putText(f: Fields, key: string, v: string, s: Scratch): void {
  if (v !== '') put(f, key, v, s);
}

class Refusal extends Error {
  constructor(
    readonly code: RejectCode,
    message: string,
  ) {
    super(message);
  }
}

function finish(ctx: Ctx, pos: number, f: Fields): void {
  const s = ctx.s;
  if (s.invalid !== null) return reject(ctx.out, pos, 'invalid_field', s.invalid);
  const ts = s.timeMs >= 0 ? s.timeMs : s.observedMs >= 0 ? s.observedMs : ctx.nowMs;
  if (s.message !== undefined) {
    f.message = s.message;
    s.size += 7 + s.message.length;
  }
  const n = s.severityNumber;
  if (s.severityText !== '') f.level = s.severityText.toLowerCase();
  else if (n >= 1 && n <= 24) f.level = LEVELS[(n - 1) >> 2];
  if (n !== 0) f.severity_number = n;
  if (s.traceId !== '') f.trace_id = s.traceId;
  if (s.spanId !== '') f.span_id = s.spanId;
  if (s.eventName !== '') {
    f.event_name = s.eventName;
    s.size += s.eventName.length;
  }
  if ((s.size + s.severityText.length + 100) * 3 > ctx.max) {
    const bytes = recordBytes(f);
    if (bytes > ctx.max) return reject(ctx.out, pos, 'oversize', `record is ${bytes} bytes, over the limit of ${ctx.max}`);
  }
  pushRecord(ctx.out, pos, ts, f);
}

function recordBytes(f: Fields): number {
  let n = 0;
  for (const k in f) {
    const v = f[k];
    n += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 8);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Protobuf. The request's own framing must hold, or nothing can be numbered: the body is refused whole. Below it,
// each ResourceLogs, ScopeLogs and LogRecord is read within its own length, so corruption stays where it is.

const REQUEST = specOf(Otlp.ExportLogsServiceRequest);
const RESOURCE_LOGS = specOf(Otlp.ResourceLogs);
const SCOPE_LOGS = specOf(Otlp.ScopeLogs);
const RECORD = specOf(Otlp.LogRecord);
const RESOURCE = specOf(Otlp.Resource);
const SCOPE = specOf(Otlp.InstrumentationScope);
const KEY_VALUE = specOf(Otlp.KeyValue);
const ANY = specOf(Otlp.AnyValue);
const ARRAY = specOf(Otlp.ArrayValue);
const KVLIST = specOf(Otlp.KeyValueList);

function decodeProtobuf(ctx: Ctx, body: Buffer): void {
  const r = newReader(body);
  const resources = collect(r, r.len, REQUEST, REQUEST.tag.resourceLogs, [], null);
  if (typeof resources === 'string') throw new StrataError('invalid_request', `the body is not a valid OTLP ExportLogsServiceRequest: ${resources}`);
  for (let i = 0; i < resources.length; i += 2) protoResourceLogs(ctx, r, resources[i], resources[i + 1], i / 2);
}

/**
 * Reads a message's fields from r.pos to `end`, pushing the start and end of each `repeatedTag` field into `ranges`
 * and handing `single` (if given) the range of the other length-delimited field it wants. Returns the ranges, or
 * the reason the framing broke (the ranges read until then are kept in the array).
 */
function collect(r: Reader, end: number, spec: MessageSpec, repeatedTag: number, ranges: number[], single: Single | null): number[] | string {
  r.len = end;
  try {
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === repeatedTag || (single !== null && tag === single.tag)) {
        const e = lengthEnd(r);
        if (tag === repeatedTag) ranges.push(r.pos, e);
        else {
          single!.start = r.pos;
          single!.end = e;
        }
        r.pos = e;
      } else skipField(r, tag, spec);
    }
  } catch (e) {
    return errorText(e);
  }
  return ranges;
}

interface Single {
  tag: number;
  start: number;
  end: number;
}

function protoResourceLogs(ctx: Ctx, r: Reader, start: number, end: number, n: number): void {
  const where = `resourceLogs[${n}]`;
  const resource: Single = { tag: RESOURCE_LOGS.tag.resource, start: -1, end: -1 };
  const scopes: number[] = [];
  r.pos = start;
  const broken = collect(r, end, RESOURCE_LOGS, RESOURCE_LOGS.tag.scopeLogs, scopes, resource);
  const base: Fields = {};
  let err: string | null = null;
  ctx.s.size = 0;
  ctx.s.slot = 0;
  if (resource.start >= 0) {
    try {
      r.pos = resource.start;
      r.len = resource.end;
      while (r.pos < resource.end) {
        const tag = r.tag();
        if (tag === RESOURCE.tag.attributes) protoKeyValue(r, base, '', 0, ctx.s);
        else skipField(r, tag, RESOURCE);
      }
    } catch (e) {
      err = `${where}.resource cannot be read: ${errorText(e)}`;
    }
  }
  const baseSize = ctx.s.size;
  for (let i = 0; i < scopes.length; i += 2) protoScopeLogs(ctx, r, scopes[i], scopes[i + 1], base, baseSize, err, `${where}.scopeLogs[${i / 2}]`);
  if (typeof broken === 'string') {
    reject(ctx.out, ++ctx.pos, 'invalid_syntax', `${where} is corrupt after ${scopes.length / 2} scopeLogs, the rest of it is lost: ${broken}`);
  }
}

function protoScopeLogs(ctx: Ctx, r: Reader, start: number, end: number, base: Fields, baseSize: number, err: string | null, where: string): void {
  const scope: Single = { tag: SCOPE_LOGS.tag.scope, start: -1, end: -1 };
  const records = ctx.records;
  records.length = 0;
  r.pos = start;
  const broken = collect(r, end, SCOPE_LOGS, SCOPE_LOGS.tag.logRecords, records, scope);
  let scoped = base;
  ctx.s.size = baseSize;
  ctx.s.slot = 0;
  if (err === null && scope.start >= 0) {
    scoped = Object.assign({}, base);
    try {
      r.pos = scope.start;
      r.len = scope.end;
      while (r.pos < scope.end) {
        const tag = r.tag();
        if (tag === SCOPE.tag.name) putText(scoped, 'scope.name', r.string(), ctx.s);
        else if (tag === SCOPE.tag.version) putText(scoped, 'scope.version', r.string(), ctx.s);
        else if (tag === SCOPE.tag.attributes) protoKeyValue(r, scoped, '', 0, ctx.s);
        else skipField(r, tag, SCOPE);
      }
    } catch (e) {
      err = `${where}.scope cannot be read: ${errorText(e)}`;
    }
  }
  const scopedSize = ctx.s.size;
  for (let i = 0; i < records.length; i += 2) {
    const pos = ++ctx.pos;
    if (err !== null) reject(ctx.out, pos, 'invalid_syntax', err);
    else protoRecord(ctx, r, pos, records[i], records[i + 1], scoped, scopedSize);
  }
  if (typeof broken === 'string') {
    reject(ctx.out, ++ctx.pos, 'invalid_syntax', `${where} is corrupt after ${records.length / 2} logRecords, the rest of it is lost: ${broken}`);
  }
}

function protoRecord(ctx: Ctx, r: Reader, pos: number, start: number, end: number, scoped: Fields, scopedSize: number): void {
  const s = ctx.s;
  resetScratch(s, scopedSize);
  // Not `{ ...scoped }`: V8 extends a spread copy with new keys some 30x slower (measured), the cost of a record.
  const f: Fields = Object.assign({}, scoped);
  r.pos = start;
  r.len = end;
  try {
    while (r.pos < end) {
      const tag = r.tag();
      switch (tag) {
        case RECORD.tag.timeUnixNano:
          s.timeMs = readFixed64Ms(r);
          break;
        case RECORD.tag.observedTimeUnixNano:
          s.observedMs = readFixed64Ms(r);
          break;
        case RECORD.tag.severityNumber:
          s.severityNumber = r.int32();
          break;
        case RECORD.tag.severityText:
          s.severityText = r.string();
          break;
        case RECORD.tag.body: {
          const e = lengthEnd(r);
          r.len = e;
          const v = protoAny(r, e, f, 'body', 0, s);
          r.len = end;
          if (v !== undefined) s.message = typeof v === 'string' ? v : String(v);
          break;
        }
        case RECORD.tag.attributes:
          protoKeyValue(r, f, '', 0, s);
          break;
        case RECORD.tag.traceId:
          s.traceId = protoId(r, 16, 'trace_id', s);
          break;
        case RECORD.tag.spanId:
          s.spanId = protoId(r, 8, 'span_id', s);
          break;
        case RECORD.tag.eventName:
          s.eventName = r.string();
          break;
        default:
          skipField(r, tag, RECORD);
      }
    }
  } catch (e) {
    return reject(ctx.out, pos, 'invalid_syntax', `not a valid LogRecord: ${errorText(e)}`);
  }
  finish(ctx, pos, f);
}

function protoId(r: Reader, size: number, name: string, s: Scratch): string {
  const e = lengthEnd(r);
  const n = e - r.pos;
  const hex = (r.buf as Buffer).toString('hex', r.pos, e);
  r.pos = e;
  if (n !== size && n !== 0) s.invalid = `${name} must be ${size} bytes, not ${n}`;
  return hex;
}

/** A KeyValue at r.pos: its value set in `f` under `prefix + key` (a map's members under `prefix + key + '.'`). */
function protoKeyValue(r: Reader, f: Fields, prefix: string, depth: number, s: Scratch): void {
  const end = lengthEnd(r);
  const outer = r.len;
  r.len = end;
  let name = prefix;
  let vs = -1;
  let ve = -1;
  // The key may follow the value on the wire, so the value is read once the key is known.
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === KEY_VALUE.tag.key) name = s.keys.read(r, s.slot++, prefix);
    else if (tag === KEY_VALUE.tag.value) {
      ve = lengthEnd(r);
      vs = r.pos;
      r.pos = ve;
    } else skipField(r, tag, KEY_VALUE);
  }
  if (vs >= 0) {
    r.pos = vs;
    r.len = ve;
    const v = protoAny(r, ve, f, name, depth, s);
    if (v !== undefined) put(f, name, v, s);
    r.pos = end;
  }
  r.len = outer;
}

/**
 * An AnyValue from r.pos to `end`: returns a scalar for a field (an array as JSON text, bytes as base64), or
 * undefined for an empty value or a map, whose members it sets in `f` under `key + '.'`.
 */
function protoAny(r: Reader, end: number, f: Fields, key: string, depth: number, s: Scratch): FieldValue | undefined {
  if (depth > MAX_DEPTH) throw new Error(`values nested deeper than ${MAX_DEPTH} levels`);
  let v: FieldValue | undefined;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case ANY.tag.stringValue:
        v = r.string();
        break;
      case ANY.tag.boolValue:
        v = r.bool();
        break;
      case ANY.tag.intValue:
        v = readInt64(r);
        break;
      case ANY.tag.doubleValue:
        v = finite(r.double());
        break;
      case ANY.tag.bytesValue: {
        const e = lengthEnd(r);
        v = (r.buf as Buffer).toString('base64', r.pos, e);
        r.pos = e;
        break;
      }
      case ANY.tag.arrayValue: {
        const e = lengthEnd(r);
        r.len = e;
        v = JSON.stringify(protoArrayPlain(r, e, depth + 1));
        r.len = end;
        break;
      }
      case ANY.tag.kvlistValue: {
        const e = lengthEnd(r);
        r.len = e;
        while (r.pos < e) {
          const t = r.tag();
          if (t === KVLIST.tag.values) protoKeyValue(r, f, key + '.', depth + 1, s);
          else skipField(r, t, KVLIST);
        }
        r.len = end;
        v = undefined;
        break;
      }
      default:
        skipField(r, tag, ANY);
    }
  }
  return v;
}

/** An AnyValue as a plain JSON value, for the inside of arrays (kept as JSON text). */
function protoAnyPlain(r: Reader, end: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`values nested deeper than ${MAX_DEPTH} levels`);
  let v: unknown = null;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === ANY.tag.stringValue) v = r.string();
    else if (tag === ANY.tag.boolValue) v = r.bool();
    else if (tag === ANY.tag.intValue) v = readInt64(r);
    else if (tag === ANY.tag.doubleValue) v = finite(r.double());
    else if (tag === ANY.tag.bytesValue || tag === ANY.tag.arrayValue || tag === ANY.tag.kvlistValue) {
      const e = lengthEnd(r);
      r.len = e;
      if (tag === ANY.tag.bytesValue) v = (r.buf as Buffer).toString('base64', r.pos, e);
      else if (tag === ANY.tag.arrayValue) v = protoArrayPlain(r, e, depth + 1);
      else v = protoKvlistPlain(r, e, depth + 1);
      r.pos = e;
      r.len = end;
    } else skipField(r, tag, ANY);
  }
  return v;
}

function protoArrayPlain(r: Reader, end: number, depth: number): unknown[] {
  const a: unknown[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === ARRAY.tag.values) {
      const e = lengthEnd(r);
      r.len = e;
      a.push(protoAnyPlain(r, e, depth));
      r.len = end;
    } else skipField(r, tag, ARRAY);
  }
  return a;
}

function protoKvlistPlain(r: Reader, end: number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = Object.create(null);
  while (r.pos < end) {
    const tag = r.tag();
    if (tag !== KVLIST.tag.values) {
      skipField(r, tag, KVLIST);
      continue;
    }
    const e = lengthEnd(r);
    r.len = e;
    let key = '';
    let v: unknown = null;
    while (r.pos < e) {
      const t = r.tag();
      if (t === KEY_VALUE.tag.key) key = r.string();
      else if (t === KEY_VALUE.tag.value) {
        const ve = lengthEnd(r);
        r.len = ve;
        v = protoAnyPlain(r, ve, depth);
        r.len = e;
      } else skipField(r, t, KEY_VALUE);
    }
    o[key] = v;
    r.len = end;
  }
  return o;
}

/** A double as a field: NaN and the infinities have no JSON number, so they are kept as their text. */
function finite(d: number): FieldValue {
  return Number.isFinite(d) ? d : String(d);
}

// ---------------------------------------------------------------------------------------------------------------
// OTLP/JSON: the proto3 JSON mapping with lowerCamelCase keys, int64 as strings or numbers, enums as integers, and
// trace and span ids as hex. A body that is not JSON, or not an object, is refused whole.

function decodeJson(ctx: Ctx, body: Buffer): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new StrataError('invalid_request', `invalid JSON in OTLP logs: ${errorText(e)}`);
  }
  if (!isObject(doc)) throw new StrataError('invalid_request', 'an OTLP/JSON logs export must be an object with "resourceLogs"');
  const rls = doc.resourceLogs ?? [];
  if (!Array.isArray(rls)) throw new StrataError('invalid_request', '"resourceLogs" must be an array');
  const { out, s } = ctx;
  for (let n = 0; n < rls.length; n++) {
    const rl: unknown = rls[n];
    const where = `resourceLogs[${n}]`;
    if (!isObject(rl)) {
      reject(out, ++ctx.pos, 'not_an_object', `${where} is not an object`);
      continue;
    }
    const sls = rl.scopeLogs ?? [];
    if (!Array.isArray(sls)) {
      reject(out, ++ctx.pos, 'invalid_field', `${where}.scopeLogs is not an array`);
      continue;
    }
    const base: Fields = {};
    let err: string | null = null;
    s.size = 0;
    try {
      const res = rl.resource;
      if (res !== undefined && res !== null) {
        if (!isObject(res)) throw new Error('not an object');
        jsonKeyValues(res.attributes, base, '', 0, s);
      }
    } catch (e) {
      err = `${where}.resource cannot be read: ${errorText(e)}`;
    }
    const baseSize = s.size;
    for (let m = 0; m < sls.length; m++) jsonScopeLogs(ctx, sls[m], base, baseSize, err, `${where}.scopeLogs[${m}]`);
  }
}

function jsonScopeLogs(ctx: Ctx, sl: unknown, base: Fields, baseSize: number, err: string | null, where: string): void {
  const { out, s } = ctx;
  if (!isObject(sl)) return reject(out, ++ctx.pos, 'not_an_object', `${where} is not an object`);
  const recs = sl.logRecords ?? [];
  if (!Array.isArray(recs)) return reject(out, ++ctx.pos, 'invalid_field', `${where}.logRecords is not an array`);
  let scoped = base;
  s.size = baseSize;
  const scope = sl.scope;
  if (err === null && scope !== undefined && scope !== null) {
    scoped = Object.assign({}, base);
    try {
      if (!isObject(scope)) throw new Error('not an object');
      if (scope.name !== undefined) putText(scoped, 'scope.name', str(scope.name, 'name'), s);
      if (scope.version !== undefined) putText(scoped, 'scope.version', str(scope.version, 'version'), s);
      jsonKeyValues(scope.attributes, scoped, '', 0, s);
    } catch (e) {
      err = `${where}.scope cannot be read: ${errorText(e)}`;
    }
  }
  const scopedSize = s.size;
  for (let i = 0; i < recs.length; i++) {
    const pos = ++ctx.pos;
    if (err !== null) reject(out, pos, 'invalid_field', err);
    else jsonRecord(ctx, pos, recs[i], scoped, scopedSize);
  }
}

function jsonRecord(ctx: Ctx, pos: number, rec: unknown, scoped: Fields, scopedSize: number): void {
  const s = ctx.s;
  resetScratch(s, scopedSize);
  if (!isObject(rec)) return reject(ctx.out, pos, 'not_an_object', 'a log record must be an object');
  // Not `{ ...scoped }`: V8 extends a spread copy with new keys some 30x slower (measured), the cost of a record.
  const f: Fields = Object.assign({}, scoped);
  try {
    s.timeMs = jsonNanos(rec.timeUnixNano);
    s.observedMs = jsonNanos(rec.observedTimeUnixNano);
    s.severityNumber = jsonSeverity(rec.severityNumber);
    if (rec.severityText !== undefined) s.severityText = str(rec.severityText, 'severityText');
    if (rec.eventName !== undefined) s.eventName = str(rec.eventName, 'eventName');
    if (rec.traceId !== undefined) s.traceId = jsonId(rec.traceId, 32, 'traceId');
    if (rec.spanId !== undefined) s.spanId = jsonId(rec.spanId, 16, 'spanId');
    if (rec.body !== undefined && rec.body !== null) {
      const v = jsonAny(rec.body, f, 'body', 0, s);
      if (v !== undefined) s.message = typeof v === 'string' ? v : String(v);
    }
    jsonKeyValues(rec.attributes, f, '', 0, s);
  } catch (e) {
    return reject(ctx.out, pos, e instanceof Refusal ? e.code : 'invalid_field', errorText(e));
  }
  finish(ctx, pos, f);
}

/** Unix nanoseconds as digits (or a number) → epoch ms; -1 when absent or zero. */
function jsonNanos(v: unknown): number {
  if (v === undefined || v === null) return -1;
  let ms = NaN;
  if (typeof v === 'string') ms = /^0*$/.test(v) ? (v === '' ? NaN : -1) : nsTextToMs(v);
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) ms = v === 0 ? -1 : Math.floor(v / 1e6);
  if (Number.isNaN(ms)) throw new Refusal('invalid_timestamp', `time ${preview(v)} is not unix epoch nanoseconds`);
  return ms;
}

function jsonSeverity(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const byName = Otlp.SeverityNumber.values[v];
    if (byName !== undefined) return byName;
    if (/^-?\d+$/.test(v)) return Number(v);
  }
  throw new Refusal('invalid_field', `severityNumber ${preview(v)} is not a severity number`);
}

function jsonId(v: unknown, hexLength: number, name: string): string {
  if (v === '') return '';
  if (typeof v !== 'string' || v.length !== hexLength || !/^[0-9a-fA-F]*$/.test(v)) {
    throw new Refusal('invalid_field', `${name} must be ${hexLength} hex digits, not ${preview(v)}`);
  }
  return v.toLowerCase();
}

function jsonKeyValues(list: unknown, f: Fields, prefix: string, depth: number, s: Scratch): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw new Refusal('invalid_field', `${prefix === '' ? 'attributes' : prefix.slice(0, -1)} must be an array of {"key", "value"}`);
  for (const kv of list) {
    if (!isObject(kv) || typeof kv.key !== 'string') throw new Refusal('invalid_field', `an attribute must be {"key": "…", "value": {…}}, not ${preview(kv)}`);
    if (kv.value === undefined || kv.value === null) continue;
    const name = prefix + kv.key;
    const v = jsonAny(kv.value, f, name, depth, s);
    if (v !== undefined) put(f, name, v, s);
  }
}

/** An AnyValue: a scalar for a field, or undefined for an empty value or a map (its members set under `key.`). */
function jsonAny(any: unknown, f: Fields, key: string, depth: number, s: Scratch): FieldValue | undefined {
  if (depth > MAX_DEPTH) throw new Refusal('invalid_field', `values nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(any)) throw new Refusal('invalid_field', `${key}: a value must be an object such as {"stringValue": "…"}, not ${preview(any)}`);
  let v: FieldValue | undefined;
  for (const k in any) {
    const x = any[k];
    if (k === 'kvlistValue') {
      if (!isObject(x)) throw new Refusal('invalid_field', `${key}: kvlistValue must be {"values": […]}`);
      jsonKeyValues(x.values, f, key + '.', depth + 1, s);
      v = undefined;
    } else if (k === 'arrayValue') v = JSON.stringify(jsonArrayPlain(x, key, depth + 1));
    else v = jsonScalar(k, x, key);
  }
  return v;
}

function jsonScalar(kind: string, x: unknown, key: string): FieldValue | undefined {
  switch (kind) {
    case 'stringValue':
      if (typeof x === 'string') return x;
      break;
    case 'boolValue':
      if (typeof x === 'boolean') return x;
      break;
    case 'intValue':
      if (typeof x === 'number' && Number.isInteger(x)) return x;
      if (typeof x === 'string' && /^-?\d{1,20}$/.test(x)) {
        const n = Number(x);
        if (Number.isSafeInteger(n)) return n;
        const big = BigInt(x);
        if (BigInt.asIntN(64, big) === big) return big.toString();
      }
      break;
    case 'doubleValue':
      if (typeof x === 'number') return x;
      if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return x;
      if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) return Number(x);
      break;
    case 'bytesValue':
      if (typeof x === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(x)) return Buffer.from(x, 'base64').toString('base64');
      break;
    default:
      return undefined; // unknown members are ignored, as proto3 JSON readers may
  }
  throw new Refusal('invalid_field', `${key}: ${kind} ${preview(x)} is not valid`);
}

function jsonArrayPlain(x: unknown, key: string, depth: number): unknown[] {
  if (depth > MAX_DEPTH) throw new Refusal('invalid_field', `values nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(x)) throw new Refusal('invalid_field', `${key}: arrayValue must be {"values": […]}`);
  const values = x.values ?? [];
  if (!Array.isArray(values)) throw new Refusal('invalid_field', `${key}: arrayValue must be {"values": […]}`);
  return values.map((e) => jsonAnyPlain(e, key, depth));
}

function jsonAnyPlain(any: unknown, key: string, depth: number): unknown {
  if (!isObject(any)) throw new Refusal('invalid_field', `${key}: a value must be an object such as {"stringValue": "…"}, not ${preview(any)}`);
  let v: unknown = null;
  for (const k in any) {
    const x = any[k];
    if (k === 'arrayValue') v = jsonArrayPlain(x, key, depth + 1);
    else if (k === 'kvlistValue') {
      if (!isObject(x) || (x.values !== undefined && !Array.isArray(x.values))) throw new Refusal('invalid_field', `${key}: kvlistValue must be {"values": […]}`);
      const o: Record<string, unknown> = Object.create(null);
      for (const kv of (x.values ?? []) as unknown[]) {
        if (!isObject(kv) || typeof kv.key !== 'string') throw new Refusal('invalid_field', `${key}: a map entry must be {"key", "value"}`);
        o[kv.key] = kv.value === undefined || kv.value === null ? null : jsonAnyPlain(kv.value, key, depth + 1);
      }
      v = o;
    } else {
      const s = jsonScalar(k, x, key);
      if (s !== undefined) v = s;
    }
  }
  return v;
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new Refusal('invalid_field', `${name} must be a string, not ${preview(v)}`);
  return v;
}

function preview(v: unknown): string {
  const t = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v));
  return t.length > 60 ? t.slice(0, 60) + '…' : t;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
