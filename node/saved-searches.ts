import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../lib/config.ts';
import { writeFileDurable } from '../lib/durable-file.ts';
import { readJsonFile } from '../lib/json-file.ts';
import { ensureDir, StrataError } from '../lib/errors.ts';
import { MAX_QUERY_LENGTH, parseQuery } from '../indexer/index.ts';

/** More than a dashboard's users would ever keep; the bound keeps the file (rewritten on every change) small. */
export const MAX_SAVED_SEARCHES = 10_000;

/** What a client sends to create or replace a saved search. Unknown keys are refused. */
export const SavedSearchBodySchema = z
  .object({
    /** Shown in lists; not unique. */
    name: z.string().min(1).max(200),
    /** A Strata query; it must parse. */
    query: z.string().max(MAX_QUERY_LENGTH),
    /** An index name, list or pattern, as search takes it. */
    index: z.string().min(1).max(1024),
    /** Kept verbatim: the dashboard stores relative expressions such as "now-15m". */
    from: z.string().max(200).nullable().default(null),
    to: z.string().max(200).nullable().default(null),
    /** Field names shown as columns. */
    columns: z.array(z.string().min(1).max(1024)).max(50).default([]),
  })
  .strict();

export interface SavedSearch {
  id: string;
  name: string;
  query: string;
  index: string;
  from: string | null;
  to: string | null;
  columns: string[];
  /** ISO 8601. */
  created_at: string;
  updated_at: string;
}

const StoredSchema = SavedSearchBodySchema.extend({
  id: z.string().min(1),
  created_at: z.string(),
  updated_at: z.string(),
}).strict();

const FileSchema = z.object({ version: z.literal(1), saved_searches: z.array(StoredSchema) }).strict();

/**
 * Saved searches of the dashboard, kept in `saved-searches.json` in the data directory: the whole list, replaced
 * atomically and durably on every change (they change at the pace of a person clicking "save").
 */
export class SavedSearchStore {
  private byId = new Map<string, SavedSearch>();
  private constructor(private file: string) {}

  static open(dataDir: string): SavedSearchStore {
    ensureDir(dataDir, mkdirSync);
    const store = new SavedSearchStore(join(dataDir, 'saved-searches.json'));
    const data = readJsonFile(store.file, FileSchema, 'saved searches', 'deletes every saved search');
    for (const s of data?.saved_searches ?? []) store.byId.set(s.id, s);
    return store;
  }

  /** Every saved search, by name (then id, so equal names keep a stable order). */
  list(): SavedSearch[] {
    return [...this.byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
  }

  get(id: string): SavedSearch {
    const s = this.byId.get(id);
    if (!s) throw new StrataError('not_found', `no saved search with id "${id.slice(0, 100)}"`, { id: id.slice(0, 100) });
    return s;
  }

  create(input: unknown): SavedSearch {
    const body = validate(input);
    if (this.byId.size >= MAX_SAVED_SEARCHES) {
      throw new StrataError('conflict', `there are already ${MAX_SAVED_SEARCHES} saved searches, the most a node keeps; delete some first`);
    }
    const now = new Date().toISOString();
    let id: string;
    do id = randomBytes(12).toString('base64url');
    while (this.byId.has(id));
    const s: SavedSearch = { id, ...body, created_at: now, updated_at: now };
    this.commit(new Map(this.byId).set(id, s));
    return s;
  }

  /** Replaces the whole body of an existing saved search; its id and creation time stay. */
  replace(id: string, input: unknown): SavedSearch {
    const old = this.get(id);
    const body = validate(input);
    const s: SavedSearch = { id, ...body, created_at: old.created_at, updated_at: new Date().toISOString() };
    this.commit(new Map(this.byId).set(id, s));
    return s;
  }

  delete(id: string): void {
    this.get(id);
    const next = new Map(this.byId);
    next.delete(id);
    this.commit(next);
  }

  /** Written before it is served: a change a client saw acknowledged survives a crash. */
  private commit(next: Map<string, SavedSearch>): void {
    const list = [...next.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    writeFileDurable(this.file, JSON.stringify({ version: 1, saved_searches: list }, null, 1), 'saved searches');
    this.byId = next;
  }
}

function validate(input: unknown): Omit<SavedSearch, 'id' | 'created_at' | 'updated_at'> {
  const body = parseConfig(SavedSearchBodySchema, input, 'saved search');
  // A query that cannot run is refused now, with the parser's message and position, not when it is opened.
  parseQuery(body.query);
  return body;
}
