import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError, ensureDir } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import { AppendLog, type Durability } from '../log/append-log.ts';
import type { FileSystem } from '../log/file.ts';
import { encodePayload, type LogEntry } from '../log/frame.ts';
import type { BuildPool } from '../build/pool.ts';
import { SegmentReader } from '../segment/reader.ts';
import { Head, type HeadBatch } from './head.ts';
import { readManifest, writeManifest, type Manifest } from './manifest.ts';
import { pickMerge, type MergePolicy } from '../merge/policy.ts';
import { expiredSegments, type Retention } from '../merge/retention.ts';

export interface ShardOptions {
  dir: string;
  durability: Durability;
  pool: BuildPool;
  /** Seal the head into a segment at this many records, bytes, or age. */
  sealDocs: number;
  sealBytes: number;
  sealAgeMs: number;
  /** Refuse appends (429) when the unsealed head exceeds this many bytes: sealing has fallen behind. */
  maxHeadBytes: number;
  maxLogFileBytes: number;
  merge: MergePolicy;
  retention: Retention;
  fs?: FileSystem;
  warn?: (msg: string) => void;
  now?: () => number;
}

/** What a search reads: taken synchronously, so a concurrent seal or merge cannot change it mid-query. */
export interface ShardView {
  segments: readonly SegmentReader[];
  head: readonly HeadBatch[];
}

const SEG_RE = /^(\d{10})\.seg(\.tmp)?$/;

/**
 * One shard on one node: an append-only log for durability, a head searchable as soon as a write is
 * acknowledged, and sealed segments built in the pool. Seals, merges and retention commit through the manifest.
 */
export class Shard {
  private log!: AppendLog;
  private head = new Head();
  private segments: SegmentReader[] = [];
  private manifest!: Manifest;
  private sealing = false;
  private merging = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private segDir: string;
  private lastError: string | null = null;
  private backgroundDone: Promise<void> = Promise.resolve();

  private constructor(private opts: ShardOptions) {
    this.segDir = join(opts.dir, 'segments');
  }

