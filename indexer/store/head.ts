import { type Fields, recordId } from '../../lib/record.ts';
import { decodePayload } from '../log/frame.ts';

/**
 * Records written to the log but not yet sealed into a segment: searchable at once by scanning. A batch keeps
 * the log payload it was written with, so sealing hands the worker bytes it can parse, not objects to clone.
 *
 * A batch's fields are parsed from that payload when something first reads them (a search of the head, a lookup),
 * unless the shard was searched in the last minute, in which case it keeps the fields ingest parsed (Shard.append).
 * Ingest parses every record anyway, but objects kept until the seal, seconds later, survive the young
 * generation's collections and are copied there twice, then traced by the old generation's. Parsing on demand took
 * the main thread's collection from 3.7 to 3.1 s per 1M bench lines ingested with no search, and the node's peak
 * RSS from 1.22 to 0.93 GiB (1.17–1.20 GiB and 12.9–15.0 s for that ingest when the fields were kept, against
 * 10.7–13.1 s). The price is paid by the first search that reads a batch: on a head of 150,000 bench records the
 * first search took 308–402 ms against 52–75 ms with the fields kept (the second 92–97 against 45–62, the third
 * 31–47 against 29–44). While searches come in, new batches keep their fields, so a dashboard refreshing during
 * ingest does not have every record parsed twice. The stored JSON parses back to exactly the fields ingest made
 * (ingest/protocols/ndjson.test.ts), so what a search sees does not change.
 */
export class HeadBatch {
  private parsed: Fields[] | null;
  private released = false;
  /**
   * `ids`: each record's `_id` (null for none), or null when no record of the batch has one. `fields`: the records
   * already parsed, when the caller has them for other reasons (replaying the log).
   */
  constructor(
    readonly baseOffset: number,
    readonly ts: Float64Array,
    readonly payload: Buffer,
    readonly addedAtMs: number,
    readonly ids: readonly (string | null)[] | null,
    fields: Fields[] | null = null,
  ) {
    this.parsed = fields;
  }

  /** The records' fields, parsed from the payload on first use and then kept. */
  get fields(): readonly Fields[] {
    if (this.parsed !== null) return this.parsed;
    // The payload's memory is reused once the batch is sealed (PayloadArena): reading it then would be a bug.
    if (this.released) throw new Error(`head batch at offset ${this.baseOffset} read after its payload was released`);
    const out = new Array<Fields>(this.ts.length);
    decodePayload(this.payload, (i, _ts, json) => (out[i] = JSON.parse(json) as Fields));
    this.parsed = out;
    return out;
  }

  /** Called when the batch leaves the head, before its payload's memory is given back. */
  release(): void {
    this.released = true;
  }
}

/** Each record's `_id`, or null when none has one (the usual case for logs). */
export function idsOf(fields: readonly (Fields | null)[]): (string | null)[] | null {
  let ids: (string | null)[] | null = null;
  for (let i = 0; i < fields.length; i++) {
    const id = recordId(fields[i]);
    if (id === null) continue;
    ids ??= new Array<string | null>(fields.length).fill(null);
    ids[i] = id;
  }
  return ids;
}

export class Head {
  batches: HeadBatch[] = [];
  docs = 0;
  bytes = 0;

  add(b: HeadBatch): void {
    this.batches.push(b);
    this.docs += b.ts.length;
    this.bytes += b.payload.length;
  }
  /** Removes the first `count` batches (they are now in a segment), and returns them. */
  dropFirst(count: number): HeadBatch[] {
    const gone = this.batches.splice(0, count);
    for (const b of gone) {
      this.docs -= b.ts.length;
      this.bytes -= b.payload.length;
    }
    return gone;
  }
}
