/**
 * Typed arrays lent to the evaluation of a query over one segment and taken back when that segment is done. A
 * query used to allocate its bitsets and decoded postings afresh, megabytes of memory outside the JS heap, and that
 * pressure made V8 run a full collection every few queries (29 in 200 phrase queries over 5M lines; 9 with the
 * arena). Queries run synchronously on one thread, so one arena serves them all;
 * whoever evaluates calls `release` once nothing that was lent is reachable (search-shard.ts, per segment).
 */
const MIN_CLASS = 6;
const MAX_ELEMENTS = 1 << 30;
/** Arrays kept for reuse, at most (bytes); past it, released arrays are left to the collector. */
const KEEP_BYTES = 64 << 20;

class Scratch {
  /** Free arrays by capacity class: free[c] holds arrays of 2^c elements. */
  private free: Uint32Array[][] = [];
  private lent: Uint32Array[] = [];
  private keptBytes = 0;

  /** n elements, contents undefined, valid until the next `release`. */
  u32(n: number): Uint32Array {
    // Past 2^30 elements classes would overflow a shift; nothing that large is kept (segments hold far fewer docs).
    if (n > MAX_ELEMENTS) return new Uint32Array(n);
    let c = MIN_CLASS;
    while (1 << c < n) c++;
    let a = this.free[c]?.pop();
    if (a === undefined) a = new Uint32Array(1 << c);
    else this.keptBytes -= a.byteLength;
    this.lent.push(a);
    return a.subarray(0, n);
  }

  /** n zeroed elements, valid until the next `release`. */
  zeroed(n: number): Uint32Array {
    const a = this.u32(n);
    a.fill(0);
    return a;
  }

  release(): void {
    for (const a of this.lent) {
      if (this.keptBytes + a.byteLength > KEEP_BYTES) continue;
      (this.free[31 - Math.clz32(a.length)] ??= []).push(a);
      this.keptBytes += a.byteLength;
    }
    this.lent.length = 0;
  }
}

export const scratch = new Scratch();
