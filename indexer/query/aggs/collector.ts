import type { Fields, FieldValue } from '../../../lib/record.ts';
import type { SegmentReader } from '../../segment/reader.ts';
import type { Bitset } from '../bitset.ts';

/**
 * One aggregation's partial state. `segment` and `record` are the map side (a sealed segment's matching docs in
 * [lo, hi), or one head record); `merge` is the reduce side, so partials from shards and nodes combine exactly.
 */
export interface AggCollector {
  segment(seg: SegmentReader, bits: Bitset, lo: number, hi: number): void;
  record(ts: number, fields: Fields): void;
  merge(other: AggCollector): void;
  result(): unknown;
}

/** A field's value in a sealed doc, from columns when present, else from the stored record. */
export function segmentValue(seg: SegmentReader, field: string, doc: number): FieldValue | undefined {
  const num = seg.numberColumn(field);
  if (num && !Number.isNaN(num[doc])) return num[doc];
  const kw = seg.keywordColumn(field);
  if (kw) {
    const o = kw.ords[doc];
    if (o !== 0) return kw.values[o - 1];
    if (num) return undefined;
    // The keyword column holds strings and booleans as text; no ordinal means the doc lacks the field.
    return undefined;
  }
  if (!seg.field(field)) return undefined;
  return seg.doc(doc)[field];
}

/** Whether a segment's keyword column fully describes the field's string values. */
export function hasCompleteKeyword(seg: SegmentReader, field: string): boolean {
  const m = seg.field(field);
  return m !== undefined && m.keyword !== undefined;
}
