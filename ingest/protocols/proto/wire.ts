import protobuf from 'protobufjs';

/**
 * Helpers to walk protobuf messages by hand against the schemas beside this file. The decoders read the wire
 * directly instead of decoding whole messages with protobufjs: each entry is decoded on its own so that one corrupt
 * entry is rejected alone, fields go straight into the record without an intermediate object per message, and
 * 64-bit times are converted exactly (a Long or a double would cost an allocation or lose nanoseconds).
 */
export type Reader = protobuf.Reader;

/** A message type's tags (field number << 3 | wire type) by field name, and the wire type each known number has. */
export interface MessageSpec {
  name: string;
  tag: Record<string, number>;
  wireType: (number | undefined)[];
}

const WIRE_TYPE: Record<string, number> = protobuf.types.basic as Record<string, number>;

export function specOf(type: protobuf.Type): MessageSpec {
  const tag: Record<string, number> = {};
  const wireType: (number | undefined)[] = [];
  for (const f of type.fieldsArray) {
    const r = f.resolve().resolvedType;
    const wt = r instanceof protobuf.Type ? 2 : r instanceof protobuf.Enum ? 0 : WIRE_TYPE[f.type];
    if (wt === undefined || f.map) throw new Error(`${type.name}.${f.name}: no wire type for ${f.type}`);
    tag[f.name] = (f.id << 3) | wt;
    wireType[f.id] = wt;
  }
  return { name: type.name, tag, wireType };
}

export function newReader(buf: Buffer): Reader {
  return protobuf.Reader.create(buf);
}

/**
 * Skips a field the walker does not read. A known field number arriving with another wire type is corruption (a
 * flipped bit, or a sender with another schema), and is refused rather than skipped, so that no data the sender meant
 * is dropped without a word.
 */
export function skipField(r: Reader, tag: number, spec: MessageSpec): void {
  const id = tag >>> 3;
  if (id === 0) throw new Error(`${spec.name}: field number 0`);
  const want = spec.wireType[id];
  if (want !== undefined && want !== (tag & 7)) throw new Error(`${spec.name}: field ${id} has wire type ${tag & 7}, expected ${want}`);
  r.skipType(tag & 7, 0, id);
}

/** Reads a length prefix; returns where the length-delimited field ends, checked against the enclosing message. */
export function lengthEnd(r: Reader): number {
  const n = r.size();
  const end = r.pos + n;
  if (end > r.len) throw new RangeError(`length ${n} at offset ${r.pos} runs past the end of its message`);
  return end;
}

// The two halves of the last varint read by readVarint64: module state rather than an object per read.
let lo = 0;
let hi = 0;

function readVarint64(r: Reader): void {
  const buf = r.buf;
  let pos = r.pos;
  const len = r.len;
  lo = 0;
  hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= len) throw new RangeError(`varint runs past the end of its message at offset ${pos}`);
    const b = buf[pos++];
    const bits = b & 127;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi = bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 128) {
      r.pos = pos;
      lo >>>= 0;
      hi >>>= 0;
      return;
    }
  }
  throw new Error(`varint longer than 10 bytes at offset ${r.pos}`);
}

/** An int64 varint: a number when it is a safe integer, else its exact decimal text. */
export function readInt64(r: Reader): number | string {
  readVarint64(r);
  if (hi & 0x80000000) {
    const mag = (~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1;
    if (mag <= Number.MAX_SAFE_INTEGER) return -mag;
  } else {
    const v = hi * 4294967296 + lo;
    if (v <= Number.MAX_SAFE_INTEGER) return v;
  }
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/**
 * A fixed64 count of nanoseconds since the epoch as whole milliseconds, exactly (2^32 = 4294 * 10^6 + 967296); -1 for
 * zero, which proto3 uses for "not set".
 */
export function readFixed64Ms(r: Reader): number {
  const low = r.fixed32();
  const high = r.fixed32();
  if ((low | high) === 0) return -1;
  return high * 4294 + Math.floor((high * 967296 + low) / 1e6);
}

/** Milliseconds a Date can hold either side of the epoch. */
export const MAX_DATE_MS = 8.64e15;

/** Nanoseconds since the epoch as decimal digits → whole milliseconds, exactly; NaN when not digits or out of range. */
export function nsTextToMs(s: string): number {
  const n = s.length;
  if (n === 0 || n > 22) return NaN;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
  }
  const ms = n <= 6 ? 0 : Number(s.slice(0, n - 6));
  return ms <= MAX_DATE_MS ? ms : NaN;
}

/** The media type of a Content-Type header: lower-cased, parameters dropped. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export function isProtobufMediaType(t: string): boolean {
  return t === 'application/x-protobuf' || t === 'application/protobuf';
}

/** A decode error's message for a person, without a stack. */
export function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 200);
}

/** The UTF-8 text of bytes [start, end) of the reader's buffer (a Buffer: readers are made by newReader). */
export function textAt(r: Reader, start: number, end: number): string {
  return (r.buf as Buffer).toString('utf8', start, end);
}

/**
 * Remembers the key read at each ordinal of a record, as bytes and as the string made from them. Records of one
 * request nearly always carry the same keys in the same order; handing back the same string object skips decoding
 * it and, more costly, V8 interning it again when it becomes a property name (measured: half the cost of a field).
 */
export class KeyCache {
  private readonly bytes: (Buffer | undefined)[] = [];
  private readonly prefixes: string[] = [];
  private readonly names: string[] = [];

  /** Reads a length-delimited key at r.pos and returns `prefix + key`, the same string object as last time if equal. */
  read(r: Reader, slot: number, prefix: string): string {
    const end = lengthEnd(r);
    const start = r.pos;
    r.pos = end;
    const len = end - start;
    const buf = r.buf;
    const b = this.bytes[slot];
    if (b !== undefined && b.length === len && this.prefixes[slot] === prefix) {
      let i = 0;
      while (i < len && buf[start + i] === b[i]) i++;
      if (i === len) return this.names[slot];
    }
    const name = prefix + textAt(r, start, end);
    if (slot < KEY_SLOTS) {
      this.bytes[slot] = Buffer.from(buf.subarray(start, end));
      this.prefixes[slot] = prefix;
      this.names[slot] = name;
    }
    return name;
  }
}

/** Keys remembered per record: past this many, keys are decoded each time. */
const KEY_SLOTS = 64;
