/**
 * `npm run bench [-- --lines N --runs R --peers sqlite,ripgrep --dashboard --ingest-auth apikey|basic]`: Strata side
 * by side with SQLite FTS5 and ripgrep on one seeded corpus made from the Loghub samples (5M lines by default), then
 * the targets, each marked met or not. Without the datasets the run reports itself skipped (exit 77), never
 * passed. `--dashboard` adds bench/dashboard.ts (off by default: it ingests the corpus again into its own node,
 * minutes at 5M). `--ingest-auth` chooses how Strata's ingest authenticates: an ingest-only API key (the default,
 * as a shipper would) or the admin's password over HTTP Basic.
 */
import { parseArgs } from 'node:util';
import { corpusOrSkip, parseCount, progressBar } from './cli-util.ts';
import { DEFAULT_SEED } from './corpus.ts';
import { runRipgrep } from './peers/ripgrep.ts';
import { DEFAULT_RUNS, PeerUnavailableError, queryResult, samplePaired, type PeerResult, type QueryResult } from './peers/result.ts';
import { openSqlite, type SqlitePeer } from './peers/sqlite-fts5.ts';
import { QUERY_SET } from './queries.ts';
import { formatPeerReport } from './report.ts';
import { formatBytes, formatMs, formatTable } from './stats.ts';
import { INGEST_AUTHS, type IngestAuth, type StrataExtras, startStrata } from './strata.ts';
import { formatProtocolReport, runProtocolBench } from './protocols.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '5000000' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    runs: { type: 'string', default: String(DEFAULT_RUNS) },
    peers: { type: 'string', default: 'sqlite,ripgrep' },
    'protocol-lines': { type: 'string', default: '200000' },
    dashboard: { type: 'boolean', default: false },
    'ingest-auth': { type: 'string', default: 'apikey' },
  },
  strict: true,
});
const log = (m: string) => process.stderr.write(m + '\n');
const runs = Math.max(1, parseCount(values.runs, '--runs'));
const ingestAuth = values['ingest-auth'] as IngestAuth;
if (!INGEST_AUTHS.includes(ingestAuth)) throw new RangeError(`--ingest-auth takes ${INGEST_AUTHS.join(' or ')}, got '${values['ingest-auth']}'`);
const started = performance.now();

const corpus = await corpusOrSkip(values.lines, values.seed, log);

const strataBench = await startStrata(corpus, log, ingestAuth);
const skipped: string[] = [];
const peers = values.peers.split(',').map((p) => p.trim()).filter(Boolean);
let sqlitePeer: SqlitePeer | null = null;
const results: PeerResult[] = [];
let extras: StrataExtras;
try {
  if (peers.includes('sqlite')) {
    try {
      sqlitePeer = await openSqlite(corpus, { onProgress: progressBar('sqlite ingest') });
    } catch (e) {
      if (!(e instanceof PeerUnavailableError)) throw e;
      skipped.push(`skipped: ${e.message}`);
    }
  }
  // Lets fetch see the connections the node closed while SQLite's synchronous ingest held the event loop.
  await new Promise((ok) => setTimeout(ok, 100));
  // Both loaded, each query is timed on Strata and SQLite in alternating slices (see samplePaired).
  const strataQueries: QueryResult[] = [];
  const sqliteQueries: QueryResult[] = [];
  for (const q of QUERY_SET) {
    log(`timing ${q.name}${sqlitePeer ? ' on Strata and SQLite in turns' : ''}`);
    const runners = [strataBench.runner(q), ...(sqlitePeer ? [sqlitePeer.runner(q)] : [])];
    const samples = await samplePaired(runners.map((r) => r.once), runs);
    strataQueries.push(queryResult(q.name, samples[0], runners[0].count()));
    if (sqlitePeer) sqliteQueries.push(queryResult(q.name, samples[1], runners[1].count()));
  }
  const finished = await strataBench.finish(strataQueries, runs);
  results.push(finished.result);
  extras = finished.extras;
  if (sqlitePeer) results.push(sqlitePeer.finish(sqliteQueries));
} finally {
  await strataBench.close();
  sqlitePeer?.close();
}
const strata = results[0];
if (peers.includes('ripgrep')) {
  try {
    results.push(await runRipgrep(corpus, QUERY_SET, runs));
  } catch (e) {
    if (!(e instanceof PeerUnavailableError)) throw e;
    skipped.push(`skipped: ${e.message}`);
  }
}

