import { crc32c } from './crc.ts';
import { native } from '../native/index.ts';

/**
 * Wire layout of the append-only log (see format.md). A file starts with a 16-byte header; then frames, each a
 * batch of records sharing one CRC so that group commit costs one checksum per batch, not per record.
 */
export const FILE_MAGIC = 0x4c525453; // "STRL" little-endian
export const FILE_VERSION = 1;
export const FILE_HEADER_BYTES = 16;
export const FRAME_HEADER_BYTES = 24;
/** Refuse frames claiming more than this: a corrupt length must not make recovery allocate gigabytes. */
export const MAX_FRAME_PAYLOAD = 256 * 1024 * 1024;

export interface LogEntry {
  ts: number;
  /** JSON text of the record's fields (everything but @timestamp), or that text's UTF-8 bytes after its `{`. */
  fieldsJson: string | JsonBytes;
}

/**
 * A record's fields JSON as the bytes it arrived in: `{` followed by `bytes[start, end)`, valid UTF-8 with no
 * newline (an NDJSON line's members after its `@timestamp`). Ingest copies them into the log without a string.
 */
export interface JsonBytes {
  bytes: Uint8Array;
  start: number;
  end: number;
}

export function encodeFileHeader(baseOffset: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  b.writeUInt32LE(FILE_MAGIC, 0);
  b.writeUInt8(FILE_VERSION, 4);
  b.writeDoubleLE(baseOffset, 8);
  return b;
}

/** Returns the base offset, or throws when the header is not ours. */
export function decodeFileHeader(b: Buffer): number {
  if (b.length < FILE_HEADER_BYTES || b.readUInt32LE(0) !== FILE_MAGIC) throw new Error('not a Strata log file (bad magic)');
  const v = b.readUInt8(4);
  if (v !== FILE_VERSION) throw new Error(`unsupported log file version ${v}`);
  return b.readDoubleLE(8);
}

/** Records as `ts \t fieldsJson \n`: JSON.stringify never emits a raw newline, so lines split safely. */
export function encodePayload(entries: readonly LogEntry[]): Buffer {
  return encodePayloadInto(entries, (bytes) => Buffer.allocUnsafeSlow(bytes));
}

/**
 * encodePayload into the buffer `alloc` gives for the payload's exact length. The text goes down a few KiB at a
 * time: building one string of the whole batch and encoding it cost 2.2 µs a record (measured on the bench
 * corpus, 10,000-record batches), most of it in V8 flattening that string in fresh memory. Records given as bytes
 * go through the compiled encoder (native/payload.cc) when it is built: in 10,000-record batches of the bench corpus,
 * 0.10 µs a record against 0.59 in TypeScript (a view made per record to copy it through, and the digits).
 */
export function encodePayloadInto(entries: readonly LogEntry[], alloc: (bytes: number) => Buffer): Buffer {
  let bytes = 0;
  for (const e of entries) {
    const j = e.fieldsJson;
    bytes += decimalLength(e.ts) + (typeof j === 'string' ? Buffer.byteLength(j) : j.end - j.start + 1) + 2;
  }
  const out = alloc(bytes);
  const np = native.payload;
  let at = 0;
  let s = '';
  // Records given as bytes of one buffer, gathered for the compiled encoder (a run at a time).
  let run = 0;
  let runBytes: Uint8Array | null = null;
  const flush = () => {
    if (run > 0) at = np!.encodeRaw(out, at, runBytes!, runScratch.ts, runScratch.start, runScratch.end, run);
    run = 0;
  };
  for (const e of entries) {
    const j = e.fieldsJson;
    if (typeof j === 'string') {
      flush();
      s += e.ts + '\t' + j + '\n';
      if (s.length >= 16_384) {
        at += out.write(s, at);
        s = '';
      }
      continue;
    }
    if (s.length > 0) {
      at += out.write(s, at);
      s = '';
    }
    if (np !== null && Number.isSafeInteger(e.ts) && !Object.is(e.ts, -0)) {
      if (run === RUN || (run > 0 && j.bytes !== runBytes)) flush();
      runBytes = j.bytes;
      runScratch.ts[run] = e.ts;
      runScratch.start[run] = j.start;
      runScratch.end[run++] = j.end;
      continue;
    }
    flush();
    at = writeDecimal(out, at, e.ts);
    out[at++] = TAB;
    out[at++] = 123; // {
    // A plain view: Buffer's subarray costs more per record (DESIGN.md).
    out.set(new Uint8Array(j.bytes.buffer, j.bytes.byteOffset + j.start, j.end - j.start), at);
    at += j.end - j.start;
    out[at++] = NEWLINE;
  }
  flush();
  at += out.write(s, at);
  if (at !== bytes) throw new Error(`payload encoding wrote ${at} bytes of ${bytes}`);
  return out;
}

