import { StrataError } from '../../lib/errors.ts';
import { hashId } from '../../lib/id-hash.ts';
import { type Fields, recordId } from '../../lib/record.ts';
import type { SegmentReader } from '../segment/reader.ts';
import type { HeadBatch } from './head.ts';
import { IdFilter } from './id-filter.ts';

/** What checking a batch's `_id`s found; its new ids stay reserved until `commit` or `abort`. */
export interface Claim {
  /** Positions (ascending) whose `_id` is taken: by a stored record, or by an earlier position of the batch. */
  conflicts: number[];
  /** Per conflict: the offset of the stored record holding the id, or `-1 - p` when position `p` of the batch holds it. */
  holders: number[];
  /** The batch's records but the conflicts are in the head from `baseOffset` on: its ids now name their offsets. */
  commit(baseOffset: number): void;
  /** The batch was not stored: its ids are free again. */
  abort(): void;
}

/** An append in flight: the ids it reserved, and what waits on its outcome. */
interface Pending {
  done: Promise<void>;
  /** Set by commit and abort, after which no id may still name this append. */
  settled: boolean;
  ids: string[];
  /** Per reserved id, its position in the batch. */
  pos: number[];
}

const nothing = (): void => {};

/**
 * `_id` uniqueness within one shard. An id is taken when a head record holds it, a segment's id section does
 * (verified against the stored record), or an append in flight reserved it. Checking and reserving happen in one
 * synchronous call, so two appends on the event loop cannot both take an id; an append that meets an id reserved
 * by another waits for that one's outcome rather than answering "exists", since that append may still fail and
 * leave the id free.
 *
 * Every id is hashed once (lib/id-hash.ts). A filter over the hashes of all ids the shard holds answers most new
 * ids at once; only a possible match looks further: one Map for the head's ids and the reservations, then each
 * segment's id section.
 */
export class IdClaims {
  /** Per id: the offset of the head record holding it, or the append in flight that reserved it. */
  private held = new Map<string, number | Pending>();
  private filter = new IdFilter(0);
  private hash = new Uint32Array(2);

  /**
   * Sizes the filter for the ids the shard holds now and sets their bits: at open (once the head is replayed),
   * and when adds outgrow it. Reads every segment's id section.
   */
  rebuild(segments: readonly SegmentReader[]): void {
    let live = this.held.size;
    for (const s of segments) live += s.footer.ids?.count ?? 0;
    const f = new IdFilter(Math.max(4096, live * 2));
    for (const s of segments) {
      const ix = s.idIndex();
      if (ix !== null) for (let k = 0; k < ix.hi.length; k++) f.add(ix.hi[k], ix.lo[k]);
    }
    for (const id of this.held.keys()) {
      hashId(id, this.hash, 0);
      f.add(this.hash[0], this.hash[1]);
    }
    this.filter = f;
  }

  /**
   * Claims the batch's new ids and reports its conflicts; or, when an append in flight holds any of its ids,
   * reserves nothing and returns what to wait for before trying again.
   */
  tryClaim(fields: readonly (Fields | null)[], segments: readonly SegmentReader[]): Claim | Promise<void>[] {
    if (this.filter.added > this.filter.capacity) this.rebuild(segments);
    let mine: Pending | null = null;
    let resolve!: () => void;
    let conflicts: number[] | null = null;
    let holders: number[] | null = null;
    /** Positions of ids met again within the batch: built at the first such repeat, which is rare. */
    let firstPos: Map<string, number> | null = null;
    for (let i = 0; i < fields.length; i++) {
      const id = recordId(fields[i]);
      if (id === null) continue;
      hashId(id, this.hash, 0);
      const hi = this.hash[0];
      const lo = this.hash[1];
      const maybe = this.filter.mayHave(hi, lo);
      const h = maybe ? this.held.get(id) : undefined;
      let holder = -1;
      if (h === undefined) {
        if (maybe) holder = this.inSegments(id, hi, lo, segments);
        if (holder < 0) {
          if (mine === null) mine = { done: new Promise<void>((ok) => (resolve = ok)), settled: false, ids: [], pos: [] };
          this.held.set(id, mine);
          this.filter.add(hi, lo);
          mine.ids.push(id);
          mine.pos.push(i);
          firstPos?.set(id, i);
          continue;
        }
      } else if (typeof h === 'number') {
        holder = h;
      } else if (h === mine) {
        firstPos ??= new Map(mine.ids.map((x, k) => [x, mine!.pos[k]]));
        holder = -1 - firstPos.get(id)!;
      } else if (h.settled) {
        // Waiting on it again would spin forever in microtasks, where no timer could ever end the wait.
        throw new StrataError('internal', `id ${JSON.stringify(id.slice(0, 100))} is still reserved by an append that has ended`);
      } else {
        // Another append holds it: undo this claim and wait for that one's outcome.
        if (mine !== null) for (const x of mine.ids) this.held.delete(x);
        return [h.done];
      }
      (conflicts ??= []).push(i);
      (holders ??= []).push(holder);
    }
    if (mine === null && conflicts === null) return { conflicts: [], holders: [], commit: nothing, abort: nothing };
    const pending = mine;
    const c = conflicts ?? [];
    return {
      conflicts: c,
      holders: holders ?? [],
      commit: (baseOffset) => {
        if (pending === null) return;
        // A reserved id's offset: its position less the conflicts before it, which were not written.
        let k = 0;
        for (let j = 0; j < pending.ids.length; j++) {
          const p = pending.pos[j];
          while (k < c.length && c[k] < p) k++;
          this.held.set(pending.ids[j], baseOffset + p - k);
        }
        pending.settled = true;
        resolve();
      },
      abort: () => {
        if (pending === null) return;
        for (const x of pending.ids) if (this.held.get(x) === pending) this.held.delete(x);
        pending.settled = true;
        resolve();
      },
    };
  }

  /** Head records recovered from the log: their ids are taken (their filter bits are set by `rebuild`). */
  remember(b: HeadBatch): void {
    if (b.ids === null) return;
    for (let i = 0; i < b.ids.length; i++) {
      const id = b.ids[i];
      if (id !== null) this.held.set(id, b.baseOffset + i);
    }
  }

  /** Head records now in a segment, whose id section answers for them from now on. */
  forget(batches: readonly HeadBatch[]): void {
    if (this.held.size === 0) return;
    for (const b of batches) {
      if (b.ids === null) continue;
      for (let i = 0; i < b.ids.length; i++) {
        const id = b.ids[i];
        // Only a log written before ids were unique can hold an id twice; the later record keeps it then.
        if (id !== null && this.held.get(id) === b.baseOffset + i) this.held.delete(id);
      }
    }
  }

  /** The offset of the segment record with this id (whose hash is hi, lo), or -1. */
  private inSegments(id: string, hi: number, lo: number, segments: readonly SegmentReader[]): number {
    // Latest committed first: a retry most likely repeats what was sealed shortly before.
    for (let s = segments.length - 1; s >= 0; s--) {
      const doc = segments[s].findId(id, hi, lo);
      if (doc >= 0) return segments[s].seq[doc];
    }
    return -1;
  }
}
