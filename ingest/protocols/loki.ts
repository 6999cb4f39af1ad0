import { uncompressSync } from 'snappy';
import { StrataError } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import { isReservedKey } from '../../lib/record.ts';
import { type DecodedBatch, emptyBatch, pushRecord, reject, rejectOversize } from '../batch.ts';
import { LokiPush } from './proto/loki-push.ts';
import {
  KeyCache, type Reader, MAX_DATE_MS, errorText, isProtobufMediaType, lengthEnd, mediaType, newReader, nsTextToMs, readInt64,
  skipField, specOf, textAt,
} from './proto/wire.ts';

/**
 * The Loki push API (`POST /loki/api/v1/push`): JSON, or snappy-compressed protobuf. Each entry becomes a record whose
 * fields are its stream's labels, then its structured metadata, then `message` (the line), so the line always wins.
 * Positions count entries across the whole request, in order. A stream whose entries cannot be counted (no values,
 * or corrupt framing inside it) takes one position for the part that could not be read.
 */

/**
 * A snappy block states its decompressed size first; bodies that would decompress past the limit (the node passes its
 * body limit; this by default) are refused unread.
 */
export const MAX_LOKI_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** `_nowMs` is unused: every Loki entry carries its own time, and one without is rejected rather than given another. */
export function decodeLokiPush(
  body: Buffer,
  contentType: string,
  _nowMs: number,
  maxRecordBytes: number,
  maxDecompressedBytes: number = MAX_LOKI_DECOMPRESSED_BYTES,
): DecodedBatch {
  const type = mediaType(contentType);
  if (type === 'application/json') return decodeJson(body, maxRecordBytes);
  // A push without a Content-Type is read as protobuf: the format Promtail and most agents send.
  if (type === '' || isProtobufMediaType(type)) return decodeProtobuf(unsnappy(body, maxDecompressedBytes), maxRecordBytes);
  throw new StrataError(
    'invalid_request',
    `unsupported Content-Type "${contentType}" for a Loki push: send application/json, or application/x-protobuf compressed with snappy`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// JSON: {"streams":[{"stream":{"app":"web"},"values":[["<ns>","<line>",{"trace_id":"…"}]]}]}

function decodeJson(body: Buffer, max: number): DecodedBatch {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new StrataError('invalid_request', `invalid JSON in Loki push: ${errorText(e)}`);
  }
  const streams = isObject(doc) ? doc.streams : undefined;
  if (!Array.isArray(streams)) throw new StrataError('invalid_request', 'a Loki JSON push must be an object with a "streams" array');
  const out = emptyBatch();
  let pos = 0;
  for (let s = 0; s < streams.length; s++) {
    const stream: unknown = streams[s];
    const where = `stream ${s + 1}`;
    if (!isObject(stream)) {
      reject(out, ++pos, 'not_an_object', `${where} is not an object`);
      continue;
    }
    const values = stream.values;
    if (!Array.isArray(values)) {
      reject(out, ++pos, 'invalid_field', `${where} has no "values" array`);
      continue;
    }
    const labels = labelsFromObject(stream.stream);
    for (let i = 0; i < values.length; i++) {
      pos++;
      if (typeof labels === 'string') reject(out, pos, 'invalid_field', `${where}: ${labels}`);
      else jsonEntry(out, pos, values[i], labels, max);
    }
  }
  return out;
}

function jsonEntry(out: DecodedBatch, pos: number, v: unknown, labels: Fields, max: number): void {
  if (!Array.isArray(v) || v.length < 2) {
    reject(out, pos, 'invalid_field', 'an entry must be an array ["<unix epoch in nanoseconds>", "<line>", {metadata}?]');
    return;
  }
  const [t, line, meta] = v as unknown[];
  if (typeof line !== 'string') {
    reject(out, pos, 'invalid_field', 'the line (second element of the entry) must be a string');
    return;
  }
  const ts = typeof t === 'string' ? nsTextToMs(t) : NaN;
  if (Number.isNaN(ts)) {
    reject(out, pos, 'invalid_timestamp', `timestamp ${JSON.stringify(t)?.slice(0, 40)} is not a unix epoch in nanoseconds as a string of digits`);
    return;
  }
  if (rejectOversize(out, pos, line, max)) return;
  // Not `{ ...labels }`: V8 extends a spread copy with new keys some 30x slower (measured).
  const f: Fields = Object.assign({}, labels);
  if (meta !== undefined && meta !== null) {
    if (!isObject(meta)) {
      reject(out, pos, 'invalid_field', 'structured metadata (third element of the entry) must be an object of strings');
      return;
    }
    for (const k in meta) {
      const m = meta[k];
      if (typeof m !== 'string') {
        reject(out, pos, 'invalid_field', `structured metadata ${excerpt(k)} must be a string`);
        return;
      }
      if (!isReservedKey(k)) f[k] = m;
    }
  }
  f.message = line;
  pushRecord(out, pos, ts, f);
}

function labelsFromObject(v: unknown): Fields | string {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) return '"stream" must be an object of label names to values';
  const f: Fields = {};
  for (const k in v) {
    const val = v[k];
    if (typeof val !== 'string') return `label ${excerpt(k)} must have a string value`;
    if (!isReservedKey(k)) f[k] = val;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------------------------
// Protobuf: snappy(PushRequest). Top-level framing must hold, or nothing can be numbered: the body is refused whole.
// Inside a stream, each entry's bytes are decoded on their own, so a corrupt entry costs only itself.

const PUSH = specOf(LokiPush.PushRequest);
const STREAM = specOf(LokiPush.StreamAdapter);
const ENTRY = specOf(LokiPush.EntryAdapter);
const PAIR = specOf(LokiPush.LabelPairAdapter);
const TIMESTAMP = specOf(LokiPush.Timestamp);

function unsnappy(body: Buffer, max: number): Buffer {
  const declared = snappyLength(body);
  if (declared > max) {
    throw new StrataError(
      'payload_too_large',
      `the Loki push decompresses to ${declared} bytes, over the limit of ${max}: send smaller batches`,
    );
  }
  try {
    return uncompressSync(body, { asBuffer: true }) as Buffer;
  } catch (e) {
    throw new StrataError('invalid_request', `the Loki push body is not snappy-compressed protobuf (block format): ${errorText(e)}`);
  }
}

/** The uncompressed length a snappy block starts with (a varint), or 0 when unreadable (snappy then reports it). */
function snappyLength(b: Buffer): number {
  let n = 0;
  for (let i = 0; i < 5 && i < b.length; i++) {
    n += (b[i] & 127) * 2 ** (7 * i);
    if (b[i] < 128) return n;
  }
  return 0;
}

function decodeProtobuf(buf: Buffer, max: number): DecodedBatch {
  const r = newReader(buf);
  const streams: number[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.tag();
      if (tag === PUSH.tag.streams) {
        const end = lengthEnd(r);
        streams.push(r.pos, end);
        r.pos = end;
      } else skipField(r, tag, PUSH);
    }
  } catch (e) {
    throw new StrataError('invalid_request', `the Loki push is not a valid PushRequest: ${errorText(e)}`);
  }
  const out = emptyBatch();
  const ctx: ProtoCtx = { out, r, max, pos: 0, entries: [], keys: new KeyCache() };
  for (let i = 0; i < streams.length; i += 2) protoStream(ctx, streams[i], streams[i + 1], i / 2 + 1);
  return out;
}

interface ProtoCtx {
  out: DecodedBatch;
  r: Reader;
  max: number;
  pos: number;
  /** Start and end offsets of the current stream's entries, reused from stream to stream. */
  entries: number[];
  /** Structured metadata names, by their ordinal in the entry. */
  keys: KeyCache;
}

function protoStream(ctx: ProtoCtx, start: number, end: number, n: number): void {
  const { r, entries } = ctx;
  r.pos = start;
  r.len = end;
  entries.length = 0;
  let labelText: string | null = null;
  let broken: string | null = null;
  try {
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === STREAM.tag.entries) {
        const e = lengthEnd(r);
        entries.push(r.pos, e);
        r.pos = e;
      } else if (tag === STREAM.tag.labels) labelText = r.string();
      else skipField(r, tag, STREAM);
    }
  } catch (e) {
    broken = errorText(e);
  }
  const labels = labelText === null ? {} : parseLabels(labelText);
  for (let i = 0; i < entries.length; i += 2) {
    const pos = ++ctx.pos;
    if (typeof labels === 'string') reject(ctx.out, pos, 'invalid_syntax', `stream ${n}: ${labels}`);
    else protoEntry(ctx, pos, entries[i], entries[i + 1], labels);
  }
  if (broken !== null) {
    reject(ctx.out, ++ctx.pos, 'invalid_syntax', `stream ${n} is corrupt after its entry ${entries.length / 2}, the rest of it is lost: ${broken}`);
  }
  r.len = r.buf.length;
}

