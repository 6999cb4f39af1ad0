import type { Fields } from '../../../lib/record.ts';
import type { SegmentReader } from '../../segment/reader.ts';
import type { Bitset } from '../bitset.ts';
import type { AggCollector } from './collector.ts';

export interface FieldSpec {
  field: string;
}

/** count, min, max, sum and avg of a numeric field over matches; non-numeric values are not counted. */
export class StatsCollector implements AggCollector {
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  constructor(readonly spec: FieldSpec) {}
  private add(x: number): void {
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sum += x;
  }
  segment(seg: SegmentReader, bits: Bitset, lo: number, hi: number): void {
    const col = seg.numberColumn(this.spec.field);
    if (!col) return;
    bits.forEachAsc((d) => {
      if (d >= hi) return false;
      const x = col[d];
      if (!Number.isNaN(x)) this.add(x);
      return true;
    }, lo);
  }
  record(_ts: number, f: Fields): void {
    const v = f[this.spec.field];
    if (typeof v === 'number') this.add(v);
  }
  merge(o: AggCollector): void {
    const s = o as StatsCollector;
    this.count += s.count;
    this.sum += s.sum;
    if (s.min < this.min) this.min = s.min;
    if (s.max > this.max) this.max = s.max;
  }
  result(): { count: number; min: number | null; max: number | null; avg: number | null; sum: number } {
    const empty = this.count === 0;
    return { count: this.count, min: empty ? null : this.min, max: empty ? null : this.max, avg: empty ? null : this.sum / this.count, sum: this.sum };
  }
}

export interface PercentilesSpec {
  field: string;
  percents: number[];
}

/**
 * Exact percentiles (linear interpolation between closest ranks): partials keep the values, the reduce sorts them.
 * Memory is 8 bytes per matching value; a sketch (t-digest) would trade exactness for bounded memory.
 */
export class PercentilesCollector implements AggCollector {
  private chunks: Float64Array[] = [];
  private pending: number[] = [];
  constructor(readonly spec: PercentilesSpec) {}
  segment(seg: SegmentReader, bits: Bitset, lo: number, hi: number): void {
    const col = seg.numberColumn(this.spec.field);
    if (!col) return;
    const vals: number[] = [];
    bits.forEachAsc((d) => {
      if (d >= hi) return false;
      const x = col[d];
      if (!Number.isNaN(x)) vals.push(x);
      return true;
    }, lo);
    this.chunks.push(Float64Array.from(vals));
  }
  record(_ts: number, f: Fields): void {
    const v = f[this.spec.field];
    if (typeof v === 'number') this.pending.push(v);
  }
  merge(o: AggCollector): void {
    const p = o as PercentilesCollector;
    this.chunks.push(...p.chunks, Float64Array.from(p.pending));
  }
  result(): { values: Record<string, number | null> } {
    let n = this.pending.length;
    for (const c of this.chunks) n += c.length;
    const all = new Float64Array(n);
    let k = 0;
    for (const c of this.chunks) {
      all.set(c, k);
      k += c.length;
    }
    all.set(this.pending, k);
    all.sort();
    const values: Record<string, number | null> = {};
    for (const p of this.spec.percents) values[String(p)] = n === 0 ? null : rank(all, p);
    return { values };
  }
}

function rank(sorted: Float64Array, p: number): number {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

