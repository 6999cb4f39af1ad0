import { type NodeConfig } from '../lib/config.ts';
import { StrataError } from '../lib/errors.ts';
import { BuildPool } from '../indexer/index.ts';
import { decodeLines } from '../ingest/index.ts';
import { executeSearch, type IndexHandle, LocalIndices, type SearchRequest, type SearchResponse, splitBatch } from '../shards/index.ts';

export interface IngestResult {
  accepted: number;
  rejected: number;
  errors: { line: number; reason: string }[];
}

/** Rejection reasons listed per response; the count stays exact beyond it. */
const MAX_REPORTED_ERRORS = 1000;

/** One node's storage and search, wired together: what the HTTP layer calls. */
export class Engine {
  private inflightBytes = 0;
  private constructor(readonly cfg: NodeConfig, readonly pool: BuildPool, readonly indices: LocalIndices) {}

  static async open(cfg: NodeConfig, warn: (m: string) => void): Promise<Engine> {
    const pool = new BuildPool(cfg.buildThreads, cfg.mergeThreads);
    const indices = await LocalIndices.open(cfg, pool, warn);
    return new Engine(cfg, pool, indices);
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

  async ingest(index: string, body: string, format: 'ndjson' | 'text'): Promise<IngestResult> {
    const h = await this.indices.ensure(index);
    const batch = decodeLines(body, format, Date.now(), this.cfg.maxRecordBytes);
    await this.store(h, batch.ts, batch.fieldsJson, batch.fields);
    return {
      accepted: batch.ts.length,
      rejected: batch.rejected.length,
      errors: batch.rejected.slice(0, MAX_REPORTED_ERRORS),
    };
  }

  private async store(h: IndexHandle, ts: number[], json: string[], fields: import('../lib/record.ts').Fields[]): Promise<void> {
    if (ts.length === 0) return;
    const idx = ts.map((_, i) => i);
    const parts = splitBatch(idx, h.shards.length, h.rotation++);
    await Promise.all(
      parts.map((p) =>
        h.shards[p.shard].append(
          p.items.map((i) => ({ ts: ts[i], fieldsJson: json[i] })),
          p.items.map((i) => fields[i]),
        ),
      ),
    );
  }

  search(req: SearchRequest): SearchResponse {
    const targets = this.indices.resolve(req.index);
    return executeSearch(targets, req);
  }

  async flush(index: string, merge: boolean): Promise<void> {
    for (const h of this.indices.resolve(index)) for (const s of h.shards) await (merge ? s.mergeAll() : s.flush());
  }

  async close(): Promise<void> {
    await this.indices.close();
    await this.pool.close();
  }
}
