import { FreeList } from '../../lib/free-list.ts';

/**
 * The largest arrays a seal fills before it reads them (the term table's occurrences, the inverted scatter of
 * writeTerms), kept by the thread for its next seal. Each new one was fresh memory: a 200,000-line seal of the bench
 * corpus allocated 83 MiB of them, and on this machine a first write to a page costs about 12 µs per 4 KiB (the
 * kernel's fault and zeroing); in a node ingesting 1M lines, page faults were about an eighth of the seal threads'
 * samples. Reusing them took 12,000 faults off each seal. A build thread runs one build at a time, so one pool per
 * thread needs no locking; what it holds goes when the idle thread exits (build/pool.ts).
 */
export class U32Scratch {
  private free: FreeList<Uint32Array>;
  constructor(keep = 8) {
    this.free = new FreeList(keep);
  }

  /** An array of at least `n` elements, holding whatever its last user left there: write before reading. */
  take(n: number): Uint32Array {
    // A small request would take a large array that a large one after it then lacks.
    if (n < MIN_KEPT) return new Uint32Array(n);
    return this.free.take(n) ?? new Uint32Array(n);
  }

  /** Gives arrays back for later `take`s; the caller must not touch them again. Keeps the largest `keep`. */
  give(...arrays: Uint32Array[]): void {
    for (const a of arrays) if (a.length >= MIN_KEPT) this.free.give(a);
  }

  /** Arrays held, for tests. */
  get held(): number {
    return this.free.items.length;
  }
}

/** Below this many elements (1 MiB) an array is not worth keeping: V8 and malloc recycle small ones well. */
const MIN_KEPT = 1 << 18;

/** This thread's pool: every seal on it takes from and gives to this one. */
export const buildScratch = new U32Scratch();
