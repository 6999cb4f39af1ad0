import { type NodeConfig } from '../lib/config.ts';
import { StrataError } from '../lib/errors.ts';
import { recordId } from '../lib/record.ts';
import { threadCpuSeconds } from '../lib/thread-cpu.ts';
import { BuildPool, type JsonBytes } from '../indexer/index.ts';
import { type DecodedBatch, decodeLines, jsonOf, type Rejection } from '../ingest/index.ts';
import { executeSearch, type IndexFilter, type IndexHandle, LocalIndices, type SearchRequest, type SearchResponse, routeBatch, validateIndexName } from '../shards/index.ts';
import { AgentStore } from './agents.ts';
import { EnrollmentTokenStore } from './enrollment-tokens.ts';
import { NodeMetrics } from './metrics.ts';
import { PipelineStore } from './pipelines.ts';
import { SavedSearchStore } from './saved-searches.ts';
import { TailHub } from './tail-hub.ts';

/** Records of one index that were stored: each request position with the shard and offset it got. */
export interface StoredPart {
  index: string;
  pos: number[];
  shard: number[];
  offset: number[];
}

/**
 * Records of one index not stored because a record with their `_id` already is (or comes earlier in the request):
 * each request position with that id, and the shard and offset of the record holding it.
 */
export interface ConflictPart {
  index: string;
  pos: number[];
  id: string[];
  shard: number[];
  offset: number[];
}

/** Everything that became of a decoded request, position by position. */
export interface IngestReport {
  stored: StoredPart[];
  conflicts: ConflictPart[];
  /** Records refused by storage (overload, full disk): the sender may retry them. */
  failed: { index: string; pos: number[]; error: StrataError }[];
  /** Positions a pipeline dropped on purpose. */
  dropped: number[];
  rejected: Rejection[];
  warnings: Rejection[];
}

/** The native ingest answer. */
export interface NativeIngestAnswer {
  accepted: number;
  rejected: number;
  /** Each rejected line (the first 1000; `rejected` stays exact): its 1-based number and why. */
  errors: { line: number; reason: string }[];
  /** Lines a pipeline dropped on purpose. */
  dropped?: number;
  /** Stored lines with a note, e.g. an unparseable timestamp replaced by the ingest time. */
  warnings?: { line: number; reason: string }[];
}

/** Per-line reasons listed per answer; counts stay exact beyond it. */
const MAX_REPORTED = 1000;

export interface IngestOptions {
  /** A pipeline to run instead of the index's default; null: none even if the index has one. */
  pipeline?: string | null;
  /**
   * Why the caller may not ingest into an index, or null when it may: checked for every index a pipeline routes
   * records to, since a pipeline may send them elsewhere than the request named.
   */
  refuse?: (index: string) => StrataError | null;
}

/** One node's storage, pipelines and search, wired together: what the HTTP layer and the syslog receiver call. */
export class Engine {
  private inflightBytes = 0;
  readonly metrics = new NodeMetrics();
  /** Live tails: fed every batch once it is durable. */
  readonly tail = new TailHub();
  private constructor(
    readonly cfg: NodeConfig,
    readonly pool: BuildPool,
    readonly indices: LocalIndices,
    readonly pipelines: PipelineStore,
    readonly savedSearches: SavedSearchStore,
    readonly agents: AgentStore,
    readonly enrollmentTokens: EnrollmentTokenStore,
  ) {}

  static async open(cfg: NodeConfig, warn: (m: string) => void): Promise<Engine> {
    const pipelines = PipelineStore.open(cfg.dataDir);
    const savedSearches = SavedSearchStore.open(cfg.dataDir);
    const agents = AgentStore.open(cfg.dataDir, warn);
    const enrollmentTokens = EnrollmentTokenStore.open(cfg.dataDir);
    const pool = new BuildPool(cfg.buildThreads, cfg.mergeThreads, undefined, cfg.groupedPostingsMinDocs);
    const indices = await LocalIndices.open(cfg, pool, warn);
    const engine = new Engine(cfg, pool, indices, pipelines, savedSearches, agents, enrollmentTokens);
    engine.observePipelines();
    engine.observeCpu();
    return engine;
  }

