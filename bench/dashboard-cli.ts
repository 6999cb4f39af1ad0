/**
 * `npx tsx bench/dashboard-cli.ts [--lines 5M] [--runs 7] [--seed 42]`: Discover's first-load JS, cold load and
 * Enter → rendered results on the bench corpus, next to the bare API. Prints a markdown report and writes it to
 * bench/out/dashboard-report.md. Exit code 77 means skipped (Loghub samples or Chromium missing), never a pass.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { corpusOrSkip, parseCount } from './cli-util.ts';
import { DEFAULT_SEED } from './corpus.ts';
import { runDashboardBench } from './dashboard.ts';
import { formatDashboardReport } from './dashboard-report.ts';
import { SKIP_EXIT_CODE } from './loghub.ts';
import { DEFAULT_RUNS, PeerUnavailableError } from './peers/result.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '5000000' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    runs: { type: 'string', default: String(DEFAULT_RUNS) },
  },
  strict: true,
});
const log = (m: string) => process.stderr.write(m + '\n');
const runs = Math.max(1, parseCount(values.runs, '--runs'));

const corpus = await corpusOrSkip(values.lines, values.seed, log);

let report: string;
try {
  report = formatDashboardReport(await runDashboardBench({ corpus, runs, log }));
} catch (err) {
  if (!(err instanceof PeerUnavailableError)) throw err;
  process.stdout.write(`skipped: ${err.message}\n`);
  process.exit(SKIP_EXIT_CODE);
}
const outDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}dashboard-report.md`, report);
process.stdout.write(report);
log(`written to ${outDir}dashboard-report.md`);
