import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { join } from 'node:path';
import { durationMs, INDEX_NAME_RE, indexNameProblem, type IndexSettings, IndexSettingsSchema, MUTABLE_INDEX_SETTINGS, type NodeConfig, parseConfig } from '../../lib/config.ts';
import { StrataError, ensureDir } from '../../lib/errors.ts';
import { type BuildPool, Shard, fsyncDir } from '../../indexer/index.ts';

export interface IndexHandle {
  name: string;
  settings: IndexSettings;
  shards: Shard[];
  /** Rotates which shard a batch starts on. */
  rotation: number;
}

export function validateIndexName(name: string): void {
  const problem = indexNameProblem(name);
  if (problem !== null) throw new StrataError('invalid_request', problem);
}

/**
 * The static shard map of a single node with no etcd: every shard of every index lives here. Index settings are
 * kept in `index.json` beside the shard directories.
 */
export class LocalIndices {
  private indices = new Map<string, IndexHandle>();
  private opening = new Map<string, Promise<IndexHandle>>();
  private root: string;

  private constructor(private cfg: NodeConfig, private pool: BuildPool, private warn: (m: string) => void) {
    this.root = join(cfg.dataDir, 'indices');
  }

  static async open(cfg: NodeConfig, pool: BuildPool, warn: (m: string) => void): Promise<LocalIndices> {
    const li = new LocalIndices(cfg, pool, warn);
    ensureDir(li.root, mkdirSync);
    for (const name of readdirSync(li.root)) {
      if (!INDEX_NAME_RE.test(name) || !existsSync(join(li.root, name, 'index.json'))) continue;
      const settings = parseConfig(IndexSettingsSchema, JSON.parse(readFileSync(join(li.root, name, 'index.json'), 'utf8')), `settings of index ${name}`);
      li.indices.set(name, await li.openShards(name, settings));
    }
    return li;
  }

  private async openShards(name: string, settings: IndexSettings): Promise<IndexHandle> {
    const shards: Shard[] = [];
    const c = this.cfg;
    for (let s = 0; s < settings.shards; s++) {
      shards.push(
        await Shard.open({
          dir: join(this.root, name, `shard-${s}`),
          durability: settings.durability === 'fsync' ? { mode: 'batch' } : { mode: 'interval', intervalMs: settings.fsync_interval_ms },
          pool: this.pool,
          sealDocs: c.sealDocs,
          sealBytes: c.sealBytes,
          sealAgeMs: c.sealAgeMs,
          maxHeadBytes: c.maxHeadBytes,
          headFullWaitMs: c.headFullWaitMs,
          sealConcurrency: c.buildThreads,
          maxLogFileBytes: c.maxLogFileBytes,
          bigrams: settings.phrase_bigrams,
          patterns: settings.word_patterns,
          merge: { minSegments: c.mergeMinSegments, maxMergedDocs: c.maxMergedDocs },
          retention: { maxAgeMs: durationMs(settings.retention), maxBytes: settings.max_shard_bytes },
          warn: this.warn,
        }),
      );
    }
    return { name, settings, shards, rotation: 0 };
  }

  get(name: string): IndexHandle | undefined {
    return this.indices.get(name);
  }

  list(): IndexHandle[] {
    return [...this.indices.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Creates an index; creating an existing one with the same settings is a no-op, with others an error. */
  async create(name: string, input: unknown = {}): Promise<IndexHandle> {
    validateIndexName(name);
    const settings = parseConfig(IndexSettingsSchema, input ?? {}, `settings of index ${name}`);
    // Looked up without yielding first: concurrent creates that both awaited before checking would each open the
    // shards, and two logs would append to the same files.
    const pending = this.indices.get(name) ?? this.opening.get(name);
    const existing = pending && (await pending);
    if (existing) {
      if (JSON.stringify(existing.settings) !== JSON.stringify(settings) && input !== undefined && Object.keys(input as object).length > 0) {
        throw new StrataError('invalid_request', `index ${name} already exists with other settings`);
      }
      return existing;
    }
    const p = (async () => {
      const dir = join(this.root, name);
      mkdirSync(dir, { recursive: true });
      writeFileDurable(join(dir, 'index.json'), JSON.stringify(settings, null, 2), 'index settings');
      fsyncDir(this.root);
      const h = await this.openShards(name, settings);
      this.indices.set(name, h);
      return h;
    })();
    this.opening.set(name, p);
    try {
      return await p;
    } finally {
      this.opening.delete(name);
    }
  }

  /** Changes the settings that may change (MUTABLE_INDEX_SETTINGS); others are refused. */
  async update(name: string, patch: unknown): Promise<IndexHandle> {
    const h = this.resolve(name)[0];
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new StrataError('invalid_config', 'index settings must be a JSON object');
    for (const k of Object.keys(patch)) {
      if (!(MUTABLE_INDEX_SETTINGS as readonly string[]).includes(k)) {
        throw new StrataError('invalid_config', `setting "${k.slice(0, 60)}" of index ${name} cannot change after creation; changeable: ${MUTABLE_INDEX_SETTINGS.join(', ')}`);
      }
    }
    const settings = parseConfig(IndexSettingsSchema, { ...h.settings, ...patch }, `settings of index ${name}`);
    writeFileDurable(join(this.root, name, 'index.json'), JSON.stringify(settings, null, 2), 'index settings');
    h.settings = settings;
    return h;
  }

  /** The index, created with default settings when absent (ingest auto-creates, as shippers expect). */
  async ensure(name: string): Promise<IndexHandle> {
    return this.indices.get(name) ?? this.create(name);
  }

  /**
   * Resolves `name`, a list, `*`, or patterns with `*`; a plain name that does not exist is an error. `allow`
   * narrows it to what a caller may see: called with the pattern a name came from (null for a plain name), it
   * drops names a pattern reached and throws for plain names refused, before their existence is told.
   */
  resolve(target: string | string[], allow?: IndexFilter): IndexHandle[] {
    const names = Array.isArray(target) ? target : target.split(',');
    const out = new Map<string, IndexHandle>();
    for (const raw of names) {
      const n = raw.trim();
      if (n.includes('*')) {
        const re = new RegExp('^' + n.split('*').map(escapeRe).join('.*') + '$');
        for (const h of this.indices.values()) if (re.test(h.name) && (!allow || allow(h.name, n))) out.set(h.name, h);
      } else {
        allow?.(n, null);
        const h = this.indices.get(n);
        if (!h) throw new StrataError('index_not_found', `no index named "${n.slice(0, 140)}"`, { index: n });
        out.set(n, h);
      }
    }
    return [...out.values()];
  }

  async close(): Promise<void> {
    for (const h of this.indices.values()) for (const s of h.shards) await s.close();
  }
}

/** Which indices a caller may reach: see LocalIndices.resolve. */
export type IndexFilter = (name: string, pattern: string | null) => boolean;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
