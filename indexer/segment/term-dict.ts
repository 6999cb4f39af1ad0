import { ByteReader, ByteWriter } from './bytes.ts';

/**
 * A segment field's sorted term dictionary, kept as its UTF-8 bytes (terms joined by newlines, as stored) plus
 * where each term starts, not as millions of JS strings: a searched field of a large segment would otherwise put
 * that many objects on the heap for every collection to walk. Lookups compare bytes for ASCII tokens and decode
 * only the probed terms otherwise; the order is the writer's, JS string order (UTF-16 code units).
 */
export class TermDict {
  private readonly starts: Uint32Array;

  constructor(private readonly bytes: Buffer, readonly size: number) {
    // starts[k] is where term k begins; starts[size] is one past the end, as if a newline followed the last term.
    const starts = new Uint32Array(size + 1);
    let k = 1;
    for (let i = 0; i < bytes.length && k < size; i++) if (bytes[i] === 10) starts[k++] = i + 1;
    starts[size] = bytes.length + 1;
    this.starts = starts;
  }

  term(k: number): string {
    return this.bytes.toString('utf8', this.starts[k], this.starts[k + 1] - 1);
  }

  /** Every term, in order: for merges, which walk whole dictionaries. */
  all(): string[] {
    return this.size === 0 ? [] : this.bytes.toString('utf8').split('\n');
  }

  /** Index of the first term >= `t`. */
  lowerBound(t: string): number {
    const ascii = isAscii(t);
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(mid, t, ascii) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of `t`, or -1. */
  indexOf(t: string): number {
    const k = this.lowerBound(t);
    return k < this.size && this.compare(k, t, isAscii(t)) === 0 ? k : -1;
  }

  /** Whether term k holds a space: a bigram term (`a b`), which no token can be. */
  isBigram(k: number): boolean {
    const b = this.bytes;
    for (let i = this.starts[k], end = this.starts[k + 1] - 1; i < end; i++) if (b[i] === 32) return true;
    return false;
  }

  startsWith(k: number, prefix: string): boolean {
    if (!isAscii(prefix)) return this.term(k).startsWith(prefix);
    const b = this.bytes;
    const at = this.starts[k];
    if (this.starts[k + 1] - 1 - at < prefix.length) return false;
    for (let j = 0; j < prefix.length; j++) if (b[at + j] !== prefix.charCodeAt(j)) return false;
    return true;
  }

  /**
   * Sign of term(k) compared with t. For an ASCII `t` the bytes decide: where they first differ, a byte >= 0x80
   * starts a character >= U+0080, which is above any ASCII one in UTF-16 order too.
   */
  private compare(k: number, t: string, ascii: boolean): number {
    if (!ascii) {
      const s = this.term(k);
      return s < t ? -1 : s === t ? 0 : 1;
    }
    const b = this.bytes;
    let i = this.starts[k];
    const end = this.starts[k + 1] - 1;
    for (let j = 0; j < t.length; j++, i++) {
      if (i >= end) return -1;
      const d = b[i] - t.charCodeAt(j);
      if (d !== 0) return d;
    }
    return i < end ? 1 : 0;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Front coding of a sorted dictionary (version-2 segments): first, per term, a varint byte length of the prefix it
 * shares with the term before it; then the rest of each term, joined by newlines. Sorted terms share long prefixes
 * (numbers above all), which zstd alone codes as one match per term. Measured on the message dictionary of a 1M-line
 * merged bench segment (1.48M terms, zstd level 1): joined by newlines 7.16 MB; front coded with the lengths
 * interleaved 6.03 MB; with the lengths first, as here, 5.21 MB.
 */
export function frontCode(terms: readonly string[]): Uint8Array {
  const joined = Buffer.from(terms.join('\n'), 'utf8');
  const shared = new ByteWriter(terms.length + 16);
  const rest = new ByteWriter(joined.length + 16);
  let prevStart = 0;
  let prevEnd = 0;
  let start = 0;
  for (let k = 0; k < terms.length; k++) {
    let end = start;
    while (end < joined.length && joined[end] !== 10) end++;
    let p = 0;
    const max = Math.min(end - start, prevEnd - prevStart);
    while (p < max && joined[start + p] === joined[prevStart + p]) p++;
    shared.varint(p);
    if (k > 0) rest.byte(10);
    rest.bytes(joined.subarray(start + p, end));
    prevStart = start;
    prevEnd = end;
    start = end + 1;
  }
  shared.bytes(rest.result());
  return shared.result();
}

/** The bytes of `count` front-coded terms, joined by newlines as TermDict takes them. */
export function expandFrontCoded(section: Uint8Array, count: number): Buffer {
  const coded = new Uint8Array(section.buffer, section.byteOffset, section.byteLength);
  const r = new ByteReader(coded);
  let size = 0;
  for (let k = 0; k < count; k++) size += r.varint();
  if (r.pos > coded.length) throw new RangeError(`front-coded dictionary of ${count} terms is cut short`);
  size += coded.length - r.pos;
  const out = new Uint8Array(size);
  let s = r.pos;
  r.pos = 0;
  let o = 0;
  let prev = 0;
  for (let k = 0; k < count; k++) {
    if (k > 0) {
      if (coded[s] !== 10) throw new RangeError(`front-coded dictionary: term ${k} does not start where term ${k - 1} ends`);
      out[o++] = coded[s++];
    }
    const start = o;
    const shared = r.varint();
    if (shared > 0) {
      out.copyWithin(o, prev, prev + shared);
      o += shared;
    }
    while (s < coded.length && coded[s] !== 10) out[o++] = coded[s++];
    prev = start;
  }
  if (s !== coded.length || o !== size) throw new RangeError(`front-coded dictionary of ${count} terms has ${coded.length - s} bytes past them`);
  return Buffer.from(out.buffer, 0, size);
}