function protoEntry(ctx: ProtoCtx, pos: number, start: number, end: number, labels: Fields): void {
  const { r, out } = ctx;
  r.pos = start;
  r.len = end;
  let ts = NaN;
  let hasTs = false;
  let line = '';
  let lineBytes = 0;
  let slot = 0;
  // Not `{ ...labels }`: V8 extends a spread copy with new keys some 30x slower (measured).
  const f: Fields = Object.assign({}, labels);
  try {
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === ENTRY.tag.line) {
        // Measured before decoding, so an oversize line is never turned into a string.
        const e = lengthEnd(r);
        lineBytes = e - r.pos;
        if (lineBytes <= ctx.max) line = textAt(r, r.pos, e);
        r.pos = e;
      } else if (tag === ENTRY.tag.timestamp) {
        hasTs = true;
        ts = protoTimestamp(r);
      } else if (tag === ENTRY.tag.structuredMetadata) protoPair(r, f, ctx.keys, slot++);
      else skipField(r, tag, ENTRY);
    }
  } catch (e) {
    reject(out, pos, 'invalid_syntax', `entry is not a valid EntryAdapter: ${errorText(e)}`);
    return;
  }
  if (!hasTs) return reject(out, pos, 'invalid_timestamp', 'entry has no timestamp');
  if (Number.isNaN(ts)) return reject(out, pos, 'invalid_timestamp', 'entry timestamp is out of range');
  // The same answer rejectOversize gives, from the byte length the wire states.
  if (lineBytes > ctx.max) return reject(out, pos, 'oversize', `record is ${lineBytes} bytes, over the limit of ${ctx.max}`);
  f.message = line;
  pushRecord(out, pos, ts, f);
}

