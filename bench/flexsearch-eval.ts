/**
 * FlexSearch 0.8 against our purpose-built postings (a sealed segment), on the same seeded corpus, for the job of
 * a sealed segment's inverted index: exact counts over millions of log lines.
 *
 *   node --expose-gc --import tsx bench/flexsearch-eval.ts --lines 1000000   (or: npx tsx bench/flexsearch-eval.ts)
 *
 * Each contender runs in its own child process (same Node flags plus --expose-gc, and a 12 GB heap for
 * FlexSearch) so that memory figures do not bleed into each other; the parent prints one markdown table.
 *
 * Fairness choices:
 * - Both index the same message text with the same tokenizer: FlexSearch gets an exact `Encoder` (lower-case,
 *   split on anything but [\p{L}\p{M}\p{N}_], no numeric triplets, no letter dedupe, no stemming, no length cap),
 *   checked token for token against ours on every line before the build.
 * - Our figures are for the whole segment write (stored docs zstd-compressed, columns, fsync) and the index of
 *   both fields; the index-only bytes of the message field are reported beside them.
 * - Our queries are qualified with `message:` so that both sides search the same field.
 * - FlexSearch searches with `limit` = the line count (its default limit is 100) and `suggest: false`
 *   (multi-word queries are then an intersection: a missing term empties the result).
 * - If FlexSearch crashes, needs more than ~8 GB of heap or 10 minutes at the requested size, everything is
 *   re-run at 500k lines and the table says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Encoder, Index } from 'flexsearch';
import { generateCorpus } from './corpus.ts';
import { DatasetsUnavailableError, SKIP_EXIT_CODE } from './loghub.ts';
import { parseCount } from './cli-util.ts';
import { median, readPeakRssBytes } from './stats.ts';
import { writeSegment } from '../indexer/segment/writer.ts';
import { SegmentReader } from '../indexer/segment/reader.ts';
import { evalSegment } from '../indexer/query/exec-segment.ts';
import { parseQuery } from '../indexer/query/parser.ts';
import { tokenize } from '../indexer/text/tokenize.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const OUT_DIR = fileURLToPath(new URL('./out/flexsearch-eval/', import.meta.url));
const FALLBACK_LINES = 500_000;
const HEAP_LIMIT_BYTES = 8 * 1024 ** 3;
/** A FlexSearch build slower than this counts as too big; a child running longer than the hard limit is killed. */
const BUILD_LIMIT_MS = 10 * 60_000;
const CHILD_LIMIT_MS = 30 * 60_000;
const RESULT_MARK = 'RESULT ';

interface BenchQuery {
  readonly key: string;
  readonly label: string;
  readonly strata: string;
  readonly flex: string;
  /** Prefix queries need FlexSearch's `forward` tokenizer. */
  readonly prefix?: boolean;
}

/** Document frequencies at 1M lines: failed 4.7%, user 5.8%, root 4.1%, info 35%, block 7.4%, database 200 lines. */
const QUERIES: readonly BenchQuery[] = [
  { key: 'term', label: 'term `failed`', strata: 'message:failed', flex: 'failed' },
  { key: 'and', label: 'AND `user root`', strata: 'message:user AND message:root', flex: 'user root' },
  { key: 'and-frequent', label: 'AND `info block` (frequent)', strata: 'message:info AND message:block', flex: 'info block' },
  { key: 'frequent', label: 'frequent term `info`', strata: 'message:info', flex: 'info' },
  { key: 'rare', label: 'rare term `database`', strata: 'message:database', flex: 'database' },
  { key: 'prefix', label: 'prefix `conn*`', strata: 'message:conn*', flex: 'conn', prefix: true },
];

type PhaseName = 'strata' | 'flex-strict' | 'flex-strict-r1' | 'flex-forward';
const FLEX_VARIANTS: Record<Exclude<PhaseName, 'strata'>, { tokenize: 'strict' | 'forward'; resolution: number; title: string }> = {
  'flex-strict': { tokenize: 'strict', resolution: 9, title: 'FlexSearch strict' },
  'flex-strict-r1': { tokenize: 'strict', resolution: 1, title: 'FlexSearch strict, resolution 1' },
  'flex-forward': { tokenize: 'forward', resolution: 9, title: 'FlexSearch forward' },
};
const PHASES: readonly PhaseName[] = ['strata', 'flex-strict', 'flex-strict-r1', 'flex-forward'];

