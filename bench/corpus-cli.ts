/**
 * Writes (or reuses) a bench corpus: `npx tsx bench/corpus-cli.ts --lines 5000000 [--seed 42] [--out DIR]`.
 * Prints the corpus description as JSON on stdout; progress goes to stderr so stdout stays machine-readable.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, generateCorpus } from './corpus.ts';
import { DatasetsUnavailableError, SKIP_EXIT_CODE } from './loghub.ts';
import { parseCount, progressBar } from './cli-util.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '5000000' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    out: { type: 'string' },
  },
  strict: true,
});

const started = performance.now();
try {
  const corpus = await generateCorpus({
    lines: parseCount(values.lines, '--lines'),
    seed: parseCount(values.seed, '--seed'),
    out: values.out,
    onProgress: progressBar('corpus'),
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ ...corpus, seconds: Number(seconds.toFixed(2)) }, null, 2) + '\n');
} catch (err) {
  if (!(err instanceof DatasetsUnavailableError)) throw err;
  process.stderr.write(`skipped: ${err.message}\n`);
  process.exitCode = SKIP_EXIT_CODE;
}
