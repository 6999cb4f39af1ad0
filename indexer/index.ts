/** The indexer's public surface: storage of one shard, its search, and the query language. */
export { Shard, type AppendResult, type ShardOptions, type ShardView } from './store/shard.ts';
export { addFieldKinds, KIND_BOOLEAN, KIND_NUMBER, KIND_STRING } from './store/field-kinds.ts';
export { findRecordAt, findRecordById } from './store/lookup.ts';
export { BuildPool } from './build/pool.ts';
export { fsyncDir } from './log/file.ts';
export type { Durability } from './log/append-log.ts';
export type { JsonBytes, LogEntry } from './log/frame.ts';
export { parseQuery, QueryError, MAX_QUERY_LENGTH } from './query/parser.ts';
export type { Query } from './query/ast.ts';
export { formatQuery } from './query/ast.ts';
export { compileMatcher, type RecordMatcher } from './query/match-record.ts';
export { searchShard, type ShardCandidate, type ShardResult, type ShardSearchPlan } from './query/search-shard.ts';
export { parseAggs, gridsFor, createCollector, parseInterval, type AggRequest } from './query/aggs/spec.ts';
export type { AggCollector } from './query/aggs/collector.ts';
export { tokenize } from './text/tokenize.ts';