interface QueryResult {
  count: number | null;
  medianMs: number | null;
}

interface PhaseResult {
  phase: PhaseName;
  lines: number;
  buildMs: number;
  /** heapUsed after build and GC, minus the same after loading the corpus. */
  heapDelta: number;
  rssAfterBuild: number;
  /** VmHWM over the build, after resetting it (when /proc/self/clear_refs allows) once the corpus was loaded. */
  peakRss: number | null;
  peakRssReset: boolean;
  /** heapUsed + external held to answer queries (ours: an open reader with the message index loaded). */
  serveBytes: number;
  /** Ours: the .seg file. FlexSearch: the exported strings (UTF-8 bytes). */
  diskBytes: number;
  /** Ours: dict + postings + offsets of every field, and of the message field alone. */
  indexBytes: number | null;
  messageIndexBytes: number | null;
  /** Ours: open + the first query (loads the message index). FlexSearch: import of the exported strings. */
  loadMs: number | null;
  exportMs: number | null;
  queries: Record<string, QueryResult>;
  /** Ours only: the count of each query with every term made a prefix (what a `forward` index answers). */
  prefixCounts: Record<string, number>;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) for (let i = 0; i < 3; i++) g();
}

function mem(): { heap: number; external: number; rss: number } {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}

/** Resets VmHWM to the current RSS (Linux >= 4.0); false when not permitted. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** One untimed run, then `runs` timed ones; the count comes from the untimed run and is checked on every run. */
function timeQuery(run: () => number, runs: number): { count: number; medianMs: number } {
  const count = run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c = run();
    ms.push(performance.now() - t0);
    if (c !== count) throw new Error(`query count changed between runs: ${count} then ${c}`);
  }
  return { count, medianMs: median(ms) };
}

interface Lines {
  ts: Float64Array;
  messages: string[];
  systems: string[];
}

function loadLines(ndjsonFile: string, n: number): Lines {
  const text = readFileSync(ndjsonFile, 'utf8');
  const ts = new Float64Array(n);
  const messages: string[] = new Array(n);
  const systems: string[] = new Array(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const r = JSON.parse(text.slice(start, end)) as { '@timestamp': number; message: string; system: string };
    ts[i] = r['@timestamp'];
    messages[i] = r.message;
    systems[i] = r.system;
    start = end + 1;
  }
  return { ts, messages, systems };
}

// ---------------------------------------------------------------------------------------------------------------
// Phase: our sealed segment

/** `message:info AND message:block` -> `message:info* AND message:block*`. */
function asPrefixQuery(q: string): string {
  return q.replace(/(message:[^\s*]+)(?!\*)(?=\s|$)/g, '$1*');
}

