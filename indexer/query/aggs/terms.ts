import type { Fields, FieldValue } from '../../../lib/record.ts';
import type { SegmentReader } from '../../segment/reader.ts';
import type { Bitset } from '../bitset.ts';
import { type AggCollector, segmentValue } from './collector.ts';

export interface TermsSpec {
  field: string;
  size: number;
}

/** Counts of every value of a field among matches; exact, because partials keep all values, not a top N. */
export class TermsCollector implements AggCollector {
  counts = new Map<string, { key: FieldValue; n: number }>();
  missing = 0;
  constructor(readonly spec: TermsSpec) {}

  add(v: FieldValue | undefined, n = 1): void {
    if (v === undefined) {
      this.missing += n;
      return;
    }
    // Booleans are bucketed as their text, as the index and keyword columns hold them.
    if (typeof v === 'boolean') v = v ? 'true' : 'false';
    const k = typeof v + ':' + String(v);
    const e = this.counts.get(k);
    if (e) e.n += n;
    else this.counts.set(k, { key: v, n });
  }

  segment(seg: SegmentReader, bits: Bitset, lo: number, hi: number): void {
    const f = this.spec.field;
    const kw = seg.keywordColumn(f);
    const num = seg.numberColumn(f);
    if (kw) {
      const per = new Float64Array(kw.values.length + 1);
      const numbers: number[] = [];
      bits.forEachAsc((d) => {
        if (d >= hi) return false;
        const o = kw.ords[d];
        if (o !== 0) per[o]++;
        else if (num && !Number.isNaN(num[d])) numbers.push(num[d]);
        else this.missing++;
        return true;
      }, lo);
      for (let o = 1; o < per.length; o++) if (per[o] > 0) this.add(kw.values[o - 1], per[o]);
      for (const x of numbers) this.add(x);
      return;
    }
    bits.forEachAsc((d) => {
      if (d >= hi) return false;
      this.add(segmentValue(seg, f, d));
      return true;
    }, lo);
  }

  record(_ts: number, fields: Fields): void {
    this.add(fields[this.spec.field]);
  }

  merge(other: AggCollector): void {
    const o = other as TermsCollector;
    for (const e of o.counts.values()) this.add(e.key, e.n);
    this.missing += o.missing;
  }

  result(): { buckets: { key: FieldValue; doc_count: number }[]; sum_other_doc_count: number; missing: number } {
    const all = [...this.counts.values()].sort((a, b) => b.n - a.n || (String(a.key) < String(b.key) ? -1 : 1));
    const top = all.slice(0, this.spec.size);
    let other = 0;
    for (let i = this.spec.size; i < all.length; i++) other += all[i].n;
    return { buckets: top.map((e) => ({ key: e.key, doc_count: e.n })), sum_other_doc_count: other, missing: this.missing };
  }
}
