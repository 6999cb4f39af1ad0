import { isUtf8 } from 'node:buffer';
import { parseTimestamp } from '../../lib/record.ts';
import { native, type NativeLines } from '../../indexer/native/index.ts';

/** `RawLineReader.read`'s answers besides a position: the line is blank, or must be decoded as text. */
export const BLANK = -1;
export const DECODE = -2;

/**
 * Reads one NDJSON line as the bytes it arrived in, for the records whose stored JSON is the line itself: a flat
 * object of strings, finite numbers and booleans, with `@timestamp` first (`{"@timestamp":…,`) or absent, and no
 * reserved key (lib/record.ts). For such a line, `read` checks that it is valid JSON and gives where its fields'
 * JSON starts, without building a string or an object; ingest then copies those bytes into the log as they are.
 * Parsing a line, cutting its fields' text and encoding that text back cost most of the main thread's ingest time.
 * Anything else (nesting, nulls, a reserved key, a number that may not be finite, a timestamp that does not parse,
 * a line that is not JSON) answers DECODE, and the line takes the path that decodes it (ndjson.ts), which is the
 * definition this reader must agree with wherever it answers.
 */
export class RawLineReader {
  /** The timestamp of the last line read, epoch ms (the ingest time when the line has none). */
  ts = 0;

  /** `maxBytes`: a longer line answers DECODE, so that the decoding path rejects it with its size. */
  constructor(private readonly maxBytes = Infinity) {}

  /**
   * The line `b[from, end)` (its newline and a carriage return before it excluded): BLANK for whitespace only,
   * DECODE, or the position p such that the record's fields are `{` followed by `b[p, end)`.
   */
  read(b: Uint8Array, from: number, end: number, nowMs: number): number {
    if (end - from > this.maxBytes) return DECODE;
    let i = from;
    if (i === end) return BLANK;
    if (b[i] !== LBRACE) {
      while (i < end && isWs(b[i])) i++;
      return i === end ? BLANK : DECODE;
    }
    let ascii = true;
    let start: number;
    if (hasTimestampMember(b, i, end)) {
      i += TS_MEMBER.length;
      const t = this.timestamp(b, i, end);
      if (t < 0) return DECODE;
      i = t;
      if (b[i] === RBRACE) {
        // `{}`, exactly as the decoding path stores a record of no fields (whatever whitespace followed).
        if (i + 1 !== end) return DECODE;
        start = i;
        i++;
      } else if (b[i] === COMMA) {
        start = i + 1;
        i = this.members(b, i + 1, end);
        if (i < 0) return DECODE;
      } else {
        return DECODE;
      }
    } else {
      this.ts = nowMs;
      start = i + 1;
      i = skipWs(b, i + 1, end);
      if (b[i] === RBRACE) i++;
      else {
        i = this.members(b, i, end);
        if (i < 0) return DECODE;
      }
    }
    // Only whitespace may follow the object.
    if (skipWs(b, i, end) !== end) return DECODE;
    for (let k = from; k < end; k++) {
      if (b[k] >= 0x80) {
        ascii = false;
        break;
      }
    }
    // Text that is not UTF-8 would be decoded with replacement characters: the stored bytes would differ.
    if (!ascii && !isUtf8(b.subarray(from, end))) return DECODE;
    return start;
  }

