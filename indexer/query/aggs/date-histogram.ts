import type { Fields, FieldValue } from '../../../lib/record.ts';
import type { SegmentReader } from '../../segment/reader.ts';
import type { Bitset } from '../bitset.ts';
import { type AggCollector, segmentValue } from './collector.ts';

export interface DateHistogramSpec {
  /** Bucket width in ms, or 0 for automatic. */
  intervalMs: number;
  /** Target bucket count for automatic intervals. */
  buckets: number;
  split?: { field: string; size: number };
}

/** The bucket grid, fixed before the map phase so every partial counts into the same buckets. */
export interface Grid {
  originMs: number;
  intervalMs: number;
  count: number;
}

export const MAX_BUCKETS = 20_000;
const NICE_MS = [1, 10, 100, 1e3, 5e3, 1e4, 3e4, 6e4, 3e5, 6e5, 18e5, 36e5, 108e5, 432e5, 864e5, 6048e5, 2592e6];

/** Picks the smallest "nice" interval giving at most `target` buckets over [fromMs, toMs]. */
export function autoInterval(fromMs: number, toMs: number, target: number): number {
  const span = Math.max(1, toMs - fromMs + 1);
  for (const i of NICE_MS) if (span / i <= target) return i;
  return Math.ceil(span / target / 864e5) * 864e5;
}

export function makeGrid(fromMs: number, toMs: number, intervalMs: number): Grid {
  const first = Math.floor(fromMs / intervalMs);
  const last = Math.floor(toMs / intervalMs);
  return { originMs: first * intervalMs, intervalMs, count: Math.max(0, last - first + 1) };
}

/**
 * Counts of matches per time bucket. Without a split, a sealed segment is counted bucket by bucket as popcounts
 * over doc id ranges (docs are sorted by time), never touching postings or stored records.
 */
export class DateHistogramCollector implements AggCollector {
  counts: Float64Array;
  bySplit = new Map<string, { key: FieldValue; counts: Float64Array }>();
  constructor(readonly spec: DateHistogramSpec, readonly grid: Grid) {
    this.counts = new Float64Array(grid.count);
  }

  private bucketOf(ts: number): number {
    return Math.floor((ts - this.grid.originMs) / this.grid.intervalMs);
  }

  private splitAdd(v: FieldValue | undefined, b: number, n: number): void {
    if (v === undefined) return;
    if (typeof v === 'boolean') v = v ? 'true' : 'false';
    const k = typeof v + ':' + String(v);
    let e = this.bySplit.get(k);
    if (!e) this.bySplit.set(k, (e = { key: v, counts: new Float64Array(this.grid.count) }));
    e.counts[b] += n;
  }

  segment(seg: SegmentReader, bits: Bitset, lo: number, hi: number): void {
    const { originMs, intervalMs, count } = this.grid;
    if (count === 0 || lo >= hi) return;
    const bFirst = Math.max(0, this.bucketOf(seg.ts[lo]));
    const bLast = Math.min(count - 1, this.bucketOf(seg.ts[hi - 1]));
    for (let b = bFirst; b <= bLast; b++) {
      const a = Math.max(lo, seg.lowerBoundKey(originMs + b * intervalMs));
      const z = Math.min(hi, seg.lowerBoundKey(originMs + (b + 1) * intervalMs));
      if (z > a) this.counts[b] += bits.countRange(a, z);
    }
    const split = this.spec.split;
    if (!split) return;
    // A segment without the field adds nothing to any split value: skip its docs (Discover splits by `level`
    // whether or not an index has it).
    if (!seg.field(split.field)) return;
    const kw = seg.keywordColumn(split.field);
    const num = seg.numberColumn(split.field);
    if (kw && !num) {
      // Counts per (bucket, ordinal) in one typed array, walking bucket by bucket over the match bitset's words
      // (a callback per doc cost 14 ns a doc, most of the time of a split histogram); values are named at the end.
      const stride = kw.values.length + 1;
      const per = new Float64Array(stride * count);
      const ords = kw.ords;
      const words = bits.words;
      for (let b = bFirst; b <= bLast; b++) {
        const a = Math.max(lo, seg.lowerBoundKey(originMs + b * intervalMs));
        const z = Math.min(hi, seg.lowerBoundKey(originMs + (b + 1) * intervalMs));
        const row = b * stride;
        for (let base = a & ~31; base < z; base += 32) {
          let w = words[base >>> 5] | 0;
          if (a > base) w &= -1 << (a - base);
          if (z < base + 32) w &= (1 << (z - base)) - 1;
          if (w === -1) {
            for (let d = base; d < base + 32; d++) per[row + ords[d]]++;
            continue;
          }
          while (w !== 0) {
            const t = w & -w;
            per[row + ords[base + 31 - Math.clz32(t)]]++;
            w ^= t;
          }
        }
      }
      for (let o = 1; o < stride; o++) {
        for (let b = bFirst; b <= bLast; b++) {
          const c = per[b * stride + o];
          if (c > 0) this.splitAdd(kw.values[o - 1], b, c);
        }
      }
      return;
    }
    bits.forEachAsc((d) => {
      if (d >= hi) return false;
      const b = this.bucketOf(seg.ts[d]);
      if (b < 0 || b >= count) return true;
      let v: FieldValue | undefined;
      if (kw) {
        const o = kw.ords[d];
        v = o !== 0 ? kw.values[o - 1] : num && !Number.isNaN(num[d]) ? num[d] : undefined;
      } else v = segmentValue(seg, split.field, d);
      this.splitAdd(v, b, 1);
      return true;
    }, lo);
  }

  record(ts: number, fields: Fields): void {
    const b = this.bucketOf(ts);
    if (b < 0 || b >= this.grid.count) return;
    this.counts[b]++;
    if (this.spec.split) this.splitAdd(fields[this.spec.split.field], b, 1);
  }

  merge(other: AggCollector): void {
    const o = other as DateHistogramCollector;
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += o.counts[i];
    for (const [k, e] of o.bySplit) {
      const mine = this.bySplit.get(k);
      if (!mine) this.bySplit.set(k, { key: e.key, counts: e.counts.slice() });
      else for (let i = 0; i < mine.counts.length; i++) mine.counts[i] += e.counts[i];
    }
  }

  result(): unknown {
    const { originMs, intervalMs } = this.grid;
    let top: { key: FieldValue; counts: Float64Array }[] = [];
    if (this.spec.split) {
      const totals = [...this.bySplit.values()].map((e) => ({ e, n: e.counts.reduce((a, b) => a + b, 0) }));
      totals.sort((a, b) => b.n - a.n || (String(a.e.key) < String(b.e.key) ? -1 : 1));
      top = totals.slice(0, this.spec.split.size).map((t) => t.e);
    }
    const buckets = Array.from(this.counts, (n, i) => {
      const key = originMs + i * intervalMs;
      const bucket: { key: number; key_as_string: string; doc_count: number; split?: { key: FieldValue; doc_count: number }[]; other?: number } = {
        key,
        key_as_string: new Date(key).toISOString(),
        doc_count: n,
      };
      if (this.spec.split) {
        bucket.split = top.map((t) => ({ key: t.key, doc_count: t.counts[i] }));
        bucket.other = n - bucket.split.reduce((a, s) => a + s.doc_count, 0);
      }
      return bucket;
    });
    return { interval_ms: intervalMs, ...(this.spec.split ? { split_keys: top.map((t) => t.key) } : {}), buckets };
  }
}
