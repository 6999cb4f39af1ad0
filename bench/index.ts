/**
 * The bench's public surface, for bench/run.ts and anything else that compares Strata with its peers. Every
 * name is listed on purpose; helpers of the CLIs and the peers' internals stay private.
 */
export {
  CORPUS_SPAN_MS,
  CORPUS_START_MS,
  DEFAULT_SEED,
  defaultCorpusDir,
  generateCorpus,
  type Corpus,
  type CorpusOptions,
} from './corpus.ts';
export { DatasetsUnavailableError, LOGHUB_SYSTEMS, resolveDatasetsDir, SKIP_EXIT_CODE, type LoghubSystem } from './loghub.ts';
export { mulberry32, type Prng } from '../lib/prng.ts';
export {
  decimalRangeRegex,
  QUERY_SET,
  TIME_RANGE_WINDOW,
  type BenchQuery,
  type RgPlan,
  type SqlitePlan,
  type TimeRange,
} from './queries.ts';
export { DEFAULT_RUNS, PeerUnavailableError, type PeerResult, type QueryResult } from './peers/result.ts';
export { runRipgrep, type CorpusFiles } from './peers/ripgrep.ts';
export { runSqlite, type CorpusRecords, type SqliteOptions } from './peers/sqlite-fts5.ts';
export { formatPeerReport } from './report.ts';
export {
  formatBytes,
  formatCount,
  formatMs,
  formatRatio,
  formatTable,
  median,
  p99,
  percentile,
  readPeakRssBytes,
  watchPeakRss,
  type Align,
  type PeakRssWatch,
} from './stats.ts';
