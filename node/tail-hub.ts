import { type DecodedBatch, fieldsOf, jsonOf } from '../ingest/index.ts';
import type { RecordMatcher } from '../indexer/index.ts';
import { storedHitJson } from '../shards/index.ts';

/** One live tail: which records it wants, and where they go. The hub knows nothing of how they are sent. */
export interface TailSubscriber {
  /** Whether records stored into this index are wanted; asked once per index name, then remembered. */
  wantsIndex(name: string): boolean;
  matcher: RecordMatcher;
  /** Bytes of hit JSON it can take now without buffering past its bound; 0 while it is backed up. */
  room(): number;
  /**
   * The hits of one stored batch that matched, in ingest order (possibly none), and how many more matched but did
   * not fit its room. Must not throw.
   */
  deliver(hits: string[], dropped: number): void;
  /** The node is shutting down: end the stream. */
  end(): void;
}

interface Entry {
  sub: TailSubscriber;
  indices: Map<string, boolean>;
}

/**
 * Live tails of what the engine stores. Publishing happens after each batch is durable; with no subscriber the
 * engine does not even call in (`active`), so tailing costs nothing while nobody tails. Every subscriber is fed
 * synchronously and within its own bound, so a slow reader costs only the matching of its records, never memory
 * or ingest latency.
 */
export class TailHub {
  private subs = new Set<Entry>();
  private closed = false;

  get subscribers(): number {
    return this.subs.size;
  }

  /** Whether anyone tails: the engine only tracks where records went when it is true. */
  get active(): boolean {
    return this.subs.size > 0;
  }

  /** Adds a subscriber; the returned function removes it (idempotent). */
  subscribe(sub: TailSubscriber): () => void {
    if (this.closed) {
      sub.end();
      return () => {};
    }
    const e: Entry = { sub, indices: new Map() };
    this.subs.add(e);
    return () => {
      this.subs.delete(e);
    };
  }

  /**
   * Records of `batch` stored into `index`: those with `shardOf[i] >= 0`, at offset `seqOf[i]` of that shard. Hit
   * JSON is made once per matching record, whatever the number of subscribers.
   */
  publish(index: string, batch: DecodedBatch, shardOf: Int32Array, seqOf: Float64Array): void {
    if (this.subs.size === 0) return;
    let hits: (string | undefined)[] | null = null;
    for (const e of this.subs) {
      try {
        let wanted = e.indices.get(index);
        if (wanted === undefined) e.indices.set(index, (wanted = e.sub.wantsIndex(index)));
        if (!wanted) continue;
        hits ??= new Array<string | undefined>(shardOf.length);
        const out: string[] = [];
        let room = e.sub.room();
        let dropped = 0;
        for (let i = 0; i < shardOf.length; i++) {
          if (shardOf[i] < 0 || !e.sub.matcher(batch.ts[i], fieldsOf(batch, i))) continue;
          if (room <= 0) {
            dropped++;
            continue;
          }
          const h = (hits[i] ??= storedHitJson(index, shardOf[i], seqOf[i], batch.ts[i], jsonOf(batch, i)));
          // The first hit goes out whenever there is room at all, so a record larger than the bound still passes;
          // past the first one that does not fit, the batch's rest is dropped too (no silent gaps mid-batch).
          if (out.length > 0 && h.length > room) {
            dropped++;
            room = 0;
            continue;
          }
          out.push(h);
          room -= h.length;
        }
        if (out.length > 0 || dropped > 0) e.sub.deliver(out, dropped);
      } catch {
        // The records are stored already: a broken subscriber loses its stream, never the ingest its answer.
        this.subs.delete(e);
        try {
          e.sub.end();
        } catch {
          /* already gone */
        }
      }
    }
  }

  /** Ends every stream (node shutdown); later subscribers are ended at once. */
  close(): void {
    this.closed = true;
    const all = [...this.subs];
    this.subs.clear();
    for (const e of all) e.sub.end();
  }
}
