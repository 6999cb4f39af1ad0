import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError, ensureDir } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import { AppendLog, type Durability } from '../log/append-log.ts';
import type { FileSystem } from '../log/file.ts';
import type { LogEntry } from '../log/frame.ts';
import { PayloadArena } from './payload-arena.ts';
import type { BuildPool } from '../build/pool.ts';
import { SegmentReader } from '../segment/reader.ts';
import { Head, HeadBatch, idsOf } from './head.ts';
import { IdClaims } from './id-claims.ts';
import { readManifest, writeManifest, type Manifest } from './manifest.ts';
import { pickCompaction, pickMerge, type MergePolicy } from '../merge/policy.ts';
import { expiredSegments, type Retention } from '../merge/retention.ts';

/** A sealed segment no merge took is rewritten compact this long after its seal, when the shard is idle. */
const COMPACT_AFTER_MS = 30_000;
/** How many tiers' worth of segments may wait for merging while seals are building. */
const MERGE_BACKLOG = 4;
/** After a failed seal (or merge), the next starts no sooner than this, doubled after each failure in a row up to the max. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** When background work that failed may be tried again: 1 s after a failure, doubling while failures go on; a success clears it. */
class Backoff {
  private ms = 0;
  private atMs = -Infinity;
  ready(nowMs: number): boolean {
    return nowMs >= this.atMs;
  }
  failed(nowMs: number): void {
    this.ms = Math.min(RETRY_MAX_MS, this.ms === 0 ? RETRY_FIRST_MS : this.ms * 2);
    this.atMs = nowMs + this.ms;
  }
  succeeded(): void {
    this.ms = 0;
    this.atMs = -Infinity;
  }
}

export interface ShardOptions {
  dir: string;
  durability: Durability;
  pool: BuildPool;
  /** Seal the head into a segment at this many records, bytes, or age. */
  sealDocs: number;
  sealBytes: number;
  sealAgeMs: number;
  /** An unsealed head over this many bytes means sealing has fallen behind: appends wait, then are refused (429). */
  maxHeadBytes: number;
  /**
   * How long an append may wait for a seal to make room in a full head before it is refused. 0 (the default here):
   * refused at once. Nodes take `headFullWaitMs` from their config.
   */
  headFullWaitMs?: number;
  /** Seals of this shard that may build at once (each on its own pool thread); they commit in order. */
  sealConcurrency: number;
  maxLogFileBytes: number;
  /** Index pairs of common tokens as bigram terms (segment/bigrams.ts); false drops them in merges too. */
  bigrams?: boolean;
  /**
   * Index each field's words through its patterns when they fit (segment/patterns.ts). Seals decide; a merge keeps
   * patterns only when all its inputs have them, so false also keeps merged segments without.
   */
  patterns?: boolean;
  merge: MergePolicy;
  retention: Retention;
  fs?: FileSystem;
  warn?: (msg: string) => void;
  now?: () => number;
}

/** What became of each record given to `Shard.append`. */
export interface AppendResult {
  /** Per record: the offset it was stored at or, for a conflict, the offset of the record holding its `_id`. */
  offsets: number[];
  /**
   * Positions (ascending) of records not stored because a record with their `_id` is already in the shard, or
   * comes earlier in the same batch (the first wins).
   */
  conflicts: number[];
}

/** What a search reads: taken synchronously, so a concurrent seal or merge cannot change it mid-query. */
export interface ShardView {
  segments: readonly SegmentReader[];
  head: readonly HeadBatch[];
}

/** A shard searched this recently (a dashboard refreshing, a live Discover) keeps parsed fields in its head. */
export const HEAD_READ_RECENT_MS = 60_000;

const SEG_RE = /^(\d{10})\.seg(\.tmp)?$/;

/**
 * One shard on one node: an append-only log for durability, a head searchable as soon as a write is
 * acknowledged, and sealed segments built in the pool. Seals, merges and retention commit through the manifest.
 */
