import type { SegmentReader } from '../segment/reader.ts';

export interface Retention {
  /** Drop segments whose newest record is older than this; 0 keeps forever. */
  maxAgeMs: number;
  /** Drop the oldest segments while the shard's segments exceed this many bytes; 0 means no cap. */
  maxBytes: number;
}

/** Whole segments only: a segment goes once all of it is past retention, or when the size cap demands it. */
export function expiredSegments(segments: readonly SegmentReader[], r: Retention, nowMs: number): SegmentReader[] {
  const out = new Set<SegmentReader>();
  if (r.maxAgeMs > 0) for (const s of segments) if (s.maxTs < nowMs - r.maxAgeMs) out.add(s);
  if (r.maxBytes > 0) {
    let total = 0;
    for (const s of segments) if (!out.has(s)) total += s.bytes;
    const byAge = segments.filter((s) => !out.has(s)).sort((a, b) => a.maxTs - b.maxTs);
    for (const s of byAge) {
      if (total <= r.maxBytes) break;
      out.add(s);
      total -= s.bytes;
    }
  }
  return [...out];
}
