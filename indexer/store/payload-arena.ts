import { IdleTimer } from '../../lib/idle-timer.ts';
import { encodePayloadInto, type LogEntry } from '../log/frame.ts';

/** Room for several ingest batches: a 10,000-line request of the bench corpus is about 1.5 MB of payload. */
export const CHUNK_BYTES = 8 * 2 ** 20;

/**
 * Free chunks, shared by every shard of the process. At most `keep` are held (see sharedChunks: one seal of
 * 200,000 bench lines frees 31 MB of payload, which the batches that follow it fill again). All are dropped after
 * `idleMs` without use, so a node that stops ingesting gives the memory back. The bench's flood (64 connections
 * sending 8 MB bodies) gave no clear answer on memory: its peak RSS was 1.6 GiB keeping none, 1.7 and 2.4 GiB
 * keeping 2, 2.5 keeping 4, 2.3 and 2.3 keeping 8 (1.9 and 2.1 before chunks existed); a 1M-line ingest took
 * 12.4 s keeping 2 and 12.7 s keeping 32.
 */
export class ChunkPool {
  private free: Buffer[] = [];
  private idle: IdleTimer;
  constructor(
    readonly chunkBytes = CHUNK_BYTES,
    private readonly keep = 4,
    idleMs = 10_000,
  ) {
    this.idle = new IdleTimer(idleMs, () => (this.free = []));
  }
  take(): Buffer {
    this.idle.touch();
    return this.free.pop() ?? Buffer.from(new SharedArrayBuffer(this.chunkBytes));
  }
  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
    this.idle.touch();
  }
  get held(): number {
    return this.free.length;
  }
}

/**
 * Twelve chunks (96 MiB, dropped after 10 s without ingest): what three heads of 200,000 bench lines fill, the
 * two that seal threads are building from and the one filling. Keeping 4, two seals that ended close together
 * gave back more than the pool held, and the batches after them wrote to new shared memory: in a 5M-line bench
 * ingest the main thread took 225k page faults keeping 4 and 187k keeping 16 (about 15 µs each on this machine).
 */
const sharedChunks = new ChunkPool(CHUNK_BYTES, 12);

interface Chunk {
  buf: Buffer;
  used: number;
  /** Payloads placed in it and not yet released. */
  live: number;
}

/**
 * Where a shard's head keeps its batches' log payloads: in chunks of shared memory that are used again once every
 * batch in them is sealed. Two costs go away. Encoding a batch wrote it to fresh memory, and on this machine a
 * first write to a page costs about 4.5 ns a byte against 0.05 for memory already touched (0.85 µs a record of the
 * bench corpus). And a seal copied its batches into one more fresh buffer to hand it to the worker; a view of shared
 * memory is handed over as it is. A payload too large for a chunk gets shared memory of its own.
 */
export class PayloadArena {
  private current: Chunk | null = null;
  private chunks = new Map<ArrayBufferLike, Chunk>();
  constructor(private readonly pool: ChunkPool = sharedChunks) {}

  /** The entries' payload (encodePayload's bytes) in shared memory; give it back with `release` once sealed. */
  encode(entries: readonly LogEntry[]): Buffer {
    return encodePayloadInto(entries, (bytes) => this.place(bytes));
  }

  /** The head no longer needs `payload`: its chunk is reused once nothing else in it is needed either. */
  release(payload: Buffer): void {
    const c = this.chunks.get(payload.buffer);
    if (c === undefined) return;
    c.live--;
    if (c.live === 0 && c !== this.current) this.retire(c);
  }

  /** Chunks in use (current or holding live payloads). */
  get inUse(): number {
    return this.chunks.size;
  }

  private place(bytes: number): Buffer {
    const size = this.pool.chunkBytes;
    if (bytes > size) return Buffer.from(new SharedArrayBuffer(bytes));
    let c = this.current;
    if (c === null || size - c.used < bytes) {
      if (c !== null && c.live === 0) this.retire(c);
      const buf = this.pool.take();
      c = { buf, used: 0, live: 0 };
      this.chunks.set(buf.buffer, c);
      this.current = c;
    }
    const out = c.buf.subarray(c.used, c.used + bytes);
    c.used += bytes;
    c.live++;
    return out;
  }

  private retire(c: Chunk): void {
    this.chunks.delete(c.buf.buffer);
    if (this.current === c) this.current = null;
    this.pool.give(c.buf);
  }
}