export class Shard {
  private log!: AppendLog;
  private head = new Head();
  /** The head batches' payloads, in memory reused across seals. */
  private arena = new PayloadArena();
  /** When a search last read the shard (view()); -Infinity: never. */
  private headReadAtMs = -Infinity;
  private claims = new IdClaims();
  private segments: SegmentReader[] = [];
  private manifest!: Manifest;
  /** Seals building now; `handedOff` head batches (the oldest) belong to them. */
  private sealsInFlight = 0;
  private handedOff = 0;
  /** Bumped when a seal fails: seals started before it must not commit (they would skip its records). */
  private sealGeneration = 0;
  /**
   * After failed seals (a full disk, an unwritable directory), background seals back off: each try costs a whole
   * seal's CPU, and a failure that persists would otherwise take a build thread for itself.
   */
  private sealRetry = new Backoff();
  /** The same for background merges (and compactions), which the 250 ms tick would otherwise retry at once. */
  private mergeRetry = new Backoff();
  /** When each segment was sealed, or found on opening (the shard's clock, ms); merged ones are not in it. */
  private sealedAtMs = new WeakMap<SegmentReader, number>();
  /** Seals commit in the order they started: each waits for the one before. */
  private sealCommits: Promise<void> = Promise.resolve();
  private merging = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private segDir: string;
  private lastError: string | null = null;
  private backgroundDone: Promise<void> = Promise.resolve();
  /** Appends waiting for room in a full head: woken when a seal drops batches from the head, or on close. */
  private roomWaiters: (() => void)[] = [];

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
    // Segments found on opening count as sealed now: a node restarted mid-ingest does not rewrite them at once.
    for (const r of this.segments) this.sealedAtMs.set(r, this.now());
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
      const fields = replay.fields.slice(i, j);
      const batch = new HeadBatch(replay.offsets[i], Float64Array.from(entries, (e) => e.ts), this.arena.encode(entries), this.now(), idsOf(fields), fields);
      this.head.add(batch);
      this.claims.remember(batch);
      i = j;
    }
    this.claims.rebuild(this.segments);
  }

  /**
   * Whether the head would keep the fields of records appended now: only while the shard is being searched (a
   * search in the last HEAD_READ_RECENT_MS). Ingest decoders keep the objects they parse only then, or when a
   * pipeline or live tail needs them; `append` takes null for a record whose fields were not kept.
   */
  wantsFields(now = this.now()): boolean {
    return now - this.headReadAtMs < HEAD_READ_RECENT_MS;
  }

  /**
   * Appends records; resolves once they are durable and searchable. A record whose fields carry an `_id` is stored
   * only if no record of the shard has that id (head, segments, or an append in flight, whose outcome it awaits);
   * otherwise it is reported as a conflict. The ids of a batch being written stay reserved until it is in the head
   * or has failed.
   */
  async append(entries: LogEntry[], fields: readonly (Fields | null)[]): Promise<AppendResult> {
    let claim;
    let waitUntil = -1;
    for (;;) {
      if (this.closed) throw new StrataError('shutting_down', 'the shard is closing');
      if (this.head.bytes > this.opts.maxHeadBytes) {
        if (waitUntil < 0) waitUntil = performance.now() + (this.opts.headFullWaitMs ?? 0);
        const left = waitUntil - performance.now();
        if (left <= 0) throw new StrataError('overloaded', 'indexing has fallen behind ingest; retry shortly', { retryAfterS: 1 });
        await this.roomOrTimeout(left);
        continue;
      }
      const c = this.claims.tryClaim(fields, this.segments);
      if (!Array.isArray(c)) {
        claim = c;
        break;
      }
      await Promise.all(c);
    }
    const { conflicts, holders } = claim;
    let keepEntries = entries;
    let keepFields = fields;
    if (conflicts.length > 0) {
      const skip = new Set(conflicts);
      keepEntries = entries.filter((_, i) => !skip.has(i));
      keepFields = fields.filter((_, i) => !skip.has(i));
    }
    let base = this.log.nextOffset;
    if (keepEntries.length > 0) {
      const payload = this.arena.encode(keepEntries);
      const ts = Float64Array.from(keepEntries, (e) => e.ts);
      const ids = idsOf(keepFields);
      try {
        base = await this.log.appendEncoded(payload, ts.length);
      } catch (e) {
        this.arena.release(payload);
        claim.abort();
        throw e;
      }
      // While searches come in, the head keeps the fields ingest parsed: each would otherwise be parsed again at
      // the next search (HeadBatch). Without searches, nothing keeps them.
      const now = this.now();
      const kept = this.wantsFields(now) && !keepFields.includes(null) ? (keepFields as Fields[]) : null;
      this.head.add(new HeadBatch(base, ts, payload, now, ids, kept));
      claim.commit(base);
      if (this.sealDue()) this.kick();
    }
    const offsets = new Array<number>(entries.length);
    let stored = 0;
    let c = 0;
    for (let i = 0; i < entries.length; i++) {
      if (c < conflicts.length && conflicts[c] === i) {
        const h = holders[c++];
        offsets[i] = h >= 0 ? h : offsets[-1 - h];
      } else {
        offsets[i] = base + stored++;
      }
    }
    return { offsets, conflicts };
  }

  /**
   * Resolves when a seal has taken batches out of the head, or after `ms`. A request held here for a moment keeps
   * the build threads fed: refused, its client would sleep for the whole second of Retry-After while the seals in
   * flight finish and nothing new is ready to seal.
   */
  private roomOrTimeout(ms: number): Promise<void> {
    return new Promise((ok) => {
      const timer = setTimeout(() => {
        const i = this.roomWaiters.indexOf(wake);
        if (i >= 0) this.roomWaiters.splice(i, 1);
        ok();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        ok();
      };
      this.roomWaiters.push(wake);
    });
  }

  private wakeRoomWaiters(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of w) wake();
  }

  /** What searches read: the segments and the head's batches, as of now. */
  view(): ShardView {
    this.headReadAtMs = this.now();
    return { segments: this.segments.slice(), head: this.head.batches.slice() };
  }

  private tick(): void {
    if (this.closed) return;
    // A head already past the size thresholds seals too: its seal may have waited for a free thread.
    this.kick(this.sealDue() || this.now() - this.unsealed().oldestAddedAtMs >= this.opts.sealAgeMs);
  }

  /** Starts whatever background work is due: seals (when `seal`, unless backing off after failures), a merge, retention. */
  private kick(seal = true): void {
    if (this.closed) return;
    if (!this.sealRetry.ready(this.now())) seal = false;
    while (seal && this.sealsInFlight < this.opts.sealConcurrency && this.handedOff < this.head.batches.length) {
      this.startSeal();
      // Only a head past the thresholds again is worth a second seal at once; a young remainder waits.
      seal = this.sealDue();
    }
    // Merges yield the cores to seals: a seal that waits lets the head fill until ingest answers 429, while a merge
    // that waits costs queries only a few more segments. Past MERGE_BACKLOG × minSegments segments they merge anyway.
    const yieldToSeals = this.sealsInFlight > 0 && this.segments.length < this.opts.merge.minSegments * MERGE_BACKLOG;
    if (!this.merging && !yieldToSeals && this.mergeRetry.ready(this.now())) {
      const pick = pickMerge(this.segments, this.opts.merge) ?? this.compaction();
      if (pick) {
        this.merging = true;
        const merged = this.merge(pick).then(
          () => this.mergeRetry.succeeded(),
          (e: unknown) => {
            this.mergeRetry.failed(this.now());
            throw e;
          },
        );
        this.track(merged.finally(() => (this.merging = false)));
      }
    }
    if (!this.merging) this.applyRetention();
  }

  /**
   * A sealed segment to rewrite compact (merge/policy.ts), once nothing waits to be sealed and it has been sealed
   * for COMPACT_AFTER_MS: while ingest runs, or soon after a seal, a tier merge is likely to take it anyway.
   */
  private compaction(): SegmentReader[] | null {
    if (this.sealsInFlight > 0 || this.handedOff < this.head.batches.length) return null;
    const now = this.now();
    return pickCompaction(this.segments.filter((r) => now - (this.sealedAtMs.get(r) ?? now) >= COMPACT_AFTER_MS));
  }

  private track(p: Promise<void>): void {
    const wrapped = p.catch((e: unknown) => {
      this.lastError = (e as Error).message;
      this.opts.warn?.(`shard ${this.opts.dir}: ${(e as Error).message}`);
    });
    this.backgroundDone = Promise.all([this.backgroundDone, wrapped]).then(() => undefined);
  }

  /**
   * A merge its caller awaits itself, tracked like background work: whoever waits for `sealsInFlight` or
   * `merging` to clear awaits `backgroundDone`, so it must cover this too, or that wait spins in microtasks forever.
   */
  private foreground(p: Promise<void>): Promise<void> {
    this.track(p);
    return p;
  }

  private newSegmentName(): string {
    return String(this.manifest.nextSegmentId++).padStart(10, '0') + '.seg';
  }

  /** Head records not yet handed to a seal. */
  private unsealed(): { docs: number; bytes: number; oldestAddedAtMs: number } {
    let docs = 0;
    let bytes = 0;
    const b = this.head.batches;
    for (let i = this.handedOff; i < b.length; i++) {
      docs += b[i].ts.length;
      bytes += b[i].payload.length;
    }
    return { docs, bytes, oldestAddedAtMs: this.handedOff < b.length ? b[this.handedOff].addedAtMs : Infinity };
  }

  private sealDue(): boolean {
    const u = this.unsealed();
    return u.docs >= this.opts.sealDocs || u.bytes >= this.opts.sealBytes;
  }

  /**
   * Hands the oldest unsealed head batches (up to `sealDocs` records) to a pool thread. Several seals may build at
   * once, since building is the costliest step of ingest; each commits only after the one before it, so the
   * manifest's `sealedUpTo` never passes records that are not in a segment yet.
   */
  private startSeal(): Promise<void> {
    const all = this.head.batches;
    let count = 0;
    let n = 0;
    while (this.handedOff + count < all.length && (count === 0 || n < this.opts.sealDocs)) n += all[this.handedOff + count++].ts.length;
    const batches = all.slice(this.handedOff, this.handedOff + count);
    this.handedOff += count;
    this.sealsInFlight++;
    const generation = this.sealGeneration;
    const seqs = new Float64Array(n);
    let k = 0;
    for (const b of batches) for (let i = 0; i < b.ts.length; i++) seqs[k++] = b.baseOffset + i;
    const name = this.newSegmentName();
    const path = join(this.segDir, name);
    const built = this.opts.pool.seal(path, batches.map((b) => b.payload), seqs, this.opts.bigrams ?? true, this.opts.patterns ?? true);
    // It may fail while earlier seals are still building, before anything awaits it: not an unhandled rejection.
    built.catch(() => {});
    const done = this.sealCommits.then(async () => {
      let sealedUpTo: number;
      let reader: SegmentReader | null = null;
      try {
        await built;
        if (generation !== this.sealGeneration) {
          unlinkQuiet(path);
          return;
        }
        reader = SegmentReader.open(path);
        const last = batches[batches.length - 1];
        sealedUpTo = last.baseOffset + last.ts.length;
        this.commit({ ...this.manifest, sealedUpTo, segments: [...this.manifest.segments, name] });
      } catch (e) {
        // Every seal not yet committed is void: its batches stay in the head and are sealed again later.
        if (generation === this.sealGeneration) {
          this.sealGeneration++;
          this.handedOff = 0;
          this.sealRetry.failed(this.now());
        }
        reader?.close();
        unlinkQuiet(path);
        throw e;
      } finally {
        this.sealsInFlight--;
      }
      this.segments.push(reader);
      this.sealedAtMs.set(reader, this.now());
      for (const b of this.head.dropFirst(batches.length)) {
        b.release();
        this.arena.release(b.payload);
      }
      this.claims.forget(batches);
      this.handedOff -= batches.length;
      this.lastError = null;
      this.sealRetry.succeeded();
      // A thread is free: the next seal starts now, not at the next append (which a full head holds back).
      if (this.sealDue()) this.kick();
      this.wakeRoomWaiters();
      // Committed: a failure from here on only keeps log files longer, until the next seal releases them.
      await this.log.releaseBefore(sealedUpTo);
    });
    this.sealCommits = done.catch(() => {});
    this.track(done);
    return done;
  }

  private async merge(inputs: SegmentReader[]): Promise<void> {
    const name = this.newSegmentName();
    const path = join(this.segDir, name);
    await this.opts.pool.merge(path, inputs.map((r) => r.path), this.opts.bigrams ?? true);
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
    while (this.sealsInFlight > 0 || this.merging) await this.backgroundDone;
    while (this.handedOff < this.head.batches.length) await this.startSeal();
    await this.mergeWhile(this.opts.merge);
  }

  /** Flushes, then merges even small tiers down to as few segments as `maxMergedDocs` allows. */
  async mergeAll(): Promise<void> {
    await this.flush();
    await this.mergeWhile({ ...this.opts.merge, minSegments: 2 });
  }

  private async mergeWhile(policy: MergePolicy): Promise<void> {
    for (;;) {
      while (this.sealsInFlight > 0 || this.merging) await this.backgroundDone;
      const pick = pickMerge(this.segments, policy) ?? pickCompaction(this.segments);
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
    this.wakeRoomWaiters();
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
