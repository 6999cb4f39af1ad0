/** One record of a shard by what names it in a hit: its offset, or its sender's `_id`. */
import { hashId } from '../../lib/id-hash.ts';
import type { ShardCandidate } from '../query/search-shard.ts';
import type { ShardView } from './shard.ts';

/** The record stored at `seq` (its offset), or null when the shard has none there (never stored, or expired). */
export function findRecordAt(view: ShardView, seq: number): ShardCandidate | null {
  for (const b of view.head) {
    const i = seq - b.baseOffset;
    if (i >= 0 && i < b.ts.length) return { ts: b.ts[i], seq, seg: null, doc: 0, fields: b.fields[i] };
  }
  for (const seg of view.segments) {
    const { minSeq, maxSeq } = seg.footer;
    if (seg.docs === 0 || seq < minSeq || seq > maxSeq) continue;
    // Docs are sorted by time, not offset: a linear pass over the column, which is in memory already.
    const col = seg.seq;
    for (let d = 0; d < col.length; d++) if (col[d] === seq) return { ts: seg.ts[d], seq, seg, doc: d, fields: null };
  }
  return null;
}

const hash = new Uint32Array(2);

/** The record whose sender gave it this `_id`, or null. Segments answer through their id sections. */
export function findRecordById(view: ShardView, id: string): ShardCandidate | null {
  for (const b of view.head) {
    const i = b.ids === null ? -1 : b.ids.indexOf(id);
    if (i >= 0) return { ts: b.ts[i], seq: b.baseOffset + i, seg: null, doc: 0, fields: b.fields[i] };
  }
  hashId(id, hash, 0);
  for (const seg of view.segments) {
    const d = seg.findId(id, hash[0], hash[1]);
    if (d >= 0) return { ts: seg.ts[d], seq: seg.seq[d], seg, doc: d, fields: null };
  }
  return null;
}
