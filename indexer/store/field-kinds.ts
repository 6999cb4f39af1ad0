import type { SegmentReader } from '../segment/reader.ts';
import type { HeadBatch } from './head.ts';
import type { ShardView } from './shard.ts';

/** Kinds of value a field holds, as bits: a field with more than one bit set holds mixed values. */
export const KIND_STRING = 1;
export const KIND_NUMBER = 2;
export const KIND_BOOLEAN = 4;

/**
 * Per segment and per head batch, each field's kinds. Both are immutable once made, so the answer is computed once
 * and dropped with them (weak keys): listing fields costs a map merge, not a scan.
 */
const segmentKinds = new WeakMap<SegmentReader, Map<string, number>>();
const batchKinds = new WeakMap<HeadBatch, Map<string, number>>();

/** ORs the kinds of every field of the shard's segments and head into `into`. */
export function addFieldKinds(view: ShardView, into: Map<string, number>): void {
  for (const seg of view.segments) mergeKinds(into, kindsOfSegment(seg));
  for (const b of view.head) mergeKinds(into, kindsOfBatch(b));
}

function mergeKinds(into: Map<string, number>, from: Map<string, number>): void {
  for (const [name, k] of from) into.set(name, (into.get(name) ?? 0) | k);
}

/**
 * From the footer alone. Segments index booleans as the words `true` and `false` and do not say which values were
 * booleans, so a field whose keyword values are only those words counts as boolean (a string field holding just
 * "true"/"false" then reads as boolean too, which searches the same). Only the small keyword value list is read,
 * never stored records; without a keyword column (over 4096 distinct values) the field is not boolean-only.
 */
function kindsOfSegment(seg: SegmentReader): Map<string, number> {
  let m = segmentKinds.get(seg);
  if (m) return m;
  m = new Map();
  for (const name of seg.fieldNames()) {
    const meta = seg.field(name)!;
    let k = meta.number !== undefined ? KIND_NUMBER : 0;
    // Older segments lack the `strings` flag; a text index implies strings there.
    if (meta.strings ?? meta.text !== undefined) k |= booleanWordsOnly(seg.keywordValues(name)) ? KIND_BOOLEAN : KIND_STRING;
    // Present with neither column: only empty strings in a segment written before the flag existed.
    m.set(name, k === 0 ? KIND_STRING : k);
  }
  segmentKinds.set(seg, m);
  return m;
}

function booleanWordsOnly(values: readonly string[] | null): boolean {
  if (values === null || values.length === 0) return false;
  for (const v of values) if (v !== 'true' && v !== 'false') return false;
  return true;
}

function kindsOfBatch(b: HeadBatch): Map<string, number> {
  let m = batchKinds.get(b);
  if (m) return m;
  m = new Map();
  for (const f of b.fields) {
    for (const name in f) {
      const v = f[name];
      const k = typeof v === 'number' ? KIND_NUMBER : typeof v === 'boolean' ? KIND_BOOLEAN : KIND_STRING;
      const had = m.get(name);
      if (had !== k) m.set(name, (had ?? 0) | k);
    }
  }
  batchKinds.set(b, m);
  return m;
}
