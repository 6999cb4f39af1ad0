/**
 * Test fixtures of the agent: a real node on a chosen data directory and port (so that a test can stop it and
 * start another in its place), writers of numbered lines, and the check that every line arrived. Imported by
 * tests only: the agent itself never imports node/.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeConfigSchema, parseConfig } from '../../lib/config.ts';
import { runNode } from '../../node/run.ts';
import { type AgentConfig, parseAgentConfig } from './config.ts';

export interface Node {
  url: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

/** A node in this process on `dataDir` (kept on close) and `port` (0: any free one). */
export async function startNode(dataDir: string, port = 0): Promise<Node> {
  const cfg = parseConfig(NodeConfigSchema, { dataDir, port, buildThreads: 1 }, 'test node');
  const node = await runNode(cfg, () => {});
  return { url: `http://127.0.0.1:${node.port}`, port: node.port, dataDir, close: () => node.close() };
}

export function tempDir(what: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `strata-agent-${what}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A config with the test's quick intervals; `over` replaces top-level sections (input and output are merged). */
export function testConfig(registry: string, paths: string[], url: string | string[], over: { input?: Record<string, unknown>; output?: Record<string, unknown>; [k: string]: unknown } = {}): AgentConfig {
  const { input, output, ...rest } = over;
  return parseAgentConfig(
    {
      registry: { path: registry, write_interval_ms: 20 },
      inputs: [{ type: 'file', paths, scan_interval_ms: 100, poll_interval_ms: 25, close_inactive_ms: 300, partial_line_timeout_ms: 500, ...input }],
      output: {
        urls: Array.isArray(url) ? url : [url],
        index: 'agent-test',
        batch: { max_records: 500, max_wait_ms: 50 },
        retry: { initial_backoff_ms: 20, max_backoff_ms: 200 },
        ...output,
      },
      host_name: 'test-host',
      ...rest,
    },
    'test agent config',
  );
}

/**
 * Appends numbered lines: `<tag> <seq> <filler>`, so that a search can tell which line of which stream each hit
 * is, however files were renamed meanwhile.
 */
export class LineWriter {
  written = 0;
  constructor(
    readonly tag: string,
    public path: string,
    private filler = 'the quick brown fox jumps over the lazy dog',
  ) {}
  line(seq: number): string {
    return `${this.tag} ${String(seq).padStart(7, '0')} ${this.filler}\n`;
  }
  write(n: number): void {
    let text = '';
    for (let k = 0; k < n; k++) text += this.line(this.written++);
    appendFileSync(this.path, text);
  }
  /** Starts a new file at `path` (replacing what is there). */
  create(): void {
    writeFileSync(this.path, '');
  }
}

export interface Hit {
  _id: string;
  message: string;
  'log.file.path': string;
  'host.name': string;
  [k: string]: unknown;
}

/** Every hit of the index, paged through (none when the index does not exist yet). */
export async function searchAll(url: string, index = 'agent-test'): Promise<Hit[]> {
  const out: Hit[] = [];
  let after: unknown = null;
  for (;;) {
    const res = await fetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index, query: '*', size: 10000, sort: 'asc', search_after: after }) });
    if (res.status === 404) return out;
    const json = (await res.json()) as { hits: Hit[]; next: unknown };
    if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(json)}`);
    out.push(...json.hits);
    if (json.next === null || json.hits.length === 0) return out;
    after = json.next;
  }
}

export async function countAll(url: string, index = 'agent-test'): Promise<number> {
  const res = await fetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index, query: '*', size: 0 }) });
  if (res.status === 404) return 0;
  return ((await res.json()) as { total: number }).total;
}

export interface Tally {
  /** Per tag: lines written, distinct lines found, hits (with duplicates). */
  perTag: Map<string, { written: number; found: number; hits: number }>;
  missing: number;
  duplicates: number;
}

/** Counts what search found of each writer's lines. */
export function tally(hits: Hit[], writers: LineWriter[]): Tally {
  const perTag = new Map<string, { written: number; found: number; hits: number }>();
  const seen = new Map<string, Set<number>>();
  for (const w of writers) {
    perTag.set(w.tag, { written: w.written, found: 0, hits: 0 });
    seen.set(w.tag, new Set());
  }
  for (const h of hits) {
    const sp = h.message.indexOf(' ');
    const tag = h.message.slice(0, sp);
    const t = perTag.get(tag);
    if (!t) continue;
    t.hits++;
    seen.get(tag)!.add(Number(h.message.slice(sp + 1, sp + 8)));
  }
  let missing = 0;
  let duplicates = 0;
  for (const [tag, t] of perTag) {
    t.found = seen.get(tag)!.size;
    missing += t.written - t.found;
    duplicates += t.hits - t.found;
  }
  return { perTag, missing, duplicates };
}

/** Polls `probe` until it answers true, or fails after `ms`. */
export async function waitFor(probe: () => Promise<boolean> | boolean, ms: number, what: string | (() => string)): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until search finds every line of the writers (or times out, describing what is missing). */
export async function waitForAll(url: string, writers: LineWriter[], ms: number, index = 'agent-test'): Promise<Tally> {
  const want = writers.reduce((n, w) => n + w.written, 0);
  const until = Date.now() + ms;
  for (;;) {
    // Counting is cheap; every hit is fetched only once there can be enough of them.
    const enough = (await countAll(url, index)) >= want;
    if (enough || Date.now() > until) {
      const t = tally(await searchAll(url, index), writers);
      if (t.missing === 0) return t;
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for every line: ${t.missing} missing, ${JSON.stringify([...t.perTag])}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
