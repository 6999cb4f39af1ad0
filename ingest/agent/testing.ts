/**
 * Test fixtures of the agent: a real node on a chosen data directory and port (so that a test can stop it and
 * start another in its place), writers of numbered lines, and the check that every line arrived. Imported by
 * tests only: the agent itself never imports node/.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeConfigSchema, parseConfig } from '../../lib/config.ts';
import { runNode } from '../../node/run.ts';
import { adminFetch, TEST_ADMIN_PASSWORD, warmCredentials } from '../../node/testing.ts';
import { type AgentConfig, type FileInputConfig, parseAgentConfig } from './config.ts';

export interface Node {
  url: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

/** A node in this process on `dataDir` (kept on close) and `port` (0: any free one). */
export async function startNode(dataDir: string, port = 0): Promise<Node> {
  const cfg = parseConfig(NodeConfigSchema, { dataDir, port, buildThreads: 1 }, 'test node');
  const node = await runNode(cfg, () => {}, { ...process.env, STRATA_PASSWORD: TEST_ADMIN_PASSWORD });
  await warmCredentials(node.url);
  return { url: node.url, port: node.port, dataDir, close: () => node.close() };
}

export function tempDir(what: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `strata-agent-${what}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Nodes on `DIR/node`, started one after another (a test may stop its node and start another in its place). When
 * test `t` ends, one hook closes whatever `closeFirst` was given (agents), then the node still running, and only then
 * removes `dir`: after-hooks run in the order registered, so a removal registered first took the directory from a
 * running node (a seal's log roll then found no directory, the agent crash test's shutdown flake).
 */
export function nodeSlot(t: TestContext, dir: { path: string; remove(): void }): { start(port?: number): Promise<Node>; closeFirst(c: { close(): Promise<void> | void }): void } {
  let running: Node | undefined;
  const first: { close(): Promise<void> | void }[] = [];
  t.after(async () => {
    // Nested so that an agent that fails to close still lets the node close (an open node keeps the test running).
    try {
      for (const c of first) await c.close();
    } finally {
      try {
        await running?.close();
      } finally {
        dir.remove();
      }
    }
  });
  return {
    async start(port = 0) {
      const node = await startNode(join(dir.path, 'node'), port);
      running = node;
      return {
        ...node,
        close: async () => {
          if (running === node) running = undefined;
          await node.close();
        },
      };
    },
    closeFirst(c) {
      first.push(c);
    },
  };
}

/** A node on `DIR/node`, closed and then `dir` removed when test `t` ends (see nodeSlot). */
export function startNodeIn(t: TestContext, dir: { path: string; remove(): void }): Promise<Node> {
  return nodeSlot(t, dir).start();
}

/** A config of file inputs only, as testConfig makes. */
export type FileAgentConfig = AgentConfig & { registry: NonNullable<AgentConfig['registry']>; inputs: FileInputConfig[] };

/** How test agents authenticate to test nodes: as their admin. */
export const TEST_AUTH = { username: 'admin', password: TEST_ADMIN_PASSWORD };
/** The same, as a YAML flow mapping for configs written to files. */
export const TEST_AUTH_YAML = `{ username: admin, password: ${JSON.stringify(TEST_ADMIN_PASSWORD)} }`;

/** A config with the test's quick intervals; `over` replaces top-level sections (input and output are merged). */
export function testConfig(registry: string, paths: string[], url: string | string[], over: { input?: Record<string, unknown>; output?: Record<string, unknown>; [k: string]: unknown } = {}): FileAgentConfig {
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
        auth: TEST_AUTH,
        ...output,
      },
      host_name: 'test-host',
      ...rest,
    },
    'test agent config',
  ) as FileAgentConfig;
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
    const res = await adminFetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index, query: '*', size: 10000, sort: 'asc', search_after: after }) });
    if (res.status === 404) return out;
    const json = (await res.json()) as { hits: Hit[]; next: unknown };
    if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(json)}`);
    out.push(...json.hits);
    if (json.next === null || json.hits.length === 0) return out;
    after = json.next;
  }
}

export async function countAll(url: string, index = 'agent-test'): Promise<number> {
  const res = await adminFetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index, query: '*', size: 0 }) });
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

/**
 * Appends log records, most of one line, some Java stack traces with `Caused by:` chains and `... N more`, each
 * opening with `<date> <level> <tag> <seq>`, so that a search tells which record each hit is and whether it
 * arrived whole. Seeded: the same seed writes the same records.
 */
export class TraceWriter {
  /** The text of each record written, by sequence number (what a hit's message must equal). */
  readonly records: string[] = [];
  constructor(
    readonly tag: string,
    public path: string,
    private random: () => number,
  ) {}
  get written(): number {
    return this.records.length;
  }
  private pick = (n: number) => Math.floor(this.random() * n);
  record(seq: number): string {
    const head = `2026-11-29 12:00:${String(seq % 60).padStart(2, '0')}.000 ${this.random() < 0.6 ? 'INFO' : 'ERROR'} ${this.tag} ${String(seq).padStart(7, '0')}`;
    if (this.random() < 0.5) return `${head} request served in ${this.pick(900)} ms`;
    const lines = [`${head} request failed: java.lang.IllegalStateException: state ${this.pick(1000)}`];
    const frames = (n: number) => {
      for (let k = 0; k < n; k++) lines.push(`\tat com.example.service.Handler${this.pick(20)}.handle${k}(Handler.java:${1 + this.pick(400)})`);
    };
    frames(2 + this.pick(8));
    for (let c = this.pick(3); c > 0; c--) {
      lines.push(`Caused by: java.io.IOException: cause ${c} of record ${seq}`);
      frames(1 + this.pick(4));
      lines.push(`\t... ${1 + this.pick(30)} more`);
    }
    return lines.join('\n');
  }
  write(n: number): void {
    let text = '';
    for (let k = 0; k < n; k++) {
      const r = this.record(this.records.length);
      this.records.push(r);
      text += r + '\n';
    }
    appendFileSync(this.path, text);
  }
}