/** Records handed to the compiled encoder at once. */
const RUN = 1024;
const runScratch = { ts: new Float64Array(RUN), start: new Uint32Array(RUN), end: new Uint32Array(RUN) };

/** The length of `String(v)`, without making the string for the integers timestamps are. */
function decimalLength(v: number): number {
  // Epoch ms from 2001 to 2286: nearly every timestamp.
  if (v >= 1e12 && v < 1e13 && Number.isInteger(v)) return 13;
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) return String(v).length;
  let n = v < 0 ? 2 : 1;
  for (let a = Math.abs(v); a >= 10; a = Math.floor(a / 10)) n++;
  return n;
}

/** Writes `String(v)` at `at` as ASCII; returns the position after it. */
function writeDecimal(out: Buffer, at: number, v: number): number {
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) return at + out.write(String(v), at, 'latin1');
  if (v < 0) {
    out[at++] = 45; // -
    v = -v;
  }
  const end = at + decimalLength(v);
  for (let k = end - 1; k >= at; k--) {
    out[k] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return end;
}

export function decodePayload(payload: Buffer, onEntry: (i: number, ts: number, fieldsJson: string) => void): void {
  const s = payload.toString('utf8');
  let i = 0;
  let pos = 0;
  while (pos < s.length) {
    const nl = s.indexOf('\n', pos);
    const end = nl < 0 ? s.length : nl;
    const tab = s.indexOf('\t', pos);
    onEntry(i++, Number(s.slice(pos, tab)), s.slice(tab + 1, end));
    pos = end + 1;
  }
}

/**
 * decodePayload without decoding the text: `onEntry(ts, start, end)` gets the byte range of each record's fields
 * JSON in `payload`. Seals read records this way: they store and index those bytes where they lie (a value is
 * decoded only when it holds an escape or a non-ASCII byte), instead of decoding each batch into one string that
 * lives as long as the seal.
 */
export function scanPayload(payload: Uint8Array, onEntry: (ts: number, start: number, end: number) => void): void {
  const n = payload.length;
  let pos = 0;
  while (pos < n) {
    // Timestamps are what `String(number)` wrote: almost always the digits of an integer, read here without a string.
    let ts = 0;
    let tab = pos;
    let plain = true;
    for (; tab < n; tab++) {
      const c = payload[tab];
      if (c === TAB) break;
      const d = c - 48;
      if (d < 0 || d > 9) plain = false;
      else ts = ts * 10 + d;
    }
    if (tab === n) throw new Error(`a log payload's record at byte ${pos} has no tab`);
    if (!plain || tab - pos > 15) ts = Number(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1', pos, tab));
    let nl = payload.indexOf(NEWLINE, tab + 1);
    if (nl < 0) nl = n;
    onEntry(ts, tab + 1, nl);
    pos = nl + 1;
  }
}

const TAB = 9;
const NEWLINE = 10;

export function encodeFrameHeader(baseOffset: number, count: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h.writeUInt32LE(payload.length, 0);
  h.writeDoubleLE(baseOffset, 8);
  h.writeUInt32LE(count, 16);
  h.writeUInt32LE(0, 20); // flags, reserved for compression
  const c = crc32c(payload, crc32c(h.subarray(8, FRAME_HEADER_BYTES)));
  h.writeUInt32LE(c, 4);
  return h;
}

export interface DecodedFrame {
  baseOffset: number;
  count: number;
  payload: Buffer;
  /** Byte position just after this frame. */
  end: number;
}

export type FrameResult = { ok: true; frame: DecodedFrame } | { ok: false; reason: string } | { ok: 'end' };

/** Reads the frame at `pos`; a short or corrupt frame is reported, never thrown. */
export function readFrame(b: Buffer, pos: number): FrameResult {
  if (pos === b.length) return { ok: 'end' };
  if (b.length - pos < FRAME_HEADER_BYTES) return { ok: false, reason: `torn frame header at byte ${pos}` };
  const len = b.readUInt32LE(pos);
  if (len > MAX_FRAME_PAYLOAD) return { ok: false, reason: `implausible frame length ${len} at byte ${pos}` };
  const end = pos + FRAME_HEADER_BYTES + len;
  if (end > b.length) return { ok: false, reason: `torn frame at byte ${pos}: ${b.length - pos} of ${end - pos} bytes present` };
  const want = b.readUInt32LE(pos + 4);
  const payload = b.subarray(pos + FRAME_HEADER_BYTES, end);
  const got = crc32c(payload, crc32c(b.subarray(pos + 8, pos + FRAME_HEADER_BYTES)));
  if (got !== want) return { ok: false, reason: `CRC mismatch in frame at byte ${pos}` };
  return { ok: true, frame: { baseOffset: b.readDoubleLE(pos + 8), count: b.readUInt32LE(pos + 16), payload, end } };
}
