/**
 * The peers on their own: `npx tsx bench/peers-cli.ts [--lines 5M] [--runs 7] [--seed 42] [--peers sqlite,ripgrep]`.
 * Generates (or reuses) the corpus, runs each peer over the shared query set and prints the report on stdout.
 * A peer that cannot run is listed as skipped; if the datasets are missing or every peer was skipped, the exit
 * code is SKIP_EXIT_CODE, so nothing that measured nothing can pass.
 */
import { parseArgs } from 'node:util';
import { parseCount, progressBar } from './cli-util.ts';
import { DEFAULT_SEED, generateCorpus, type Corpus } from './corpus.ts';
import { DatasetsUnavailableError, SKIP_EXIT_CODE } from './loghub.ts';
import { runRipgrep } from './peers/ripgrep.ts';
import { DEFAULT_RUNS, PeerUnavailableError, type PeerResult } from './peers/result.ts';
import { runSqlite } from './peers/sqlite-fts5.ts';
import { formatPeerReport } from './report.ts';
import { formatBytes } from './stats.ts';

/** In report order: the first is the baseline the others are compared with. */
const PEERS: Record<string, (corpus: Corpus, runs: number) => Promise<PeerResult>> = {
  sqlite: (corpus, runs) => runSqlite(corpus, undefined, runs, { onProgress: progressBar('sqlite ingest') }),
  ripgrep: (corpus, runs) => runRipgrep(corpus, undefined, runs),
};

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '5000000' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    runs: { type: 'string', default: String(DEFAULT_RUNS) },
    peers: { type: 'string', default: Object.keys(PEERS).join(',') },
    out: { type: 'string' },
  },
  strict: true,
});

const selected = values.peers.split(',').map((p) => p.trim()).filter(Boolean);
for (const p of selected) if (!(p in PEERS)) throw new RangeError(`--peers: unknown peer '${p}'; known: ${Object.keys(PEERS).join(', ')}`);
const runs = Math.max(1, parseCount(values.runs, '--runs'));
const log = (msg: string) => process.stderr.write(msg + '\n');

const started = performance.now();
const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
let corpus: Corpus;
try {
  corpus = await generateCorpus({
    lines: parseCount(values.lines, '--lines'),
    seed: parseCount(values.seed, '--seed'),
    out: values.out,
    onProgress: progressBar('corpus'),
  });
} catch (err) {
  if (!(err instanceof DatasetsUnavailableError)) throw err;
  log(`skipped: ${err.message}`);
  process.exit(SKIP_EXIT_CODE);
}
log(`corpus: ${corpus.lines.toLocaleString('en-US')} lines, ${formatBytes(corpus.rawBytes)} raw, ${corpus.reused ? 'reused' : 'generated'} in ${elapsed(started)} (${corpus.rawFile})`);

const results: PeerResult[] = [];
const skipped: string[] = [];
for (const name of Object.keys(PEERS).filter((p) => selected.includes(p))) {
  const t = performance.now();
  try {
    results.push(await PEERS[name](corpus, runs));
    log(`${name}: done in ${elapsed(t)}`);
  } catch (err) {
    if (!(err instanceof PeerUnavailableError)) throw err;
    skipped.push(`skipped: ${err.message}`);
    log(skipped.at(-1)!);
  }
}

process.stdout.write(`${corpus.lines.toLocaleString('en-US')} lines (seed ${corpus.seed}), ${formatBytes(corpus.rawBytes)} raw; total ${elapsed(started)}\n\n`);
process.stdout.write(formatPeerReport(results) + '\n');
for (const s of skipped) process.stdout.write(s + '\n');
if (results.length === 0) process.exitCode = SKIP_EXIT_CODE;
