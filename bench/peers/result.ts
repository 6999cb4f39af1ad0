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
 * Untimed runs of each query before the timed ones, for the peers that run in a JIT-compiled runtime or behind
 * prepared statements (Strata's server, better-sqlite3): a server answering a dashboard is warm, and a handful of
 * cold runs would measure V8's tiering instead of the engine. ripgrep needs only the page cache warm (one run).
 */
export const WARMUP_RUNS = 10;
