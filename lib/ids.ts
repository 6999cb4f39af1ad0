/** Branded ids: a number that means an offset cannot be passed where a timestamp is expected. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

/** Per-shard monotonically increasing sequence number of a record (the replication offset). */
export type Offset = Brand<number, 'Offset'>;
/** Milliseconds since the Unix epoch, UTC. */
export type EpochMs = Brand<number, 'EpochMs'>;
/** Shard number inside an index, 0-based. */
export type ShardNo = Brand<number, 'ShardNo'>;
/** Sealed segment id inside a shard; grows monotonically. */
export type SegmentId = Brand<number, 'SegmentId'>;

export const asOffset = (n: number): Offset => n as Offset;
export const asEpochMs = (n: number): EpochMs => n as EpochMs;
export const asShardNo = (n: number): ShardNo => n as ShardNo;
export const asSegmentId = (n: number): SegmentId => n as SegmentId;