/** A google.protobuf.Timestamp as epoch ms, or NaN when out of range. */
function protoTimestamp(r: Reader): number {
  const end = lengthEnd(r);
  const outer = r.len;
  r.len = end;
  let seconds: number | string = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === TIMESTAMP.tag.seconds) seconds = readInt64(r);
    else if (tag === TIMESTAMP.tag.nanos) nanos = r.int32();
    else skipField(r, tag, TIMESTAMP);
  }
  r.len = outer;
  if (typeof seconds === 'string' || nanos < 0 || nanos > 999_999_999) return NaN;
  const ms = seconds * 1000 + Math.floor(nanos / 1e6);
  return Math.abs(ms) <= MAX_DATE_MS ? ms : NaN;
}

function protoPair(r: Reader, f: Fields, keys: KeyCache, slot: number): void {
  const end = lengthEnd(r);
  const outer = r.len;
  r.len = end;
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === PAIR.tag.name) name = keys.read(r, slot, '');
    else if (tag === PAIR.tag.value) value = r.string();
    else skipField(r, tag, PAIR);
  }
  r.len = outer;
  if (!isReservedKey(name)) f[name] = value;
}

// ---------------------------------------------------------------------------------------------------------------
// Labels in Prometheus text form: {name="value", other=`raw`}, names as identifiers or quoted (UTF-8 names),
// values with Go escapes, odd spacing and a trailing comma tolerated, only `=` matchers.

