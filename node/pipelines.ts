import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_NAME_RE } from '../lib/config.ts';
import { writeFileDurable } from '../lib/durable-file.ts';
import { ensureDir, StrataError } from '../lib/errors.ts';
import { parsePipelineDef, Pipeline, type PipelineDef } from '../ingest/pipeline/index.ts';

/**
 * The node's named pipelines, kept in one file (`pipelines.json` in the data directory) replaced atomically on
 * every change, and compiled once when stored or loaded.
 */
export class PipelineStore {
  private compiled = new Map<string, Pipeline>();
  private constructor(private file: string) {}

  static open(dataDir: string): PipelineStore {
    ensureDir(dataDir, mkdirSync);
    const store = new PipelineStore(join(dataDir, 'pipelines.json'));
    if (existsSync(store.file)) {
      let defs: Record<string, unknown>;
      try {
        defs = JSON.parse(readFileSync(store.file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new StrataError('storage_corrupt', `${store.file} is not valid JSON (${(e as Error).message}); fix or remove it`, { path: store.file });
      }
      for (const [name, def] of Object.entries(defs)) store.compiled.set(name, new Pipeline(name, parsePipelineDef(def)));
    }
    return store;
  }

  /** The named pipeline; a 404 when there is none. */
  get(name: string): Pipeline {
    const p = this.compiled.get(name);
    if (!p) throw new StrataError('not_found', `no pipeline named "${name.slice(0, 140)}"; create it with PUT /api/v1/pipelines/${encodeURIComponent(name.slice(0, 140))}`, { pipeline: name });
    return p;
  }

  list(): Pipeline[] {
    return [...this.compiled.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Validates, compiles and stores a definition, replacing one of the same name; answers whether it was new. */
  put(name: string, input: unknown): boolean {
    validatePipelineName(name);
    const p = new Pipeline(name, parsePipelineDef(input));
    const existed = this.compiled.has(name);
    const next = new Map(this.compiled).set(name, p);
    this.save(next);
    this.compiled = next;
    return !existed;
  }

  delete(name: string): void {
    this.get(name);
    const next = new Map(this.compiled);
    next.delete(name);
    this.save(next);
    this.compiled = next;
  }

  private save(m: Map<string, Pipeline>): void {
    const defs: Record<string, PipelineDef> = {};
    for (const [name, p] of [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1))) defs[name] = p.def;
    writeFileDurable(this.file, JSON.stringify(defs, null, 2), 'pipelines');
  }
}

export function validatePipelineName(name: string): void {
  if (!PIPELINE_NAME_RE.test(name)) {
    throw new StrataError('invalid_request', `invalid pipeline name "${name.slice(0, 140)}": use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  }
}
