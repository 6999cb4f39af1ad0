/**
 * The largest arrays a seal fills before it reads them (the term table's occurrences, the inverted scatter of
 * writeTerms), kept by the thread for its next seal. Each new one was fresh memory: a 200,000-line seal of the bench
 * corpus allocated 83 MiB of them, and on this machine a first write to a page costs about 12 µs per 4 KiB (the
 * kernel's fault and zeroing); in a node ingesting 1M lines, page faults were about an eighth of the seal threads'
 * samples. Reusing them took 12,000 faults off each seal. A build thread runs one build at a time, so one pool per
 * thread needs no locking; what it holds goes when the idle thread exits (build/pool.ts).
 */
export class U32Scratch {
  private free: Uint32Array[] = [];
  constructor(private readonly keep = 8) {}

  /** An array of at least `n` elements, holding whatever its last user left there: write before reading. */
  take(n: number): Uint32Array {
    // A small request would take a large array that a large one after it then lacks.
    if (n < MIN_KEPT) return new Uint32Array(n);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i].length;
      if (len >= n && (best < 0 || len < this.free[best].length)) best = i;
    }
    if (best < 0) return new Uint32Array(n);
    const a = this.free[best];
    this.free[best] = this.free[this.free.length - 1];
    this.free.pop();
    return a;
  }

  /** Gives arrays back for later `take`s; the caller must not touch them again. Keeps the largest `keep`. */
  give(...arrays: Uint32Array[]): void {
    for (const a of arrays) if (a.length >= MIN_KEPT && !this.free.includes(a)) this.free.push(a);
    if (this.free.length > this.keep) {
      this.free.sort((a, b) => b.length - a.length);
      this.free.length = this.keep;
    }
  }

  /** Arrays held, for tests. */
  get held(): number {
    return this.free.length;
  }
}

/** Below this many elements (1 MiB) an array is not worth keeping: V8 and malloc recycle small ones well. */
const MIN_KEPT = 1 << 18;

/** This thread's pool: every seal on it takes from and gives to this one. */
export const buildScratch = new U32Scratch();