export interface RecordTally {
  missing: number;
  /** Hits whose message is not the record written (cut, or joined wrongly). */
  wrong: string[];
  duplicates: number;
}

/** Checks every hit against the records the writers wrote: each found, whole. */
export function tallyRecords(hits: Hit[], writers: TraceWriter[]): RecordTally {
  const byTag = new Map(writers.map((w) => [w.tag, { w, seen: new Set<number>() }]));
  const wrong: string[] = [];
  let duplicates = 0;
  for (const h of hits) {
    const m = /^\S+ \S+ \S+ (\S+) (\d{7})/.exec(h.message);
    const t = m === null ? undefined : byTag.get(m[1]);
    if (t === undefined) {
      wrong.push(h.message.slice(0, 200));
      continue;
    }
    const seq = Number(m![2]);
    if (t.w.records[seq] !== h.message) wrong.push(h.message.slice(0, 200));
    else if (t.seen.has(seq)) duplicates++;
    else t.seen.add(seq);
  }
  const missing = writers.reduce((n, w) => n + w.written - byTag.get(w.tag)!.seen.size, 0);
  return { missing, wrong, duplicates };
}

/** Waits until search finds every record of the writers, whole (or times out, describing what is missing). */
export async function waitForRecords(url: string, writers: TraceWriter[], ms: number, index: string): Promise<RecordTally> {
  const want = writers.reduce((n, w) => n + w.written, 0);
  const until = Date.now() + ms;
  for (;;) {
    if ((await countAll(url, index)) >= want || Date.now() > until) {
      const t = tallyRecords(await searchAll(url, index), writers);
      if (t.missing === 0) return t;
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for every record: ${t.missing} missing, ${t.wrong.length} wrong (${JSON.stringify(t.wrong.slice(0, 3))})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const BIN = resolve(import.meta.dirname, '../../bin/strata.js');

/** `strata agent --config <config>` as a process of its own; `ready` once it says it is shipping (or exited). */
export function spawnAgent(config: string, out: string[]): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'agent', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let ready!: () => void;
  const readyP = new Promise<void>((ok) => (ready = ok));
  child.stderr!.on('data', (c: Buffer) => {
    const text = c.toString();
    out.push(text);
    if (text.includes('shipping ')) ready();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, ready: Promise.race([readyP, exited.then(() => {})]), exited };
}

/** A TCP port that was free a moment ago (for a config file that needs a port number up front). */
export { adminFetch, freePort } from '../../node/testing.ts';

/** Makes journal files from the journal export format (Debian: systemd-journal-remote). */
export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const BOOT = '0123456789abcdef0123456789abcdef';

/** Appends entries to one journal file: `MESSAGE=<tag> <seq>`, in time order (one boot, clocks only going up). */
export class JournalWriter {
  written = 0;
  private clock = 1_000_000;
  constructor(
    readonly tag: string,
    readonly file: string,
    private readonly extra: (seq: number) => Record<string, string | Buffer> = () => ({}),
  ) {}
  message(seq: number): string {
    return `${this.tag} ${String(seq).padStart(7, '0')}`;
  }
  /** Appends `n` entries (one systemd-journal-remote run). */
  async write(n: number): Promise<void> {
    const parts: Buffer[] = [];
    const baseUs = Date.now() * 1000;
    for (let k = 0; k < n; k++) {
      const seq = this.written++;
      this.clock++;
      const fields: Record<string, string | Buffer> = { __REALTIME_TIMESTAMP: String(baseUs + k), __MONOTONIC_TIMESTAMP: String(this.clock), _BOOT_ID: BOOT, MESSAGE: this.message(seq), ...this.extra(seq) };
      for (const [key, v] of Object.entries(fields)) {
        if (typeof v === 'string') parts.push(Buffer.from(`${key}=${v}\n`));
        else {
          // Export format for a value that is not text: the name, its length (64-bit little-endian), the bytes.
          const len = Buffer.alloc(8);
          len.writeBigUInt64LE(BigInt(v.length));
          parts.push(Buffer.from(`${key}\n`), len, v, Buffer.from('\n'));
        }
      }
      parts.push(Buffer.from('\n'));
    }
    const input = `${this.file}.export`;
    writeFileSync(input, Buffer.concat(parts));
    await new Promise<void>((ok, fail) => execFile(JOURNAL_REMOTE, [`--output=${this.file}`, input], (e, _o, err) => (e ? fail(new Error(`${e.message}: ${err}`)) : ok())));
  }
}

/** The pids of a process's children (Linux). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text !== '') out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}
