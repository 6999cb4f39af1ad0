import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { Corpus } from '../corpus.ts';
import { QUERY_SET, type BenchQuery, type RgPlan } from '../queries.ts';
import { median, p99, watchPeakRss } from '../stats.ts';
import { DEFAULT_RUNS, PeerUnavailableError, type PeerResult, type QueryResult } from './result.ts';

/**
 * ripgrep (Debian `ripgrep`, `apt-get install -y ripgrep`) as the no-index baseline: every query is a full scan
 * of the file, so its latency is the floor an index has to beat by a wide margin to be worth its ingest cost.
 * Pipelines are wired child-to-child (a stage's stdout is the next one's stdin) so no bytes pass through Node
 * and nothing but rg and tail is timed; there is no shell either. Each query runs once untimed to warm the page
 * cache, then `runs` times.
 */

export type CorpusFiles = Pick<Corpus, 'rawFile' | 'ndjsonFile' | 'rawBytes'>;

export async function runRipgrep(corpus: CorpusFiles, queries: readonly BenchQuery[] = QUERY_SET, runs: number = DEFAULT_RUNS): Promise<PeerResult> {
  const version = await ripgrepVersion();
  const results: QueryResult[] = [];
  let peakRssBytes: number | null = null;
  for (const q of queries) {
    const file = q.rg.input === 'raw' ? corpus.rawFile : corpus.ndjsonFile;
    await runPipeline(q.rg, file);
    const times: number[] = [];
    let count = -1;
    for (let i = 0; i < runs; i++) {
      const r = await runPipeline(q.rg, file);
      times.push(r.ms);
      if (count >= 0 && r.count !== count) throw new Error(`ripgrep query '${q.name}' counted ${count} then ${r.count}: the corpus changed under the bench?`);
      count = r.count;
      if (r.peakRssBytes !== null && (peakRssBytes === null || r.peakRssBytes > peakRssBytes)) peakRssBytes = r.peakRssBytes;
    }
    results.push({ name: q.name, medianMs: median(times), p99Ms: p99(times), count, runs });
  }
  return {
    system: `ripgrep ${version}`,
    ingestLinesPerSec: null,
    sizeBytes: corpus.rawBytes,
    rawBytes: corpus.rawBytes,
    peakRssBytes,
    queries: results,
    notes: [
      'ripgrep: no index, single-threaded scan of one file per query; time-range scans the NDJSON copy to read timestamps',
      'ripgrep: peak RSS (VmHWM, summed over a pipeline) counts the pages of the input file rg maps, so it tracks file size more than heap',
    ],
  };
}

async function ripgrepVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('rg', ['--version']);
    return /ripgrep (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  } catch (err) {
    throw new PeerUnavailableError('ripgrep', "'rg' is not on PATH: apt-get install -y ripgrep", { cause: err });
  }
}

interface PipelineRun {
  readonly ms: number;
  readonly count: number;
  readonly peakRssBytes: number | null;
}

/** Runs the stages with the file appended to the first; resolves when every stage has exited and closed. */
function runPipeline(plan: RgPlan, file: string): Promise<PipelineRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const children: ChildProcess[] = [];
    let input: 'ignore' | Readable = 'ignore';
    for (const [i, [cmd, ...args]] of plan.stages.entries()) {
      const child: ChildProcess = spawn(cmd, i === 0 ? [...args, file] : args, { stdio: [input, 'pipe', 'pipe'] });
      // The child holds its own copy of the pipe now; ours would only compete with it for the bytes.
      if (input !== 'ignore') input.destroy();
      children.push(child);
      input = child.stdout!;
    }
    const watches = children.map((c) => watchPeakRss(c.pid ?? -1));
    const last = children[children.length - 1];
    const out: Buffer[] = [];
    last.stdout!.on('data', (b: Buffer) => out.push(b));
    const errors: string[] = [];
    let pending = children.length;
    let failed = false;
    children.forEach((child, i) => {
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => {
        if (stderr.length < 2000) stderr += b.toString();
      });
      child.on('error', (err) => {
        failed = true;
        reject(new PeerUnavailableError('ripgrep', `cannot run '${plan.stages[i][0]}': ${err.message}`, { cause: err }));
      });
      child.on('close', (code) => {
        // rg exits 1 for "no match", which is an answer (0), not a failure.
        const ok = code === 0 || (code === 1 && plan.stages[i][0] === 'rg');
        if (!ok) errors.push(`'${plan.stages[i].join(' ')}' exited ${code}: ${stderr.trim()}`);
        if (--pending > 0 || failed) return;
        const ms = performance.now() - t0;
        const peaks = watches.map((w) => w.stop());
        if (errors.length > 0) return reject(new Error(`ripgrep pipeline failed: ${errors.join('; ')}`));
        const text = Buffer.concat(out).toString('latin1');
        const count = plan.output === 'count' ? (text.trim() === '' ? 0 : Number.parseInt(text, 10)) : countLines(text);
        const known = peaks.filter((p): p is number => p !== null);
        resolve({ ms, count, peakRssBytes: known.length > 0 ? known.reduce((a, b) => a + b, 0) : null });
      });
    });
  });
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
