import { MAX_DECIMAL_BYTES, maxEscapedBytes, writeDecimal, writeJsonChars } from './json-bytes.ts';

/**
 * Batches are `_bulk` bodies built in place: each line is written as its `create` action and source straight into
 * a buffer taken from a small pool, so a batch costs one buffer, not an object per line. A batch remembers where
 * each record starts (to resend only the items the node asked to retry) and, per file, up to which byte offset
 * its lines reach (to advance the registry once the node has acknowledged them).
 */

/** A run of one file's lines inside one batch: acknowledged, it moves the file's committed offset to `end`. */
export interface Span {
  owner: SpanOwner;
  /** Byte offset just past the last line of the run (the committed offset once acknowledged). */
  end: number;
  acked: boolean;
}

/** What a file contributes to records: the constant bytes around each line, and its queue of unacknowledged runs. */
export interface SpanOwner {
  /** `{"create":{"_index":…,"_id":"<file key>-` */
  idPrefix: Buffer;
  /** `","log.file.path":…,"host.name":…(,fields)}\n` */
  tail: Buffer;
  /** Runs not yet acknowledged, oldest first. */
  pending: Span[];
}

const MID = Buffer.from('"}}\n{"@timestamp":"');
const MSG = Buffer.from('","message":"');
const SOURCE = Buffer.from('"}}\n');
/** ISO 8601 with milliseconds, `2026-11-29T12:00:00.000Z`. */
export const TIMESTAMP_BYTES = 24;

export class Batch {
  /** Record `i` is `body[starts[i], starts[i + 1])`. */
  readonly starts: Uint32Array;
  count = 0;
  length = 0;
  readonly spans: Span[] = [];
  /** Per record: 1 once the node stored it (or refused it for good), so a retry resends only the rest. */
  done!: Uint8Array;
  constructor(
    public body: Buffer,
    maxRecords: number,
    readonly openedAtMs: number,
    /** Whether `body` came from the pool (and goes back to it). */
    public pooled: boolean,
  ) {
    this.starts = new Uint32Array(maxRecords + 1);
  }
  record(i: number): Buffer {
    return this.body.subarray(this.starts[i], this.starts[i + 1]);
  }
}

/** Reuses the few full-size body buffers that are alive at once instead of allocating megabytes per batch. */
export class BufferPool {
  private free: Buffer[] = [];
  constructor(
    readonly size: number,
    private keep: number,
  ) {}
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }
  give(b: Buffer): void {
    if (b.length === this.size && this.free.length < this.keep) this.free.push(b);
  }
}

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
}

export class BatchBuilder {
  private cur: Batch | null = null;
  constructor(
    private limits: BatchLimits,
    private pool: BufferPool,
    private onSeal: (b: Batch) => void,
    private now: () => number = Date.now,
  ) {}

  get open(): Batch | null {
    return this.cur;
  }

  /**
   * Appends one line as a record: `_id` from the file key and the line's offset, `@timestamp` from `ts`. `end`
   * is the offset the file may commit once this record is acknowledged. Answers the bytes the record took.
   */
  append(owner: SpanOwner, src: Buffer, start: number, stop: number, offset: number, end: number, ts: Buffer): number {
    const bound = owner.idPrefix.length + MAX_DECIMAL_BYTES + MID.length + TIMESTAMP_BYTES + MSG.length + maxEscapedBytes(stop - start) + owner.tail.length;
    const b = this.roomFor(bound);
    const body = b.body;
    const from = b.length;
    let at = from;
    at += owner.idPrefix.copy(body, at);
    at = writeDecimal(offset, body, at);
    at += MID.copy(body, at);
    at += ts.copy(body, at, 0, TIMESTAMP_BYTES);
    at += MSG.copy(body, at);
    at = writeJsonChars(src, start, stop, body, at);
    at += owner.tail.copy(body, at);
    return this.close(b, owner, from, at, end);
  }

  /**
   * Appends a record given as its source's JSON text: `head` is `{"@timestamp":…` with the record's own fields
   * (no closing brace), and the owner's tail (its constant fields) completes it. For records that went through
   * processors, whose fields are only known as an object.
   */
  appendSource(owner: SpanOwner, head: string, offset: number, end: number): number {
    // UTF-16 to UTF-8: at most 3 bytes per code unit.
    const bound = owner.idPrefix.length + MAX_DECIMAL_BYTES + SOURCE.length + 3 * head.length + 1 + owner.tail.length;
    const b = this.roomFor(bound);
    const body = b.body;
    const from = b.length;
    let at = from;
    at += owner.idPrefix.copy(body, at);
    at = writeDecimal(offset, body, at);
    at += SOURCE.copy(body, at);
    at += body.write(head, at, 'utf8');
    body[at++] = 0x2c; // ,
    // The tail opens with `","` to close a message string; here the head ended on a value already.
    at += owner.tail.copy(body, at, 2);
    return this.close(b, owner, from, at, end);
  }

  /** Ends the record just written at `b.body[from, at)`: its run of the owner's lines, and the batch if full. */
  /** The open batch if `bound` more bytes fit in it; else it is sealed and a new one opened. */
  private roomFor(bound: number): Batch {
    const b = this.cur;
    if (b && b.length + bound <= b.body.length) return b;
    if (b) this.seal();
    return (this.cur = this.newBatch(bound));
  }

  private close(b: Batch, owner: SpanOwner, from: number, at: number, end: number): number {
    b.length = at;
    b.starts[++b.count] = at;
    const last = b.spans.length > 0 ? b.spans[b.spans.length - 1] : null;
    if (last !== null && last.owner === owner) last.end = end;
    else {
      const span: Span = { owner, end, acked: false };
      b.spans.push(span);
      owner.pending.push(span);
    }
    if (b.count >= this.limits.maxRecords || b.length >= this.limits.maxBytes) this.seal();
    return at - from;
  }

  /** Closes the open batch (if it has records) and hands it on. */
  seal(): void {
    const b = this.cur;
    if (!b) return;
    this.cur = null;
    if (b.count === 0) {
      if (b.pooled) this.pool.give(b.body);
      return;
    }
    // A batch sealed early (by time, or to free memory) should not pin a full-size buffer while it waits.
    if (b.pooled && b.length < b.body.length / 4) {
      const exact = Buffer.allocUnsafe(b.length);
      b.body.copy(exact, 0, 0, b.length);
      this.pool.give(b.body);
      b.body = exact;
      b.pooled = false;
    }
    b.done = new Uint8Array(b.count);
    this.onSeal(b);
  }

  private newBatch(bound: number): Batch {
    const pooled = bound <= this.pool.size;
    return new Batch(pooled ? this.pool.take() : Buffer.allocUnsafe(bound), this.limits.maxRecords, this.now(), pooled);
  }
}
