import { generateCorpus, type Corpus } from './corpus.ts';
import { DatasetsUnavailableError, SKIP_EXIT_CODE } from './loghub.ts';
import { formatBytes } from './stats.ts';

/** Accepts `5000000`, `5_000_000`, `5e6`, `200k`, `5M`: bench sizes are typed by hand often enough. */
export function parseCount(text: string, flag: string): number {
  const m = /^(\d[\d_]*(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(text.trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${flag} expects a whole number such as 200000 or 5M, got '${text}'`);
  return n;
}

/**
 * A progress callback on stderr: on a terminal it redraws one line at most every 200 ms; in a log (CI, a pipe)
 * it writes a line per tenth, because carriage returns there pile up into one unreadable line.
 */
export function progressBar(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  let lastMs = 0;
  let lastTenth = 0;
  return (done, total) => {
    const text = `${label}: ${((100 * done) / total).toFixed(1).padStart(5)}% (${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')})`;
    if (tty) {
      const now = performance.now();
      if (done < total && now - lastMs < 200) return;
      lastMs = now;
      process.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((10 * done) / total);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    process.stderr.write(text + '\n');
  };
}

/**
 * The seeded bench corpus for `--lines` and `--seed`, generated or reused, with its size logged; when the Loghub
 * samples it is made from are missing, the bench says so and exits as skipped (never as passed).
 */
export async function corpusOrSkip(lines: string, seed: string, log: (m: string) => void): Promise<Corpus> {
  let corpus: Corpus;
  try {
    corpus = await generateCorpus({ lines: parseCount(lines, '--lines'), seed: parseCount(seed, '--seed'), onProgress: progressBar('corpus') });
  } catch (err) {
    if (!(err instanceof DatasetsUnavailableError)) throw err;
    process.stdout.write(`skipped: ${err.message}\n`);
    process.exit(SKIP_EXIT_CODE);
  }
  log(`corpus: ${corpus.lines.toLocaleString('en-US')} lines, ${formatBytes(corpus.rawBytes)} raw (${corpus.reused ? 'reused' : 'generated'})`);
  return corpus;
}
