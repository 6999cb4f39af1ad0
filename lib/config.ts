import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { StrataError } from './errors.ts';

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };

/** "30d" → ms; "0" or absent → 0 (keep forever). */
export function durationMs(v: string | number | undefined): number {
  if (v === undefined || v === 0 || v === '0') return 0;
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v);
  if (!m) throw new StrataError('invalid_config', `"${v}" is not a duration like "7d", "12h", "30m"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/**
 * How long a credential lasts ("24h", "7d"): a duration from 1 second up to `maxDays` days, or null for "until
 * revoked". The pattern is checked first; a value that failed it is not measured.
 */
export function expiresInSchema(maxDays: number) {
  const re = /^\d+(s|m|h|d|w)$/;
  return z
    .string()
    .regex(re, 'a duration like "24h", "7d", "30m"')
    .refine((d) => !re.test(d) || (durationMs(d) > 0 && durationMs(d) <= maxDays * UNIT_MS.d), `between 1 second and ${maxDays} days`)
    .nullable();
}

/** Index names become directory names: only this alphabet, so no request can point outside the data dir. */
export const INDEX_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** Why `name` cannot be an index name, for a person; null when it can. */
export function indexNameProblem(name: string): string | null {
  return INDEX_NAME_RE.test(name)
    ? null
    : `invalid index name "${name.slice(0, 140)}": use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit`;
}

/** Pipeline names are file names and URL path segments. */
export const PIPELINE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Seal threads by default on a machine with `cores` cores: one a core on one or two cores, else every core but the
 * main thread's, up to 4. On two cores seals are what bounds ingest, and the main thread leaves room for a second
 * one, which raises the rate (indexer/DESIGN.md: Known limits).
 */
export function defaultBuildThreads(cores: number): number {
  return cores <= 2 ? Math.max(1, cores) : Math.min(4, cores - 1);
}

/** Settings of one index; stored beside its shards and validated strictly (unknown keys are errors). */
export const IndexSettingsSchema = z
  .object({
    /** Number of shards; fixed at creation. */
    shards: z.number().int().min(1).max(64).default(1),
    /** `fsync`: every acknowledged batch is fsynced first. `interval`: fsync every `fsync_interval_ms`. */
    durability: z.enum(['fsync', 'interval']).default('fsync'),
    fsync_interval_ms: z.number().int().min(1).max(60_000).default(1000),
    /** Delete segments whose newest record is older than this ("30d"); "0" keeps forever. */
    retention: z.string().regex(/^(0|\d+(ms|s|m|h|d|w))$/, 'a duration like "30d", or "0"').default('0'),
    /** Cap on sealed segment bytes per shard; the oldest segments go first. 0: no cap. */
    max_shard_bytes: z.number().int().min(0).default(0),
    /**
     * Index each adjacent pair of a segment's common tokens (in 2% of its docs or more) as a term of its own, so a
     * phrase of two such tokens reads one short list instead of two long ones and their positions. Costs about a
     * tenth more disk and seal time; fixed at creation.
     */
    phrase_bigrams: z.boolean().default(true),
    /**
     * Index the words (tokens without digits) of each field through its patterns: a record's value with every token
     * that holds a digit replaced by a slot. Log lines repeat a few thousand patterns, so words then cost a two-byte
     * column per record instead of postings and positions, and phrases of words are matched per pattern. A field
     * with fewer than four records per pattern in a segment (free text) keeps per-record postings either way; where
     * patterns apply, bigrams are not needed. Fixed at creation.
     */
    word_patterns: z.boolean().default(true),
    /** The ingest pipeline records of this index go through unless a request names another; null: none. */
    default_pipeline: z.string().regex(PIPELINE_NAME_RE, 'a pipeline name (letters, digits, ".", "_", "-")').nullable().default(null),
  })
  .strict();
/** Settings that may change after creation (the others shape data already on disk). */
export const MUTABLE_INDEX_SETTINGS = ['default_pipeline'] as const;
export type IndexSettings = z.infer<typeof IndexSettingsSchema>;

/** The node's configuration: one schema, units in the names, a default for every field. */
export const NodeConfigSchema = z
  .object({
    dataDir: z.string().min(1),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9400),
    /**
     * Threads sealing heads into segments, and how many seals of one shard may build at once. Building is the
     * costliest step of ingest, but the main thread (requests, the log, searches) needs a core too: by default
     * every core but one, at least 1 and at most 4. On two cores a second seal thread bought no rate and cost
     * 13–16% more CPU a line and about 0.3 GiB more peak memory (README, Benchmarks).
     */
    buildThreads: z.number().int().min(1).max(64).default(defaultBuildThreads(availableParallelism())),
    /** Threads merging segments: a pool of their own, so that a long merge never holds up a seal. */
    mergeThreads: z.number().int().min(1).max(64).default(1),
    /** Largest accepted request body. */
    maxBodyBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** Largest single record (one NDJSON or text line). */
    maxRecordBytes: z.number().int().min(64).default(1024 * 1024),
    /** Seal the head at this many records, bytes or age. */
    sealDocs: z.number().int().min(1).default(200_000),
    sealBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    sealAgeMs: z.number().int().min(10).default(5_000),
    /**
     * Refuse ingest with 429 while a shard's unsealed head is larger than this (log payload bytes; the head's
     * parsed records take about 2.5× that in memory). A few seals' worth keeps the build thread busy.
     */
    maxHeadBytes: z.number().int().min(1024).default(128 * 1024 * 1024),
    /**
     * How long a request may wait for a seal to make room in a full head before it is answered 429. Holding it
     * keeps the build threads fed; refused at once, its client sleeps for Retry-After (a second) while the seals in
     * flight finish with nothing ready to seal next. 0: refuse at once.
     */
    headFullWaitMs: z.number().int().min(0).max(60_000).default(2_000),
    /** Refuse ingest with 429 while this many request bytes are being ingested at once. */
    maxInflightBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
    maxLogFileBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** Syslog (RFC 5424 and 3164) on this port, UDP and TCP alike; null: off. */
    syslogPort: z.number().int().min(0).max(65535).nullable().default(null),
    /** The index syslog messages go to. */
    syslogIndex: z.string().default('syslog'),
    /** Merge when this many segments share a size tier. */
    mergeMinSegments: z.number().int().min(2).default(8),
    maxMergedDocs: z.number().int().min(1).default(4_000_000),
    /**
     * Segments code the postings of a patterned field's tokens found in at least this many of their records per
     * pattern (indexer/segment/grouped-postings.ts). Tests lower it so that little data exercises that code.
     */
    groupedPostingsMinDocs: z.number().int().min(1).default(64), // GROUPED_MIN_DF
    /** How long a dashboard sign-in lasts. */
    sessionTtlMs: z.number().int().min(1000).default(8 * 3600_000),
    /** Failed sign-ins of one username from one address within `loginFailureWindowMs`, before 429. */
    loginFailureLimit: z.number().int().min(1).default(5),
    loginFailureWindowMs: z.number().int().min(1000).default(5 * 60_000),
    /** Failed credentials of any kind from one address within a minute, before 429. */
    authFailuresPerMinute: z.number().int().min(1).default(30),
    /**
     * PEM certificate (the node's own first, then any intermediates) that the HTTP port and the syslog TLS port
     * present; with `tlsKey`, the HTTP port speaks HTTPS only. Both or neither; null: plain HTTP.
     */
    tlsCert: z.string().min(1).nullable().default(null),
    /** PEM private key of `tlsCert`. Keep it readable by the node's user only. */
    tlsKey: z.string().min(1).nullable().default(null),
    /**
     * Syslog over TLS (RFC 5425: octet-counted frames, newline framing also taken) on this TCP port, with
     * `tlsCert` and `tlsKey`; 6514 is its registered port. A port of its own, beside `syslogPort`: null: off.
     */
    syslogTlsPort: z.number().int().min(0).max(65535).nullable().default(null),
  })
  .strict();
export type NodeConfig = z.infer<typeof NodeConfigSchema>;

/** Validates a config object, turning schema issues into one error naming each bad key. */
export function parseConfig<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new StrataError('invalid_config', `invalid ${what}: ${issues}`, { issues: r.error.issues });
}
