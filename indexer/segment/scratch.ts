import { FreeList } from '../../lib/free-list.ts';

/**
 * The largest arrays a seal fills before it reads them (the term table's occurrences, the inverted scatter of
 * writeTerms), kept by the thread for its next seal. Each new one was fresh memory: a 200,000-line seal of the bench
 * corpus allocated 83 MiB of them, and on this machine a first write to a page costs about 12 µs per 4 KiB (the
 * kernel's fault and zeroing); in a node ingesting 1M lines, page faults were about an eighth of the seal threads'
 * samples. Reusing them took 12,000 faults off each seal. A build thread runs one build at a time, so one pool per
 * thread needs no locking; what it holds goes when the idle thread exits (build/pool.ts).
 */
export class TypedScratch<T extends Uint32Array | Float64Array> {
  private free: FreeList<T>;
  /** The arrays this pool made, by their memory: what a view of one gives back. */
  private made = new WeakMap<ArrayBufferLike, T>();
  constructor(
    private readonly make: (n: number) => T,
    keep = 8,
    private readonly minKept = MIN_KEPT,
  ) {
    this.free = new FreeList(keep);
  }

  /** An array of at least `n` elements, holding whatever its last user left there: write before reading. */
  take(n: number): T {
    // A small request would take a large array that a large one after it then lacks.
    if (n < this.minKept) return this.make(n);
    return this.free.take(n) ?? this.make(n);
  }

  /**
   * `take`, as a view of exactly `n` elements (for arrays whose length is read, as columns written whole are). A
   * new array is made a little longer than asked (to the next eighth of its power of two), so that it serves the
   * next seal too when that one is somewhat larger: seals end by size, age or a flush, so their doc counts vary.
   */
  takeExact(n: number): T {
    if (n < this.minKept) return this.make(n);
    let a = this.free.take(n);
    if (a === null) {
      const step = 2 ** Math.floor(Math.log2(n)) / 8;
      a = this.make(Math.ceil(n / step) * step);
      this.made.set(a.buffer, a);
    }
    return (a.length === n ? a : a.subarray(0, n)) as T;
  }

  /**
   * Gives arrays back for later `take`s; the caller must not touch them again. Keeps the largest `keep`. A view
   * `takeExact` handed out goes back whole, so a larger request later can still have it.
   */
  give(...arrays: T[]): void {
    for (const a of arrays) {
      const whole = this.made.get(a.buffer) ?? a;
      if (whole.length >= this.minKept) this.free.give(whole);
    }
  }

  /** Arrays held, for tests. */
  get held(): number {
    return this.free.items.length;
  }
}

/** Below this many elements (1 MiB) an array is not worth keeping: V8 and malloc recycle small ones well. */
const MIN_KEPT = 1 << 18;

export class U32Scratch extends TypedScratch<Uint32Array> {
  constructor(keep = 8) {
    super((n) => new Uint32Array(n), keep);
  }
}

/** This thread's pool: every seal on it takes from and gives to this one. */
export const buildScratch = new U32Scratch();

/**
 * Arrays of one element per doc of a seal (its order, offsets and timestamps; each field's token ranges and keyword
 * ordinals): 0.8–1.6 MB each at 200k docs, about fifteen a seal, each fresh memory when it was new (measured: 19k
 * page faults a 200k-line seal, at about 15 µs each on this machine). Pools of their own, so that they neither take
 * nor push out the occurrence arrays above; from 64 KiB, below which malloc's heap serves them.
 */
export const docU32 = new TypedScratch<Uint32Array>((n) => new Uint32Array(n), 24, 1 << 14);
export const docF64 = new TypedScratch<Float64Array>((n) => new Float64Array(n), 8, 1 << 13);