function runStrata(lines: Lines, n: number, runs: number): PhaseResult {
  const json = new Array<string>(n);
  for (let i = 0; i < n; i++) json[i] = JSON.stringify({ message: lines.messages[i], system: lines.systems[i] });
  const seq = new Float64Array(n);
  for (let i = 0; i < n; i++) seq[i] = i;
  for (let i = 1; i < n; i++) if (lines.ts[i] < lines.ts[i - 1]) throw new Error('corpus is not in time order');
  const src = { ts: lines.ts, seq, json };
  lines.messages.length = 0;
  lines.systems.length = 0;

  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, `strata-${n}.seg`);
  const m0 = mem();
  const peakRssReset = resetPeakRss();
  const t0 = performance.now();
  const footer = writeSegment(path, src);
  const buildMs = performance.now() - t0;
  const peakRss = readPeakRssBytes(process.pid);
  const m1 = mem();

  const diskBytes = statSync(path).size;
  let indexBytes = 0;
  let messageIndexBytes = 0;
  for (const [name, f] of Object.entries(footer.fields)) {
    if (!f.text) continue;
    const b = f.text.dict[1] + f.text.postings[1] + f.text.offsets[1];
    indexBytes += b;
    if (name === 'message') messageIndexBytes = b;
  }

  const t1 = performance.now();
  const seg = SegmentReader.open(path);
  const first = evalSegment(seg, parseQuery(QUERIES[0].strata)).count();
  const loadMs = performance.now() - t1;
  if (first < 0) throw new Error('unreachable');
  const queries: Record<string, QueryResult> = {};
  for (const q of QUERIES) {
    const parsed = parseQuery(q.strata);
    queries[q.key] = timeQuery(() => evalSegment(seg, parsed).count(), runs);
  }
  const m2 = mem();
  const prefixCounts: Record<string, number> = {};
  for (const q of QUERIES) prefixCounts[q.key] = evalSegment(seg, parseQuery(asPrefixQuery(q.strata))).count();
  seg.close();
  rmSync(path, { force: true });
  return {
    phase: 'strata',
    lines: n,
    buildMs,
    heapDelta: m1.heap - m0.heap,
    rssAfterBuild: m1.rss,
    peakRss,
    peakRssReset,
    serveBytes: m2.heap + m2.external - (m0.heap + m0.external),
    diskBytes,
    indexBytes,
    messageIndexBytes,
    loadMs,
    exportMs: null,
    queries,
    prefixCounts,
    notes: [`segment of ${footer.docs} docs, ${Object.keys(footer.fields).length} fields`],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Phase: FlexSearch

/** An exact encoder: the same tokens as indexer/text/tokenize.ts, deduplicated per line. */
function exactEncoder(): Encoder {
  return new Encoder({
    normalize: (s: string) => s.toLowerCase(),
    split: /[^\p{L}\p{M}\p{N}_]+/u,
    numeric: false,
    dedupe: false,
    minlength: 1,
    maxlength: 1 << 30,
  });
}

/** Compares the encoder with our tokenizer on every line (as ordered sets); returns the lines that differ. */
function checkEncoder(messages: readonly string[]): { differ: number; example: string | null } {
  const enc = exactEncoder();
  let differ = 0;
  let example: string | null = null;
  for (const m of messages) {
    const ours = [...new Set(tokenize(m))];
    const theirs = enc.encode(m);
    const theirsUnique = [...new Set(theirs)];
    if (ours.length !== theirsUnique.length || ours.some((t, i) => t !== theirsUnique[i])) {
      differ++;
      example ??= `${JSON.stringify(m)}: ours ${JSON.stringify(ours)} vs ${JSON.stringify(theirsUnique)}`;
    }
  }
  return { differ, example };
}

async function runFlex(phase: Exclude<PhaseName, 'strata'>, lines: Lines, n: number, runs: number): Promise<PhaseResult> {
  const variant = FLEX_VARIANTS[phase];
  const messages = lines.messages;
  lines.systems.length = 0;
  const notes: string[] = [];
  const check = checkEncoder(messages);
  notes.push(check.differ === 0 ? 'encoder = our tokenizer on every line' : `encoder differs from ours on ${check.differ} lines, e.g. ${check.example}`);

  const options = { tokenize: variant.tokenize, resolution: variant.resolution, encoder: exactEncoder() };
  let index: Index | null = new Index(options);
  const m0 = mem();
  const peakRssReset = resetPeakRss();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) index.add(i, messages[i]);
  const buildMs = performance.now() - t0;
  const peakRss = readPeakRssBytes(process.pid);
  const m1 = mem();

  const queries: Record<string, QueryResult> = {};
  const idx = index;
  for (const q of QUERIES) {
    if (q.prefix && variant.tokenize !== 'forward') {
      queries[q.key] = { count: null, medianMs: null };
      continue;
    }
    queries[q.key] = timeQuery(() => idx.search({ query: q.flex, limit: n, suggest: false }).length, runs);
  }

  // With a synchronous handler, export() recurses once per chunk and overflows the stack on a 1M-line `forward`
  // index (about 4k chunks); an async handler makes it chain promises instead. The strings are kept only to time
  // the import.
  const chunks: [string, string][] = [];
  let diskBytes = 0;
  const t1 = performance.now();
  await index.export(async (key: string, data: string) => {
    chunks.push([key, data]);
    diskBytes += Buffer.byteLength(data, 'utf8');
  });
  const exportMs = performance.now() - t1;
  index = null;
  gc();
  const t2 = performance.now();
  const imported = new Index({ tokenize: variant.tokenize, resolution: variant.resolution, encoder: exactEncoder() });
  for (const [key, data] of chunks) imported.import(key, data);
  const loadMs = performance.now() - t2;
  const reCount = imported.search({ query: QUERIES[0].flex, limit: n, suggest: false }).length;
  if (reCount !== queries[QUERIES[0].key].count) notes.push(`after import, '${QUERIES[0].flex}' counts ${reCount}`);
  notes.push(`export: ${chunks.length} chunks`);

  return {
    phase,
    lines: n,
    buildMs,
    heapDelta: m1.heap - m0.heap,
    rssAfterBuild: m1.rss,
    peakRss,
    peakRssReset,
    serveBytes: m1.heap + m1.external - (m0.heap + m0.external),
    diskBytes,
    indexBytes: null,
    messageIndexBytes: null,
    loadMs,
    exportMs,
    queries,
    prefixCounts: {},
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: one child per phase, then the table

function runChild(phase: PhaseName, lines: number, runs: number): { result: PhaseResult | null; failure: string | null; ms: number } {
  const nodeArgs = [...process.execArgv];
  if (!nodeArgs.includes('--expose-gc')) nodeArgs.push('--expose-gc');
  if (phase !== 'strata' && !nodeArgs.some((a) => a.startsWith('--max-old-space-size'))) nodeArgs.push('--max-old-space-size=12000');
  process.stderr.write(`${phase}: ${lines.toLocaleString('en-US')} lines...\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, SCRIPT, '--lines', String(lines), '--runs', String(runs), '--phase', phase], {
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: CHILD_LIMIT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (r.error || r.status !== 0 || !line) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return { result: null, failure: `${why} after ${(ms / 1000).toFixed(0)} s`, ms };
  }
  return { result: JSON.parse(line.slice(RESULT_MARK.length)) as PhaseResult, failure: null, ms };
}

const MB = 1024 * 1024;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
const fmtMB = (b: number | null) => (b === null ? '–' : `${(b / MB).toFixed(1)} MB`);
const fmtMs = (ms: number | null) => (ms === null ? '–' : ms < 1 ? `${ms.toFixed(3)} ms` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`);
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b <= 0 ? '–' : `${(a / b).toFixed(a / b < 10 ? 2 : 0)}×`);

function table(results: PhaseResult[], corpus: { lines: number; rawBytes: number; ndjsonBytes: number }): string {
  const ours = results.find((r) => r.phase === 'strata')!;
  const flex = results.filter((r) => r.phase !== 'strata');
  const main = flex.find((r) => r.phase === 'flex-strict') ?? flex[0];
  const head = ['', 'Strata postings (sealed segment)', ...flex.map((r) => FLEX_VARIANTS[r.phase as Exclude<PhaseName, 'strata'>].title)];
  if (main) head.push(`${FLEX_VARIANTS[main.phase as Exclude<PhaseName, 'strata'>].title} ÷ Strata`);
  const rows: string[][] = [];
  const add = (label: string, get: (r: PhaseResult) => number | null, fmt: (x: number | null) => string) => {
    const row = [label, fmt(get(ours)), ...flex.map((r) => fmt(get(r)))];
    if (main) row.push(ratio(get(main), get(ours)));
    rows.push(row);
  };
  add('build, lines/s', (r) => (r.lines * 1000) / r.buildMs, (x) => (x === null ? '–' : fmtInt(x)));
  add('build time', (r) => r.buildMs, fmtMs);
  add('size on disk (ours: .seg file; Flex: export)', (r) => r.diskBytes, fmtMB);
  add('  index only, both fields (dict+postings+offsets)', (r) => r.indexBytes, fmtMB);
  add('  index only, message field', (r) => (r.phase === 'strata' ? r.messageIndexBytes : r.diskBytes), fmtMB);
  add('heap used Δ after build (GC\'d)', (r) => r.heapDelta, (b) => (b !== null && b <= 0 ? `≈0 (${fmtMB(b)})` : fmtMB(b)));
  add('RSS after build (GC\'d)', (r) => r.rssAfterBuild, fmtMB);
  add('peak RSS during build', (r) => r.peakRss, fmtMB);
  add('resident to serve queries (heap+external Δ)', (r) => r.serveBytes, fmtMB);
  add('load from disk (ours: open + 1st query; Flex: import)', (r) => r.loadMs, fmtMs);
  for (const q of QUERIES) add(`${q.label}, median of 7`, (r) => r.queries[q.key]?.medianMs ?? null, fmtMs);
  const countRow = (q: BenchQuery) => {
    const c = ours.queries[q.key].count;
    const cells = flex.map((r) => {
      const fc = r.queries[q.key]?.count;
      if (fc === null || fc === undefined) return 'n/a';
      if (fc === c) return `${fmtInt(fc)} ✓`;
      // A forward index stores every prefix of every token, so its exact-term queries are prefix queries.
      if (r.phase === 'flex-forward' && fc === ours.prefixCounts[q.key]) return `${fmtInt(fc)} ✗ (= Strata \`${asPrefixQuery(q.strata).replaceAll('message:', '')}\`)`;
      return `${fmtInt(fc)} ✗ MISMATCH`;
    });
    return [`  count ${q.label}`, fmtInt(c ?? 0), ...cells, ...(main ? [''] : [])];
  };
  for (const q of QUERIES) rows.push(countRow(q));

  const out: string[] = [];
  out.push(`Corpus: ${fmtInt(corpus.lines)} lines, ${(corpus.rawBytes / MB).toFixed(1)} MB raw messages (${(corpus.ndjsonBytes / MB).toFixed(1)} MB NDJSON).`);
  out.push('');
  out.push(`| ${head.join(' | ')} |`);
  out.push(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '7' },
      phase: { type: 'string' },
      phases: { type: 'string', default: PHASES.join(',') },
    },
    strict: true,
  });
  const requested = parseCount(values.lines, '--lines');
  const runs = parseCount(values.runs, '--runs');

  if (values.phase !== undefined) {
    const phase = values.phase as PhaseName;
    if (!PHASES.includes(phase)) throw new RangeError(`unknown --phase ${phase}`);
    const corpus = await generateCorpus({ lines: requested });
    const lines = loadLines(corpus.ndjsonFile, corpus.lines);
    const result = phase === 'strata' ? runStrata(lines, corpus.lines, runs) : await runFlex(phase, lines, corpus.lines, runs);
    process.stdout.write(RESULT_MARK + JSON.stringify(result) + '\n');
    return;
  }

  const phases = values.phases.split(',').map((p) => p.trim()) as PhaseName[];
  for (const p of phases) if (!PHASES.includes(p)) throw new RangeError(`unknown phase ${p} in --phases`);
  if (!phases.includes('strata')) phases.unshift('strata');

  const notes: string[] = [];
  const load0 = loadavg();
  let lines = requested;
  for (;;) {
    let corpus;
    try {
      corpus = await generateCorpus({ lines });
    } catch (err) {
      if (!(err instanceof DatasetsUnavailableError)) throw err;
      process.stdout.write(`skipped: ${err.message}\n`);
      process.exitCode = SKIP_EXIT_CODE; // skipped, never passed (as `npm run bench`)
      return;
    }
    const results: PhaseResult[] = [];
    let tooBig: string | null = null;
    for (const phase of phases) {
      const { result, failure } = runChild(phase, lines, runs);
      if (!result) {
        if (phase === 'strata') throw new Error(`strata phase failed: ${failure}`);
        tooBig = `${phase} failed at ${fmtInt(lines)} lines (${failure})`;
      } else if (phase !== 'strata' && (result.heapDelta > HEAP_LIMIT_BYTES || result.buildMs > BUILD_LIMIT_MS)) {
        tooBig = `${phase} needed ${fmtMB(result.heapDelta)} of heap and ${(result.buildMs / 1000).toFixed(0)} s to build ${fmtInt(lines)} lines`;
      }
      if (tooBig && lines > FALLBACK_LINES) break;
      if (result) results.push(result);
      else notes.push(tooBig!);
    }
    if (tooBig && lines > FALLBACK_LINES) {
      notes.push(`${tooBig}: re-ran everything at ${fmtInt(FALLBACK_LINES)} lines`);
      lines = FALLBACK_LINES;
      continue;
    }
    process.stdout.write(table(results, corpus) + '\n\n');
    for (const r of results) for (const n of r.notes) process.stdout.write(`- ${r.phase}: ${n}\n`);
    for (const r of results) {
      if (r.phase !== 'strata' && r.exportMs !== null) process.stdout.write(`- ${r.phase}: export took ${fmtMs(r.exportMs)}\n`);
    }
    if (results.some((r) => !r.peakRssReset)) process.stdout.write('- peak RSS could not be reset after loading the corpus: it includes the corpus load\n');
    for (const n of notes) process.stdout.write(`- ${n}\n`);
    const load1 = loadavg();
    process.stdout.write(
      `- ${cpus().length} CPUs; load average (1 min) ${load0[0].toFixed(1)} at start, ${load1[0].toFixed(1)} at end, ` +
        `${load1[2].toFixed(1)} over the last 15 min: other work on the machine inflates build times\n`,
    );
    return;
  }
}

await main();