  /**
   * Where the process's CPU time goes, by thread: the main thread (HTTP, decoding, the log, searches), the seal and
   * merge threads (counted per finished task), and the rest (V8's collector and compiler threads, libuv's I/O
   * threads, and seals or merges still running). Linux only; elsewhere the threads' shares read 0.
   */
  private observeCpu(): void {
    this.metrics.observe('strata_cpu_seconds_total', 'CPU time of the node process by thread: main, seal, merge, other.', ['thread'], () => {
      const total = cpuSecondsOfProcess();
      const main = threadCpuSeconds() ?? 0;
      const { seal, merge } = this.pool.cpuSeconds;
      return [
        [{ thread: 'main' }, main],
        [{ thread: 'seal' }, seal],
        [{ thread: 'merge' }, merge],
        [{ thread: 'other' }, Math.max(0, total - main - seal - merge)],
      ];
    });
  }

  /** Each pipeline's stage counters, as metrics. */
  private observePipelines(): void {
    const stages = () => this.pipelines.list().flatMap((p) => Object.entries(p.stats().stages).map(([stage, st]) => ({ pipeline: p.name, stage, st })));
    this.metrics.observe('strata_pipeline_records_total', 'Records through each pipeline stage, by outcome (in, out, dropped).', ['pipeline', 'stage', 'outcome'], () =>
      stages().flatMap(({ pipeline, stage, st }) => [
        [{ pipeline, stage, outcome: 'in' }, st.in] as [Record<string, string>, number],
        [{ pipeline, stage, outcome: 'out' }, st.out],
        [{ pipeline, stage, outcome: 'dropped' }, st.dropped],
      ]),
    );
    this.metrics.observe('strata_pipeline_rejected_total', 'Records each pipeline stage rejected, by reason.', ['pipeline', 'stage', 'reason'], () =>
      stages().flatMap(({ pipeline, stage, st }) => Object.entries(st.rejected).map(([reason, n]) => [{ pipeline, stage, reason }, n ?? 0] as [Record<string, string>, number])),
    );
    this.metrics.observe('strata_pipeline_seconds_total', 'Time spent in each pipeline stage.', ['pipeline', 'stage'], () =>
      stages().map(({ pipeline, stage, st }) => [{ pipeline, stage }, st.ns / 1e9] as [Record<string, string>, number]),
    );
  }

  /** Claims room for a request body; refuses (429) when too much is being ingested at once. */
  admit(bytes: number): () => void {
    if (this.inflightBytes > 0 && this.inflightBytes + bytes > this.cfg.maxInflightBytes) {
      throw new StrataError('overloaded', 'the node is busy ingesting; retry shortly', { retryAfterS: 1 });
    }
    this.inflightBytes += bytes;
    let released = false;
    return () => {
      if (!released) this.inflightBytes -= bytes;
      released = true;
    };
  }

  /**
   * Runs a decoded batch through its pipeline and stores what comes out, index by index. Resolves once every
   * stored record is durable; storage refusals are reported per index, not thrown, so that protocols answering
   * item by item (`_bulk`) can tell the sender exactly what to retry.
   */
  async ingestBatch(index: string, batch: DecodedBatch, opts: IngestOptions = {}): Promise<IngestReport> {
    validateIndexName(index);
    const report: IngestReport = { stored: [], conflicts: [], failed: [], dropped: [], rejected: [], warnings: batch.warnings ?? [] };
    const pipelineName = opts.pipeline !== undefined ? opts.pipeline : (this.indices.get(index)?.settings.default_pipeline ?? null);
    let batches: Map<string, DecodedBatch>;
    if (pipelineName === null) {
      batches = new Map([[index, batch]]);
      report.rejected = batch.rejected;
    } else {
      const out = this.pipelines.get(pipelineName).run(batch, index, { nowMs: Date.now(), maxRecordBytes: this.cfg.maxRecordBytes });
      batches = out.batches;
      report.dropped = out.dropped;
      report.rejected = out.rejected;
    }
    await Promise.all(
      [...batches].map(async ([name, b]) => {
        if (b.ts.length === 0) return;
        const refused = opts.refuse?.(name) ?? null;
        if (refused) {
          report.failed.push({ index: name, pos: b.pos, error: refused });
          return;
        }
        try {
          const { stored, conflicts } = await this.store(await this.indices.ensure(name), b);
          report.stored.push(stored);
          if (conflicts.pos.length > 0) report.conflicts.push(conflicts);
        } catch (e) {
          if (!(e instanceof StrataError) || e.httpStatus < 400) throw e;
          report.failed.push({ index: name, pos: b.pos, error: e });
        }
      }),
    );
    return report;
  }

  /**
   * The native ingest: NDJSON or text lines into one index. A storage refusal fails the whole request (429, 507),
   * which the sender retries; records of other shards may already be stored then (at-least-once).
   */
  async ingest(index: string, body: string, format: 'ndjson' | 'text', opts: IngestOptions = {}): Promise<NativeIngestAnswer> {
    return (await this.ingestNative(index, body, format, opts)).answer;
  }

