import type { Fields } from '../../lib/record.ts';

/**
 * Records written to the log but not yet sealed into a segment: searchable at once by scanning. A batch keeps
 * the log payload it was written with, so sealing hands the worker bytes it can parse, not objects to clone.
 */
export interface HeadBatch {
  baseOffset: number;
  ts: Float64Array;
  fields: Fields[];
  payload: Buffer;
  addedAtMs: number;
}

export class Head {
  batches: HeadBatch[] = [];
  docs = 0;
  bytes = 0;

  add(b: HeadBatch): void {
    this.batches.push(b);
    this.docs += b.ts.length;
    this.bytes += b.payload.length;
  }
  /** Removes the first `count` batches (they are now in a segment). */
  dropFirst(count: number): void {
    const gone = this.batches.splice(0, count);
    for (const b of gone) {
      this.docs -= b.ts.length;
      this.bytes -= b.payload.length;
    }
  }
}