/** Parses a stream's label text into fields; returns what is wrong with it, for a person, when it cannot. */
export function parseLabels(s: string): Fields | string {
  const f: Fields = {};
  let i = ws(s, 0);
  if (i === s.length) return f;
  if (s.charCodeAt(i) !== 123 /* { */) return `labels ${excerpt(s)} must start with "{"`;
  i = ws(s, i + 1);
  while (s.charCodeAt(i) !== 125 /* } */) {
    let name: string;
    const c = s.charCodeAt(i);
    if (c === 34 /* " */ || c === 96 /* ` */) {
      const q = quoted(s, i);
      if (q === null) return `labels ${excerpt(s)}: ${why} at offset ${i}`;
      name = q;
      i = after;
    } else {
      const from = i;
      while (i < s.length && isNameChar(s.charCodeAt(i), i === from)) i++;
      if (i === from) return `labels ${excerpt(s)}: expected a label name at offset ${from}`;
      name = s.slice(from, i);
    }
    i = ws(s, i);
    if (s.charCodeAt(i) !== 61 /* = */ || s.charCodeAt(i + 1) === 126 /* ~ */) {
      return `labels ${excerpt(s)}: expected "=" after label ${name} at offset ${i} (stream labels are name="value" pairs)`;
    }
    i = ws(s, i + 1);
    const v = quoted(s, i);
    if (v === null) return `labels ${excerpt(s)}: ${why} in the value of label ${name} at offset ${i}`;
    i = ws(s, after);
    if (Object.hasOwn(f, name)) return `labels ${excerpt(s)}: label ${name} appears twice`;
    if (!isReservedKey(name)) f[name] = v;
    const sep = s.charCodeAt(i);
    if (sep === 44 /* , */) i = ws(s, i + 1);
    else if (sep !== 125) return `labels ${excerpt(s)}: expected "," or "}" at offset ${i}`;
  }
  if (ws(s, i + 1) !== s.length) return `labels ${excerpt(s)}: unexpected text after "}" at offset ${i + 1}`;
  return f;
}

function isNameChar(c: number, first: boolean): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (!first && c >= 48 && c <= 57);
}

function ws(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

function excerpt(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);
}

// Where the last quoted string ended, and why it could not be read: module state, as the parser is synchronous.
let after = 0;
let why = '';

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/** A Go-style quoted string at `i`: "…" with escapes, or `…` raw. Sets `after`; null (and `why`) when malformed. */
function quoted(s: string, i: number): string | null {
  const open = s.charCodeAt(i);
  if (open === 96 /* ` */) {
    const close = s.indexOf('`', i + 1);
    if (close < 0) return fail('unterminated `string`');
    after = close + 1;
    return s.slice(i + 1, close);
  }
  if (open !== 34 /* " */) return fail('expected a quoted string');
  let out = '';
  let bytes: number[] | null = null; // \x and octal escapes are bytes, which together may spell UTF-8
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 34) {
      out += s.slice(from, j);
      if (bytes !== null) out += Buffer.from(bytes).toString('utf8');
      after = j + 1;
      return out;
    }
    if (c === 10) return fail('newline inside a quoted string');
    if (c !== 92 /* \ */) {
      if (bytes !== null) {
        out += Buffer.from(bytes).toString('utf8');
        bytes = null;
      }
      continue;
    }
    out += s.slice(from, j);
    const e = s[j + 1];
    if (e === undefined) break;
    let width = 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined || e === 'u' || e === 'U') {
      if (bytes !== null) {
        out += Buffer.from(bytes).toString('utf8');
        bytes = null;
      }
      if (simple !== undefined) out += simple;
      else {
        const n = e === 'u' ? 4 : 8;
        const cp = hexValue(s, j + 2, n);
        if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return fail(`invalid \\${e} escape`);
        out += String.fromCodePoint(cp);
        width = 2 + n;
      }
    } else if (e === 'x' || (e >= '0' && e <= '7')) {
      const b = e === 'x' ? hexValue(s, j + 2, 2) : octalValue(s, j + 1);
      if (b < 0 || b > 255) return fail(`invalid \\${e} escape`);
      (bytes ??= []).push(b);
      width = 4;
    } else return fail(`unknown escape \\${e}`);
    j += width - 1;
    from = j + 1;
  }
  return fail('unterminated "string"');
}

function fail(reason: string): null {
  why = reason;
  return null;
}

function hexValue(s: string, at: number, n: number): number {
  if (at + n > s.length) return -1;
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const d = parseInt(s[k], 16);
    if (Number.isNaN(d)) return -1;
    v = v * 16 + d;
  }
  return v;
}

function octalValue(s: string, at: number): number {
  if (at + 3 > s.length) return -1;
  let v = 0;
  for (let k = at; k < at + 3; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 7) return -1;
    v = v * 8 + d;
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