  /** The `@timestamp` value at `i`: sets `ts` and gives the position after it, or -1. */
  private timestamp(b: Uint8Array, i: number, end: number): number {
    const c = b[i];
    if (c === QUOTE) {
      const close = i + 1;
      let k = close;
      while (k < end && b[k] !== QUOTE) {
        // Escapes and bytes outside printable ASCII: left to the decoding path.
        if (b[k] === BACKSLASH || b[k] < 0x20 || b[k] >= 0x80) return -1;
        k++;
      }
      if (k === end || k - close > 64) return -1;
      const t = parseTimestamp(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', close, k));
      if (Number.isNaN(t)) return -1;
      this.ts = t;
      return k + 1;
    }
    // An integer of at most 15 digits, written as JSON writes it: exactly its value, well inside a Date's range.
    let k = i;
    const negative = c === MINUS;
    if (negative) k++;
    const d0 = k;
    let v = 0;
    while (k < end && b[k] >= D0 && b[k] <= D9) v = v * 10 + (b[k++] - D0);
    const digits = k - d0;
    if (digits === 0 || digits > 15 || (digits > 1 && b[d0] === D0)) return -1;
    if (b[k] === DOT || b[k] === LOWER_E || b[k] === UPPER_E) return -1;
    this.ts = negative ? -v : v;
    // -0 would be written back as 0 (String(-0)): the same instant, but left to the decoding path.
    if (negative && v === 0) return -1;
    return k;
  }

  /** Members from `i` (just after `{` or a `,`), through the object's closing brace: the position after it, or -1. */
  private members(b: Uint8Array, i: number, end: number): number {
    for (;;) {
      i = skipWs(b, i, end);
      if (b[i] !== QUOTE || i >= end) return -1;
      const ks = i + 1;
      i = ks;
      while (i < end && b[i] !== QUOTE) {
        if (b[i] === BACKSLASH || b[i] < 0x20) return -1;
        i++;
      }
      if (i === end || isReservedKey(b, ks, i)) return -1;
      i = skipWs(b, i + 1, end);
      if (b[i] !== COLON || i >= end) return -1;
      i = skipWs(b, i + 1, end);
      if (i >= end) return -1;
      const c = b[i];
      if (c === QUOTE) i = stringEnd(b, i + 1, end);
      else if (c === MINUS || (c >= D0 && c <= D9)) i = numberEnd(b, i, end);
      else if (c === LOWER_T && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 && i + 4 <= end) i += 4;
      else if (c === LOWER_F && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 && i + 5 <= end) i += 5;
      else return -1;
      if (i < 0) return -1;
      i = skipWs(b, i, end);
      if (i >= end) return -1;
      if (b[i] === RBRACE) return i + 1;
      if (b[i] !== COMMA) return -1;
      i++;
    }
  }
}

/**
 * Reads each line of an NDJSON body as RawLineReader.read does, in order: `each(from, stop, start, ts)` for the
 * line `body[from, stop)` (without its line break), `start` being what read answers and `ts` the line's timestamp.
 * `each` must not read lines itself (the compiled reader's outputs are shared).
 * Through the compiled reader (indexer/native/lines.cc) when it is built: reading lines one by one in TypeScript was
 * the main thread's largest cost of ingest (2.1 µs a bench line of its 3.5).
 */
export function eachRawLine(body: Buffer, maxBytes: number, nowMs: number, each: (from: number, stop: number, start: number, ts: number) => void): void {
  if (native.lines !== null) {
    eachRawLineNative(native.lines, body, maxBytes, nowMs, each);
    return;
  }
  const reader = new RawLineReader(maxBytes);
  const n = body.length;
  for (let pos = 0; pos < n; ) {
    let nl = body.indexOf(NEWLINE, pos);
    if (nl < 0) nl = n;
    let stop = nl;
    if (stop > pos && body[stop - 1] === CR) stop--;
    const start = reader.read(body, pos, stop, nowMs);
    each(pos, stop, start, reader.ts);
    pos = nl + 1;
  }
}

/** The compiled reader's outputs, a batch of lines at a time. */
const LINES_AT_ONCE = 4096;
const lineOut = {
  from: new Uint32Array(LINES_AT_ONCE),
  stop: new Uint32Array(LINES_AT_ONCE),
  start: new Int32Array(LINES_AT_ONCE),
  ts: new Float64Array(LINES_AT_ONCE),
  tsFrom: new Uint32Array(LINES_AT_ONCE),
  tsTo: new Uint32Array(LINES_AT_ONCE),
};

function eachRawLineNative(nl: NativeLines, body: Buffer, maxBytes: number, nowMs: number, each: (from: number, stop: number, start: number, ts: number) => void): void {
  const o = lineOut;
  const n = body.length;
  for (let pos = 0; pos < n; ) {
    const count = nl.lines(body, pos, maxBytes, nowMs, o.from, o.stop, o.start, o.ts, o.tsFrom, o.tsTo);
    const last = o.stop[count - 1];
    for (let k = 0; k < count; k++) {
      let start = o.start[k];
      let ts = o.ts[k];
      if (start >= 0 && Number.isNaN(ts)) {
        // The one step left to TypeScript: the timestamp's text, as RawLineReader parses it.
        ts = parseTimestamp(body.toString('latin1', o.tsFrom[k], o.tsTo[k]));
        if (Number.isNaN(ts)) start = DECODE;
      }
      each(o.from[k], o.stop[k], start, ts);
    }
    // After the last line's newline (its stop is at the newline, or at a carriage return before it).
    pos = (body[last] === CR ? last + 1 : last) + 1;
  }
}

const NEWLINE = 10;
const CR = 13;

/** The position after the closing quote of the JSON string whose text starts at `i`, or -1 if it is not valid. */
function stringEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const e = b[i + 1];
      if (e === LOWER_U) {
        if (i + 6 > end) return -1;
        for (let k = i + 2; k < i + 6; k++) if (!isHex(b[k])) return -1;
        i += 6;
        continue;
      }
      if (i + 1 >= end || ESCAPED[e] === 0) return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/**
 * The position after the JSON number at `i`, or -1 if it is not valid JSON or might not be a finite double: an
 * exponent, or more than 300 digits, is left to the decoding path.
 */
function numberEnd(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  const d0 = i;
  while (i < end && b[i] >= D0 && b[i] <= D9) i++;
  if (i === d0 || (i - d0 > 1 && b[d0] === D0) || i - d0 > 300) return -1;
  if (i < end && b[i] === DOT) {
    const f0 = ++i;
    while (i < end && b[i] >= D0 && b[i] <= D9) i++;
    if (i === f0) return -1;
  }
  if (i < end && (b[i] === LOWER_E || b[i] === UPPER_E)) return -1;
  return i;
}

/** Keys a record may not set, and `__proto__`: their lines are decoded, which drops them. */
function isReservedKey(b: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  if (n === 3) return b[from] === 95 && b[from + 1] === 105 && b[from + 2] === 100; // _id
  if (n === 6) return sameAscii(b, from, '_index');
  if (n === 9) return sameAscii(b, from, '__proto__');
  if (n === 10) return sameAscii(b, from, '@timestamp');
  return false;
}

function sameAscii(b: Uint8Array, from: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (b[from + k] !== s.charCodeAt(k)) return false;
  return true;
}

const TS_MEMBER = '{"@timestamp":';

function hasTimestampMember(b: Uint8Array, i: number, end: number): boolean {
  return end - i > TS_MEMBER.length && sameAscii(b, i, TS_MEMBER);
}

function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWs(b[i])) i++;
  return i;
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

function isHex(c: number): boolean {
  return (c >= D0 && c <= D9) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;
const DOT = 46;
const D0 = 48;
const D9 = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const LOWER_T = 116;
const LOWER_F = 102;
const LOWER_U = 117;
/** The characters JSON allows after a backslash, besides `u`. */
const ESCAPED = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPED[c.charCodeAt(0)] = 1;
