import type { SegmentReader } from '../segment/reader.ts';

export interface MergePolicy {
  /** Merge once this many segments sit in the same size tier. */
  minSegments: number;
  /** Never build a merged segment larger than this many docs. */
  maxMergedDocs: number;
}

export const DEFAULT_MERGE_POLICY: MergePolicy = { minSegments: 8, maxMergedDocs: 4_000_000 };

/**
 * Tiered merging: segments are grouped by the order of magnitude of their doc count, and a full tier is merged
 * into one segment of the next. Each record is thus rewritten about log(total / sealed size) times.
 */
export function pickMerge(segments: readonly SegmentReader[], p: MergePolicy): SegmentReader[] | null {
  const tiers = new Map<number, SegmentReader[]>();
  for (const s of segments) {
    if (s.docs >= p.maxMergedDocs) continue;
    const t = Math.floor(Math.log10(Math.max(1, s.docs)));
    let arr = tiers.get(t);
    if (!arr) tiers.set(t, (arr = []));
    arr.push(s);
  }
  for (const t of [...tiers.keys()].sort((a, b) => a - b)) {
    const arr = tiers.get(t)!.sort((a, b) => a.docs - b.docs);
    if (arr.length < p.minSegments) continue;
    const pick: SegmentReader[] = [];
    let docs = 0;
    for (const s of arr) {
      if (docs + s.docs > p.maxMergedDocs) break;
      pick.push(s);
      docs += s.docs;
    }
    if (pick.length >= 2) return pick;
  }
  if (p.minSegments <= 2) {
    // Forced merging (tests, benchmarks): take the smallest segments across tiers.
    const all = segments.filter((s) => s.docs < p.maxMergedDocs).sort((a, b) => a.docs - b.docs);
    const pick: SegmentReader[] = [];
    let docs = 0;
    for (const s of all) {
      if (docs + s.docs > p.maxMergedDocs) break;
      pick.push(s);
      docs += s.docs;
    }
    if (pick.length >= 2) return pick;
  }
  return null;
}

/**
 * A segment whose stored records are still joined JSON, as its seal wrote them (segment/layout.ts,
 * ZSTD_LEVEL_SEAL), to rewrite alone into the compact form a merge writes: the oldest such, or null. Called when
 * pickMerge finds nothing and the shard is idle, so a segment no tier merge takes does not stay large on disk.
 */
export function pickCompaction(segments: readonly SegmentReader[]): SegmentReader[] | null {
  const s = segments.find((r) => r.storedJoined);
  return s === undefined ? null : [s];
}
