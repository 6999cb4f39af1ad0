import { StrataError } from '../../lib/errors.ts';

/** One query's figures for one system. */
export interface QueryResult {
  readonly name: string;
  readonly medianMs: number;
  readonly p99Ms: number;
  /** Matching lines, or rows returned for a `latest` query. */
  readonly count: number;
  readonly runs: number;
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
}
export const RUN_PLAN: RunPlan = { minWarmupRuns: 10, maxWarmupRuns: 3000, warmupMs: 10_000, timedMs: 1000, maxTimedRuns: 200 };

/**
 * Warms, then times, one query: `once(timed)` runs it and returns its latency in ms (the caller decides what is
 * measured: a server's own `took_ms`, or the time around a library call). Returns the timed samples.
 */
export async function sampleQuery(once: (timed: boolean) => number | Promise<number>, runs: number, plan: RunPlan = RUN_PLAN): Promise<number[]> {
  const warmStart = performance.now();
  for (let i = 0; i < plan.maxWarmupRuns && (i < plan.minWarmupRuns || performance.now() - warmStart < plan.warmupMs); i++) await once(false);
  const samples: number[] = [];
  const timedStart = performance.now();
  while (samples.length < runs || (samples.length < plan.maxTimedRuns && performance.now() - timedStart < plan.timedMs)) samples.push(await once(true));
  return samples;
}
