/**
 * `npx tsx bench/protocols-cli.ts [--lines 200k]`: only the per-protocol ingest section of `npm run bench`, on the
 * same seeded corpus. Exit 77 (skipped) without the datasets.
 */
import { parseArgs } from 'node:util';
import { parseCount, progressBar } from './cli-util.ts';
import { DEFAULT_SEED, generateCorpus } from './corpus.ts';
import { DatasetsUnavailableError, SKIP_EXIT_CODE } from './loghub.ts';
import { formatProtocolReport, runProtocolBench } from './protocols.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' }, seed: { type: 'string', default: String(DEFAULT_SEED) } }, strict: true });
const lines = parseCount(values.lines, '--lines');
try {
  const corpus = await generateCorpus({ lines, seed: parseCount(values.seed, '--seed'), onProgress: progressBar('corpus') });
  process.stdout.write(formatProtocolReport(await runProtocolBench(corpus, lines, (m) => process.stderr.write(m + '\n'))) + '\n');
} catch (err) {
  if (!(err instanceof DatasetsUnavailableError)) throw err;
  process.stdout.write(`skipped: ${err.message}\n`);
  process.exit(SKIP_EXIT_CODE);
}