  async ingestNative(index: string, body: string | Buffer, format: 'ndjson' | 'text', opts: IngestOptions = {}): Promise<{ answer: NativeIngestAnswer; report: IngestReport }> {
    const batch = decodeLines(body, format, Date.now(), this.cfg.maxRecordBytes, this.needsFields(index, opts.pipeline));
    const r = await this.ingestBatch(index, batch, opts);
    if (r.failed.length > 0) throw r.failed[0].error;
    const answer: NativeIngestAnswer = {
      accepted: storedCount(r),
      rejected: r.rejected.length,
      errors: r.rejected.slice(0, MAX_REPORTED).map(({ line, reason }) => ({ line, reason })),
    };
    if (r.dropped.length > 0) answer.dropped = r.dropped.length;
    if (r.warnings.length > 0) answer.warnings = r.warnings.slice(0, MAX_REPORTED).map(({ line, reason }) => ({ line, reason }));
    return { answer, report: r };
  }

  /**
   * Whether ingest into `index` through `pipeline` (undefined: the index's default) must keep each record's parsed
   * fields: for a pipeline, a live tail, or a head that keeps them because the index is being searched
   * (Shard.wantsFields). Otherwise decoders drop them.
   */
  needsFields(index: string, pipeline: string | null | undefined): boolean {
    const h = this.indices.get(index);
    const p = pipeline !== undefined ? pipeline : (h?.settings.default_pipeline ?? null);
    return p !== null || this.tail.active || (h !== undefined && h.shards.some((s) => s.wantsFields()));
  }

  private async store(h: IndexHandle, b: DecodedBatch): Promise<{ stored: StoredPart; conflicts: ConflictPart }> {
    const parts = routeBatch(b.ts.length, (i) => recordId(b.fields[i]), h.shards.length, h.rotation++);
    const stored: StoredPart = { index: h.name, pos: [], shard: [], offset: [] };
    const conflicts: ConflictPart = { index: h.name, pos: [], id: [], shard: [], offset: [] };
    // Where each record went, for live tails; tracked only while someone tails (-1: not stored).
    const tailShard = this.tail.active ? new Int32Array(b.ts.length).fill(-1) : null;
    const tailSeq = tailShard ? new Float64Array(b.ts.length) : null;
    // Settled, not raced: records of shards that did store are published even when another shard failed.
    const settled = await Promise.allSettled(
      parts.map(async (p) => {
        const r = await h.shards[p.shard].append(
          p.items.map((i) => ({ ts: b.ts[i], fieldsJson: storedJsonOf(b, i) })),
          p.items.map((i) => b.fields[i]),
        );
        let c = 0;
        p.items.forEach((i, k) => {
          if (c < r.conflicts.length && r.conflicts[c] === k) {
            c++;
            conflicts.pos.push(b.pos[i]);
            conflicts.id.push(recordId(b.fields[i])!);
            conflicts.shard.push(p.shard);
            conflicts.offset.push(r.offsets[k]);
            return;
          }
          stored.pos.push(b.pos[i]);
          stored.shard.push(p.shard);
          stored.offset.push(r.offsets[k]);
          if (tailShard) {
            tailShard[i] = p.shard;
            tailSeq![i] = r.offsets[k];
          }
        });
      }),
    );
    if (tailShard) this.tail.publish(h.name, b, tailShard, tailSeq!);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    return { stored, conflicts };
  }

  search(req: SearchRequest, allow?: IndexFilter): SearchResponse {
    const targets = this.indices.resolve(req.index, allow);
    return executeSearch(targets, req);
  }

  async flush(index: string, merge: boolean): Promise<void> {
    for (const h of this.indices.resolve(index)) for (const s of h.shards) await (merge ? s.mergeAll() : s.flush());
  }

  async close(): Promise<void> {
    this.tail.close();
    this.agents.close();
    await this.indices.close();
    await this.pool.close();
  }
}

/** What the log stores for record `i`: its JSON text, or for a raw record (DecodedBatch.raw) its bytes in the body. */
function storedJsonOf(b: DecodedBatch, i: number): string | JsonBytes {
  const raw = b.raw;
  if (raw !== undefined && raw.start[i] >= 0) return { bytes: raw.bytes, start: raw.start[i], end: raw.end[i] };
  return jsonOf(b, i);
}

/** Stored records of a report. */
export function storedCount(r: IngestReport): number {
  let n = 0;
  for (const p of r.stored) n += p.pos.length;
  return n;
}

function cpuSecondsOfProcess(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
