import { scratch } from './scratch.ts';

/**
 * A fixed-size set of doc ids over one segment. Boolean queries combine these word-wise; with docs sorted by time,
 * a time range is a doc id range, so counting a range is a popcount over a slice.
 */
export class Bitset {
  readonly words: Uint32Array;
  constructor(readonly size: number, words?: Uint32Array) {
    this.words = words ?? new Uint32Array((size + 31) >>> 5);
  }
  /** An empty set whose words are lent by the query scratch arena (valid until it is released). */
  static scratch(size: number): Bitset {
    return new Bitset(size, scratch.zeroed((size + 31) >>> 5));
  }
  /** Every doc, in scratch words. */
  static full(size: number): Bitset {
    const b = new Bitset(size, scratch.u32((size + 31) >>> 5));
    b.words.fill(0xffffffff);
    b.clearTail();
    return b;
  }
  /** [lo, hi), in scratch words. */
  static range(size: number, lo: number, hi: number): Bitset {
    const b = Bitset.scratch(size);
    b.setRange(lo, hi);
    return b;
  }
  private clearTail(): void {
    const r = this.size & 31;
    if (r !== 0) this.words[this.words.length - 1] &= (1 << r) - 1;
  }
  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  setAll(ids: Uint32Array, n = ids.length): void {
    const w = this.words;
    for (let k = 0; k < n; k++) {
      const i = ids[k];
      w[i >>> 5] |= 1 << (i & 31);
    }
  }
  /** Sets [lo, hi). */
  setRange(lo: number, hi: number): void {
    for (let i = lo; i < hi && (i & 31) !== 0; i++) this.set(i);
    let i = lo + ((32 - (lo & 31)) & 31);
    for (; i + 32 <= hi; i += 32) this.words[i >>> 5] = 0xffffffff;
    for (; i < hi; i++) this.set(i);
  }
  and(o: Bitset): this {
    const a = this.words;
    const b = o.words;
    for (let i = 0; i < a.length; i++) a[i] &= b[i];
    return this;
  }
  or(o: Bitset): this {
    const a = this.words;
    const b = o.words;
    for (let i = 0; i < a.length; i++) a[i] |= b[i];
    return this;
  }
  andNot(o: Bitset): this {
    const a = this.words;
    const b = o.words;
    for (let i = 0; i < a.length; i++) a[i] &= ~b[i];
    return this;
  }
  not(): this {
    const a = this.words;
    for (let i = 0; i < a.length; i++) a[i] = ~a[i];
    this.clearTail();
    return this;
  }
  /** Keeps only [lo, hi). */
  clipTo(lo: number, hi: number): this {
    const a = this.words;
    const loW = lo >>> 5;
    for (let i = 0; i < loW; i++) a[i] = 0;
    if ((lo & 31) !== 0) a[loW] &= ~((1 << (lo & 31)) - 1);
    const hiW = hi >>> 5;
    if (hiW < a.length) {
      if ((hi & 31) !== 0) a[hiW] &= (1 << (hi & 31)) - 1;
      else a[hiW] = 0;
      for (let i = hiW + 1; i < a.length; i++) a[i] = 0;
    }
    return this;
  }
  count(): number {
    return this.countRange(0, this.size);
  }
  /** Number of set bits in [lo, hi). */
  countRange(lo: number, hi: number): number {
    if (hi <= lo) return 0;
    const a = this.words;
    const loW = lo >>> 5;
    const hiW = (hi - 1) >>> 5;
    const loMask = (lo & 31) === 0 ? -1 : ~((1 << (lo & 31)) - 1);
    const hiMask = (hi & 31) === 0 ? -1 : (1 << (hi & 31)) - 1;
    if (loW === hiW) return popcount(a[loW] & loMask & hiMask);
    // The edge words masked, the ones between counted in a loop without them; match sets are mostly zero words.
    let c = popcount(a[loW] & loMask) + popcount(a[hiW] & hiMask);
    for (let w = loW + 1; w < hiW; w++) {
      const x = a[w];
      if (x !== 0) c += popcount(x);
    }
    return c;
  }
  /** Calls fn for set bits from high to low, while it returns true. */
  forEachDesc(fn: (i: number) => boolean, hi = this.size): void {
    const a = this.words;
    for (let w = (hi - 1) >>> 5; w >= 0 && hi > 0; w--) {
      let x = a[w];
      if (x === 0) continue;
      while (x !== 0) {
        const bit = 31 - Math.clz32(x);
        const i = (w << 5) + bit;
        x &= ~(1 << bit);
        if (i >= hi) continue;
        if (!fn(i)) return;
      }
    }
  }
  /** Calls fn for set bits from low to high, while it returns true. */
  forEachAsc(fn: (i: number) => boolean, lo = 0): void {
    const a = this.words;
    for (let w = lo >>> 5; w < a.length; w++) {
      let x = a[w];
      while (x !== 0) {
        const t = x & -x;
        const i = (w << 5) + 31 - Math.clz32(t);
        x ^= t;
        if (i < lo) continue;
        if (!fn(i)) return;
      }
    }
  }
  /** A copy in scratch words. */
  clone(): Bitset {
    const w = scratch.u32(this.words.length);
    w.set(this.words);
    return new Bitset(this.size, w);
  }
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