const out: string[] = [];
out.push(`${corpus.lines.toLocaleString('en-US')} lines (seed ${corpus.seed}), ${formatBytes(corpus.rawBytes)} raw, ${formatBytes(corpus.ndjsonBytes)} as NDJSON`);
out.push('');
out.push(formatPeerReport(results));
out.push('');
out.push(
  `Strata ingest: ${extras.ingestSeconds.toFixed(1)} s to acknowledge every line (${extras.ingestMBps.toFixed(1)} MB/s of NDJSON), ` +
    `${extras.retries429} requests answered 429; sealed and merged (as the background policy would) ${extras.settleSeconds.toFixed(1)} s later, into ${extras.segments} segment(s)`,
);
if (extras.cpu) {
  // Seals and merges are counted when they finish: at the last acknowledgement, those still running are in `other`.
  const row = (name: string, c: Record<string, number>) => {
    const total = c.main + c.seal + c.merge + c.other;
    return [name, ...[c.main, c.seal, c.merge, c.other, total].map((s) => `${s.toFixed(1)} s (${((s * 1e6) / corpus.lines).toFixed(1)} µs/line)`)];
  };
  out.push('');
  out.push(
    formatTable(
      ['Strata node CPU', 'main thread', 'seal threads', 'merge threads', 'other threads', 'all'],
      [row('to the last acknowledgement', extras.cpu.ingest), row('to the end of the settle', extras.cpu.settled)],
    ),
  );
}
out.push(`Bench client (this process, on the node's cores) to the last acknowledgement: ${extras.clientCpuSeconds.toFixed(1)} s of CPU (${((extras.clientCpuSeconds * 1e6) / corpus.lines).toFixed(1)} µs/line)`);
out.push('');
out.push(formatTable(['Strata HTTP round trip', 'median ms'], Object.entries(extras.httpMedianMs).map(([k, v]) => [k, formatMs(v)])));
out.push('');
out.push(formatTable(['Strata aggregation', 'med ms', 'p99 ms', 'buckets'], extras.histogram.map((h) => [h.name, formatMs(h.medianMs), formatMs(h.p99Ms), String(h.buckets)])));

const sqlite = results.find((r) => r.system.startsWith('SQLite'));
const targets: [string, string, boolean][] = [
  ['ingest ≥ 200k lines/s over HTTP, durable', `${strata.ingestLinesPerSec!.toLocaleString('en-US')} lines/s`, strata.ingestLinesPerSec! >= 200_000],
  ['size on disk ≤ 0.25× raw', `${(strata.sizeBytes / strata.rawBytes).toFixed(3)}×`, strata.sizeBytes <= 0.25 * strata.rawBytes],
];
for (const q of strata.queries) {
  const s = sqlite?.queries.find((x) => x.name === q.name);
  if (s) targets.push([`${q.name} faster than SQLite FTS5`, `${formatMs(q.medianMs)} vs ${formatMs(s.medianMs)} ms`, q.medianMs < s.medianMs]);
}
const hist = extras.histogram[0];
targets.push(['date histogram over the whole corpus ≤ 20 ms', `${formatMs(hist.medianMs)} ms`, hist.medianMs <= 20]);
out.push('');
out.push(formatTable(['target', 'measured', 'met'], targets.map(([t, m, ok]) => [t, m, ok ? 'yes' : 'NOT MET'])));
for (const s of skipped) out.push(s);
// Printed now: the sections below start more nodes and take minutes, and a failure there must not lose these.
const flushOut = () => {
  process.stdout.write(out.join('\n') + '\n');
  out.length = 0;
};
flushOut();
const protocolLines = Math.min(parseCount(values['protocol-lines'], '--protocol-lines'), corpus.lines);
if (protocolLines > 0) {
  out.push('');
  out.push(formatProtocolReport(await runProtocolBench(corpus, protocolLines, log)));
}
if (values.dashboard) {
  out.push('');
  try {
    // Loaded only when asked for: it brings Playwright in.
    const [{ runDashboardBench }, { formatDashboardReport }] = await Promise.all([import('./dashboard.ts'), import('./dashboard-report.ts')]);
    out.push(formatDashboardReport(await runDashboardBench({ corpus, runs, log })).trimEnd());
  } catch (e) {
    if (!(e instanceof PeerUnavailableError)) throw e;
    out.push(`dashboard skipped: ${e.message}`);
  }
}
out.push('');
out.push(`total bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
flushOut();
