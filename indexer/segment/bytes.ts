/**
 * Growable byte buffer with unsigned varints. Values up to 2^53 are supported with arithmetic rather than bit
 * operations, because offsets and timestamps exceed 32 bits.
 */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;
  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }
  /** Makes room for `need` more bytes (for callers that write `buf` directly and then set `len`). */
  reserve(need: number): void {
    if (this.len + need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }
  varint(v: number): void {
    this.reserve(10);
    const b = this.buf;
    let p = this.len;
    if (v < 0x80000000) {
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
    }
    b[p++] = v;
    this.len = p;
  }
  byte(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }
  bytes(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }
  /** Appends `src[from, to)`: byte by byte when short (most variables are), since a subarray per call costs more. */
  range(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.reserve(n);
    const b = this.buf;
    let p = this.len;
    if (n <= 32) for (let i = from; i < to; i++) b[p++] = src[i];
    else {
      b.set(src.subarray(from, to), p);
      p += n;
    }
    this.len = p;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export class ByteReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(): number {
    const b = this.buf;
    let p = this.pos;
    let x = b[p++];
    if (x < 0x80) {
      this.pos = p;
      return x;
    }
    let result = x & 0x7f;
    let mul = 128;
    for (;;) {
      x = b[p++];
      result += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 128;
    }
    this.pos = p;
    return result;
  }
}

/*
 * A doc's entry in a positions stream (one per doc of a term's postings, in doc order) is, since segment version 4,
 * *packed*: one varint h; an even h is the doc's only position, h / 2; an odd h says that (h - 1) / 2 positions
 * follow as ascending deltas (from 0). Most entries hold one position, and packing them took the bench's positions
 * section from 9.10 to 7.37 MB in a 1M-line segment (a fifth of it; 0.0125× raw). Versions 1–3 wrote a *counted*
 * entry: the count, then the deltas.
 */

/**
 * Appends one doc's entry for the positions `pos[from, to)`, ascending: packed, or `counted` as versions 1–3 wrote
 * it (only for tests that rewrite a segment as one of those versions).
 */
export function writePositionsEntry(w: ByteWriter, pos: ArrayLike<number>, from: number, to: number, counted = false): void {
  if (!counted && to - from === 1) {
    w.varint(pos[from] * 2);
    return;
  }
  w.varint(counted ? to - from : (to - from) * 2 + 1);
  let last = 0;
  for (let m = from; m < to; m++) {
    w.varint(pos[m] - last);
    last = pos[m];
  }
}

/**
 * Reads one doc's entry at `r.pos` (packed, or counted when `packed` is false) into `out` from `at`, which must have
 * room (an entry's positions are at most its bytes); returns the new end.
 */
export function readPositionsEntry(r: ByteReader, packed: boolean, out: Uint32Array, at: number): number {
  let c = r.varint();
  if (packed) {
    if ((c & 1) === 0) {
      out[at] = c / 2;
      return at + 1;
    }
    c = (c - 1) / 2;
  }
  let p = 0;
  for (let j = 0; j < c; j++) out[at++] = p += r.varint();
  return at;
}

/**
 * Returns the byte after one doc's packed entry in a positions stream starting at `p`: a header varint, then for
 * an odd header its delta varints, of which only the end bytes (< 0x80) need looking at.
 */
export function skipPositionsEntry(b: Uint8Array, p: number): number {
  let h = 0;
  let shift = 0;
  let x: number;
  do {
    x = b[p++];
    h += (x & 0x7f) * 2 ** shift;
    shift += 7;
  } while (x >= 0x80);
  if (h % 2 === 0) return p;
  for (let c = (h - 1) / 2; c > 0; ) if (b[p++] < 0x80) c--;
  return p;
}

/** The counted entries of `n` docs (versions 1–3) in `bytes`, packed: what merges copy into a version-4 segment. */
export function packPositions(bytes: Uint8Array, n: number): Uint8Array {
  const r = new ByteReader(bytes);
  const w = new ByteWriter(bytes.length + 16);
  const one = new Uint32Array(bytes.length);
  for (let i = 0; i < n; i++) writePositionsEntry(w, one, 0, readPositionsEntry(r, false, one, 0));
  return w.result();
}

export const zigzag = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1);
export const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/**
 * Decodes the delta-encoded ascending doc ids stored in bytes [start, end), the first delta relative to `base`,
 * into `out` when given (it must be large enough), else into a new array.
 */
export function decodeDeltas(buf: Uint8Array, start: number, end: number, base: number, out?: Uint32Array): Uint32Array {
  // A varint is at least one byte, so the byte length bounds the count.
  const dst = out ?? new Uint32Array(end - start);
  let n = 0;
  let prev = base;
  let p = start;
  while (p < end) {
    let x = buf[p++];
    let v = x & 0x7f;
    let shift = 7;
    while (x >= 0x80) {
      x = buf[p++];
      v |= (x & 0x7f) << shift;
      shift += 7;
    }
    prev += v >>> 0;
    dst[n++] = prev;
  }
  return n === dst.length ? dst : dst.subarray(0, n);
}