  static async open(opts: ShardOptions): Promise<Shard> {
    const s = new Shard(opts);
    await s.recover();
    s.timer = setInterval(() => s.tick(), 250);
    s.timer.unref();
    return s;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private async recover(): Promise<void> {
    ensureDir(this.segDir, mkdirSync);
    this.manifest = readManifest(this.opts.dir);
    const live = new Set(this.manifest.segments);
    // Files a crashed seal or merge left behind were never committed to the manifest: they hold nothing new.
    for (const name of readdirSync(this.segDir)) {
      if (SEG_RE.test(name) && !live.has(name)) unlinkSync(join(this.segDir, name));
    }
    this.segments = this.manifest.segments.map((n) => SegmentReader.open(join(this.segDir, n)));
    const replay: { offsets: number[]; entries: LogEntry[]; fields: Fields[] } = { offsets: [], entries: [], fields: [] };
    this.log = await AppendLog.open(
      {
        dir: join(this.opts.dir, 'log'),
        durability: this.opts.durability,
        maxFileBytes: this.opts.maxLogFileBytes,
        fs: this.opts.fs,
        warn: this.opts.warn,
      },
      this.manifest.sealedUpTo,
      (offset, ts, json) => {
        replay.offsets.push(offset);
        replay.entries.push({ ts, fieldsJson: json });
        replay.fields.push(JSON.parse(json) as Fields);
      },
    );
    // Rebuild head batches from the replayed records, splitting wherever offsets are not contiguous.
    const CHUNK = 16_384;
    let i = 0;
    while (i < replay.offsets.length) {
      let j = i + 1;
      while (j < replay.offsets.length && j - i < CHUNK && replay.offsets[j] === replay.offsets[j - 1] + 1) j++;
      const entries = replay.entries.slice(i, j);
      this.head.add({
        baseOffset: replay.offsets[i],
        ts: Float64Array.from(entries, (e) => e.ts),
        fields: replay.fields.slice(i, j),
        payload: encodePayload(entries),
        addedAtMs: this.now(),
      });
      i = j;
    }
  }

  /** Appends records; resolves with the first offset once they are durable and searchable. */
  async append(entries: LogEntry[], fields: Fields[]): Promise<number> {
    if (this.closed) throw new StrataError('shutting_down', 'the shard is closing');
    if (this.head.bytes > this.opts.maxHeadBytes) {
      throw new StrataError('overloaded', 'indexing has fallen behind ingest; retry shortly', { retryAfterS: 1 });
    }
    const payload = encodePayload(entries);
    const base = await this.log.appendEncoded(payload, entries.length);
    this.head.add({ baseOffset: base, ts: Float64Array.from(entries, (e) => e.ts), fields, payload, addedAtMs: this.now() });
    if (this.head.docs >= this.opts.sealDocs || this.head.bytes >= this.opts.sealBytes) this.kick();
    return base;
  }

  view(): ShardView {
    return { segments: this.segments.slice(), head: this.head.batches.slice() };
  }

  private tick(): void {
    if (this.closed) return;
    if (this.head.docs > 0 && this.now() - this.head.oldestAddedAtMs >= this.opts.sealAgeMs) this.kick();
    else this.kick(false);
  }

  /** Starts whatever background work is due: a seal (when `seal`), a merge, retention. */
  private kick(seal = true): void {
    if (this.closed) return;
    if (seal && !this.sealing && this.head.docs > 0) {
      this.sealing = true;
      this.track(this.seal().finally(() => (this.sealing = false)));
    }
    if (!this.merging) {
      const pick = pickMerge(this.segments, this.opts.merge);
      if (pick) {
        this.merging = true;
        this.track(this.merge(pick).finally(() => (this.merging = false)));
      }
    }
    if (!this.merging) this.applyRetention();
  }

  private track(p: Promise<void>): void {
    const wrapped = p.catch((e: unknown) => {
      this.lastError = (e as Error).message;
      this.opts.warn?.(`shard ${this.opts.dir}: ${(e as Error).message}`);
    });
    this.backgroundDone = Promise.all([this.backgroundDone, wrapped]).then(() => undefined);
  }

  /**
   * A seal or merge its caller awaits itself, tracked like background work: whoever waits for `sealing` or
   * `merging` to clear awaits `backgroundDone`, so it must cover this too, or that wait spins in microtasks forever.
   */
  private foreground(p: Promise<void>): Promise<void> {
    this.track(p);
    return p;
  }

  private newSegmentName(): string {
    return String(this.manifest.nextSegmentId++).padStart(10, '0') + '.seg';
  }

  private async seal(): Promise<void> {
    const batches = this.head.batches.slice();
    if (batches.length === 0) return;
    let n = 0;
    for (const b of batches) n += b.ts.length;
    const seqs = new Float64Array(n);
    let k = 0;
    for (const b of batches) for (let i = 0; i < b.ts.length; i++) seqs[k++] = b.baseOffset + i;
    const name = this.newSegmentName();
    const path = join(this.segDir, name);
    await this.opts.pool.seal(path, Buffer.concat(batches.map((b) => b.payload)), seqs);
    const reader = SegmentReader.open(path);
    const last = batches[batches.length - 1];
    const sealedUpTo = last.baseOffset + last.ts.length;
    this.commit({ ...this.manifest, sealedUpTo, segments: [...this.manifest.segments, name] });
    this.segments.push(reader);
    this.head.dropFirst(batches.length);
    await this.log.releaseBefore(sealedUpTo);
    this.lastError = null;
  }

  private async merge(inputs: SegmentReader[]): Promise<void> {
    const name = this.newSegmentName();
    const path = join(this.segDir, name);
    await this.opts.pool.merge(path, inputs.map((r) => r.path));
    if (this.closed) return;
    const reader = SegmentReader.open(path);
    const gone = new Set(inputs.map((r) => baseName(r.path)));
    this.commit({ ...this.manifest, segments: [...this.manifest.segments.filter((s) => !gone.has(s)), name] });
    this.segments = [...this.segments.filter((r) => !gone.has(baseName(r.path))), reader];
    for (const r of inputs) {
      r.close();
      unlinkQuiet(r.path);
    }
  }

  private applyRetention(): void {
    const drop = expiredSegments(this.segments, this.opts.retention, this.now());
    if (drop.length === 0) return;
    const gone = new Set(drop.map((r) => baseName(r.path)));
    this.commit({ ...this.manifest, segments: this.manifest.segments.filter((s) => !gone.has(s)) });
    this.segments = this.segments.filter((r) => !gone.has(baseName(r.path)));
    for (const r of drop) {
      r.close();
      unlinkQuiet(r.path);
    }
  }

  private commit(m: Manifest): void {
    writeManifest(this.opts.dir, m);
    this.manifest = m;
  }

  /**
   * Seals whatever is in the head, then runs the merges the policy picks until it picks none: the state the
   * background work converges to. For tests, benchmarks and shutdown.
   */
  async flush(): Promise<void> {
    while (this.sealing || this.merging) await this.backgroundDone;
    if (this.head.docs > 0) {
      this.sealing = true;
      await this.foreground(this.seal().finally(() => (this.sealing = false)));
    }
    await this.mergeWhile(this.opts.merge);
  }

  /** Flushes, then merges even small tiers down to as few segments as `maxMergedDocs` allows. */
  async mergeAll(): Promise<void> {
    await this.flush();
    await this.mergeWhile({ ...this.opts.merge, minSegments: 2 });
  }

  private async mergeWhile(policy: MergePolicy): Promise<void> {
    for (;;) {
      while (this.sealing || this.merging) await this.backgroundDone;
      const pick = pickMerge(this.segments, policy);
      if (!pick) return;
      this.merging = true;
      await this.foreground(this.merge(pick).finally(() => (this.merging = false)));
    }
  }

  stats(): { docs: number; headDocs: number; segments: number; segmentBytes: number; nextOffset: number; lastError: string | null } {
    let docs = this.head.docs;
    let bytes = 0;
    for (const s of this.segments) {
      docs += s.docs;
      bytes += s.bytes;
    }
    return { docs, headDocs: this.head.docs, segments: this.segments.length, segmentBytes: bytes, nextOffset: this.log.nextOffset, lastError: this.lastError };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.backgroundDone;
    await this.log.close();
    for (const s of this.segments) s.close();
  }
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The manifest no longer names the file, so a failure to unlink only leaks space until the next recovery. */
function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* removed at next open as an orphan */
  }
}
