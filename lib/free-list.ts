/**
 * Large buffers or typed arrays kept for reuse, by size: `take(n)` hands out the smallest one held with at least
 * `n` elements, and `give` keeps at most `keep` of them, the largest, since those serve any request. The holder
 * decides what is worth keeping and when to drop everything (`clear`).
 */
export class FreeList<T extends { readonly length: number }> {
  private free: T[] = [];
  constructor(private readonly keep: number) {}

  /** The smallest held item of at least `n` elements, no longer held; null when none fits. */
  take(n: number): T | null {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i].length;
      if (len >= n && (best < 0 || len < this.free[best].length)) best = i;
    }
    if (best < 0) return null;
    const a = this.free[best];
    this.free[best] = this.free[this.free.length - 1];
    this.free.pop();
    return a;
  }

  /** Holds `a` for a later `take` (once, however often it is given); when full, in place of a smaller one. */
  give(a: T): void {
    if (this.free.includes(a)) return;
    if (this.free.length < this.keep) {
      this.free.push(a);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++) if (this.free[i].length < this.free[smallest].length) smallest = i;
    if (this.free[smallest].length < a.length) this.free[smallest] = a;
  }

  clear(): void {
    this.free = [];
  }

  get items(): readonly T[] {
    return this.free;
  }
}
