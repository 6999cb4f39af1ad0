import { StrataError } from '../../lib/errors.ts';
import { median, p99 } from '../stats.ts';

/** One query's figures for one system. */
export interface QueryResult {
  readonly name: string;
  readonly medianMs: number;
  readonly p99Ms: number;
  /** Matching lines, or rows returned for a `latest` query. */
  readonly count: number;
  readonly runs: number;
}

/** A query's figures from its timed samples. */
export function queryResult(name: string, samples: readonly number[], count: number): QueryResult {
  return { name, medianMs: median(samples), p99Ms: p99(samples), count, runs: samples.length };
}

/** What every system under test reports, Strata included, so one table can print them side by side. */
export interface PeerResult {
  /** Name and version, e.g. `ripgrep 13.0.0`. */
  readonly system: string;
  /** Null for systems that search raw text and have no ingest step. */
  readonly ingestLinesPerSec: number | null;
  /** Bytes on disk that queries read (the raw file itself for a grep). */
  readonly sizeBytes: number;
  /** Size of the raw corpus, for the size ratio. */
  readonly rawBytes: number;
  /** Peak RSS of the process(es) doing the work, or null when it could not be isolated. */
  readonly peakRssBytes: number | null;
  readonly queries: readonly QueryResult[];
  /** Caveats that belong next to the figures (tokenizer differences, settings). */
  readonly notes: readonly string[];
}

/** A peer that cannot run here (binary or native module missing): reported as skipped, never as a pass. */
export class PeerUnavailableError extends StrataError {
  constructor(
    readonly peer: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('not_found', `${peer} is unavailable: ${reason}`, { peer }, options);
    this.name = 'PeerUnavailableError';
  }
}

export const DEFAULT_RUNS = 7;

/**
 * How queries are warmed and timed in the peers that run in a JIT-compiled runtime or behind prepared statements
 * (Strata's server, better-sqlite3). A server answering dashboards has served thousands of requests: measured on
 * the 5M-line corpus, Strata's newest-100 took 0.85 ms after 10 requests, 0.41–0.43 after 300, 0.19–0.31 after
 * 1,000 and 0.10–0.15 after 2,000, as V8 optimized the request path (the first run also loads the term
 * dictionaries a cold node reads on first use); ten cold runs would measure V8's tiering, not the engine. So each
 * query is warmed for `warmupMs` (at least `minWarmupRuns`, at most `maxWarmupRuns` runs), as load testers such
 * as Rally do, then timed at least `runs` times and for `timedMs` (at most `maxTimedRuns`), so that fast queries
 * get enough samples for a p99 that is not simply the slowest run. ripgrep needs only the page cache warm.
 */
export interface RunPlan {
  readonly minWarmupRuns: number;
  readonly maxWarmupRuns: number;
  readonly warmupMs: number;
  readonly timedMs: number;
  readonly maxTimedRuns: number;
  /**
   * samplePaired: timed runs a system gets in one slice before the next system has its turn, each slice led by
   * `sliceWarmupRuns` untimed runs (the other system's slice has just used the cores and caches).
   */
  readonly sliceRuns: number;
  readonly sliceWarmupRuns: number;
}
export const RUN_PLAN: RunPlan = { minWarmupRuns: 10, maxWarmupRuns: 3000, warmupMs: 10_000, timedMs: 1000, maxTimedRuns: 200, sliceRuns: 20, sliceWarmupRuns: 3 };

/** One run of a query on one system: returns its latency in ms (see sampleQuery); `timed` is false while warming. */
export type QueryOnce = (timed: boolean) => number | Promise<number>;

/** A query made ready on one system: its runs, and the count (or rows) the last run answered. */
export interface QueryRunner {
  readonly once: QueryOnce;
  count(): number;
}

/**
 * Warms, then times, one query: `once(timed)` runs it and returns its latency in ms (the caller decides what is
 * measured: a server's own `took_ms`, or the time around a library call). Returns the timed samples.
 */
export async function sampleQuery(once: QueryOnce, runs: number, plan: RunPlan = RUN_PLAN): Promise<number[]> {
  await warm(once, plan);
  const samples: number[] = [];
  const timedStart = performance.now();
  while (samples.length < runs || (samples.length < plan.maxTimedRuns && performance.now() - timedStart < plan.timedMs)) samples.push(await once(true));
  return samples;
}

async function warm(once: QueryOnce, plan: RunPlan): Promise<void> {
  const warmStart = performance.now();
  for (let i = 0; i < plan.maxWarmupRuns && (i < plan.minWarmupRuns || performance.now() - warmStart < plan.warmupMs); i++) await once(false);
}

/**
 * Times one query on several systems at once: each is warmed as sampleQuery warms, then they take turns, a slice of
 * `sliceRuns` timed runs each, until each has what sampleQuery would take (at least `runs`, and for `timedMs` of its
 * own slices, within `maxTimedRuns`). This machine's speed drifts by tens of percent from one minute to the next;
 * timed one after the other, two systems' medians also measured the minute each ran in (on 2026-12-02 every Strata
 * query ran two to three times its usual time in one run while SQLite's, minutes later, did not). Interleaved,
 * both see the same minutes, so their ratio is the systems'. Returns each system's timed samples, in `onces` order.
 */
export async function samplePaired(onces: readonly QueryOnce[], runs: number, plan: RunPlan = RUN_PLAN): Promise<number[][]> {
  for (const once of onces) await warm(once, plan);
  const samples = onces.map((): number[] => []);
  const spent = onces.map(() => 0);
  const done = (i: number) => samples[i].length >= runs && (samples[i].length >= plan.maxTimedRuns || spent[i] >= plan.timedMs);
  while (!onces.every((_, i) => done(i))) {
    for (const [i, once] of onces.entries()) {
      if (done(i)) continue;
      for (let w = 0; w < plan.sliceWarmupRuns; w++) await once(false);
      for (let k = 0; k < Math.max(1, plan.sliceRuns) && !done(i); k++) {
        const t = performance.now();
        samples[i].push(await once(true));
        spent[i] += performance.now() - t;
      }
    }
  }
  return samples;
}
