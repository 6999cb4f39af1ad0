import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { durationMs, INDEX_NAME_RE } from '../../lib/config.ts';
import { StrataError } from '../../lib/errors.ts';
import { ProcessorsSchema, regexSource } from './processors/schema.ts';

/**
 * The agent's configuration: one YAML file, validated strictly (an unknown or misspelt key is an error naming its
 * path), with a named default for everything but where offsets live, what to read and where to send it. The
 * minimal config of issue 4 (registry, inputs with paths, output urls, index, auth) is valid as it stands.
 */

/** A strict object whose unknown keys are reported with the keys it does know, so that a typo points at its fix. */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key; expected one of ${known}` : undefined),
  });
}

const KiB = 1024;
const MiB = 1024 * KiB;
const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** Fields every record gets from the agent (or, `_id` and `_index`, that describe a hit rather than a record). */
const RESERVED_FIELDS = new Set(['@timestamp', 'message', 'log.file.path', 'host.name', 'input.type', 'log.source.address', '_id', '_index']);

/** `host:port` (`[::1]:port` for IPv6); port 0 takes any free port (for tests). */
const ListenSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'an address to listen on, host:port ("127.0.0.1:5140", "[::1]:5140")')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'a port from 0 to 65535');

/** The host and port of a `listen` value (validated by the schema). */
export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(listen.slice(i + 1)) };
}

/**
 * Lines joined into records (see multiline.ts). Give `start` (a pattern a record's first line matches, tested on
 * the line's first 4 KiB) or `mode: indent` (indented lines, `Caused by:` and `... N more` continue a record).
 */
const MultilineSchema = strict({
  start: regexSource.optional(),
  mode: z.enum(['start', 'indent']).optional(),
  /** A record is shipped at this many lines; the next line begins another. */
  max_lines: z.number().int().min(1).max(100_000).default(500),
  /** …or at this many bytes (a single longer line is cut here). */
  max_bytes: z.number().int().min(64).max(64 * MiB).default(512 * KiB),
  /** A record is shipped once no line was added for this long and its input has nothing more to read. */
  timeout_ms: ms(1, 3_600_000).default(1000),
}).superRefine((m, ctx) => {
  if (m.mode === 'indent' && m.start !== undefined) ctx.addIssue({ code: 'custom', path: ['start'], message: 'give start or mode: indent, not both' });
  else if (m.mode !== 'indent' && m.start === undefined) ctx.addIssue({ code: 'custom', message: 'give start (a pattern the first line of a record matches) or mode: indent' });
});

/** Field values added to every record: what the node stores as a field (nested objects are not taken here). */
const FieldsSchema = z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]));

const FileInputSchema = strict({
  type: z.literal('file'),
  /** Absolute globs (`*`, `?`, `[a-z]`, `{a,b}`, `**`), or relative to the config file's directory. */
  paths: z.array(z.string().min(1)).min(1),
  /**
   * File names (the last path component) never read, as globs. Compressed rotations are skipped by default: their
   * bytes are not lines, and their text was read from the file they were rotated from.
   */
  exclude: z.array(z.string().min(1)).default(['*.gz', '*.bz2', '*.xz', '*.zst', '*.zip']),
  /** How often the globs are expanded again, so that new files are picked up while running. */
  scan_interval_ms: ms(10, 3_600_000).default(1000),
  /** How often open files at their end are read again for new lines. */
  poll_interval_ms: ms(5, 60_000).default(250),
  /** Bytes read from a file at a time. */
  read_buffer_bytes: z.number().int().min(4 * KiB).max(16 * MiB).default(256 * KiB),
  /**
   * Longer lines are cut to this many bytes (the rest of the line is skipped and counted): the node refuses
   * records over its `--max-record-bytes` (1 MiB by default), and a line without end must not hold memory.
   */
  max_line_bytes: z.number().int().min(64).max(64 * MiB).default(512 * KiB),
  /**
   * A last line without its newline is held back until the newline comes; when the file has not grown for this
   * long it is shipped as it is (0: never, until the file is rotated away or deleted). Should the writer then
   * finish that line, its rest arrives as a record of its own.
   */
  partial_line_timeout_ms: ms(0, 86_400_000).default(10_000),
  /**
   * A file renamed away or deleted is read to its end, then closed once it has not grown for this long (a writer
   * may still append to a rotated file until it reopens its log).
   */
  close_inactive_ms: ms(0, 86_400_000).default(5_000),
  /** Bytes at the start of a file whose hash, with device and inode, identifies it (see format.md). */
  fingerprint_bytes: z.number().int().min(16).max(64 * KiB).default(KiB),
  /** Fields added to each record of this input (over the top-level `fields`). */
  fields: FieldsSchema.default({}),
  multiline: MultilineSchema.optional(),
  /** Run on each record of this input, before the top-level `processors`. */
  processors: ProcessorsSchema,
});

/** The agent's standard input, to its end; then the agent exits once every record is acknowledged. */
const StdinInputSchema = strict({
  type: z.literal('stdin'),
  /** Longer lines are cut to this many bytes, the rest skipped to the newline (as for files). */
  max_line_bytes: z.number().int().min(64).max(64 * MiB).default(512 * KiB),
  fields: FieldsSchema.default({}),
  multiline: MultilineSchema.optional(),
  processors: ProcessorsSchema,
});

/** A syslog listener: RFC 5424 and RFC 3164 messages over UDP, or TCP (newline or octet-counting framing). */
const SyslogInputSchema = strict({
  type: z.literal('syslog'),
  listen: ListenSchema,
  protocol: z.enum(['udp', 'tcp']).default('udp'),
  /** Longer messages are cut (the rest of a TCP frame is skipped). */
  max_message_bytes: z.number().int().min(480).max(16 * MiB).default(64 * KiB),
  fields: FieldsSchema.default({}),
  processors: ProcessorsSchema,
});

/** journald's priorities, 0 to 7, by the names records carry in `level` (and `err`, journalctl's spelling). */
export const JOURNAL_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'] as const;

/**
 * The journal, read by `journalctl -f -o json` (see inputs/journald.ts). The selection options become journalctl's
 * own: entries of any of `units` (`--unit`), of any of `identifiers` (`--identifier`; both given, an entry must
 * match one of each), at `priority` or more urgent (`--priority`).
 */
const JournaldInputSchema = strict({
  type: z.literal('journald'),
  /**
   * Names the input's cursor in the registry: `journald-<n>` by default, n counting journald inputs from 0. Give
   * one when inputs may be reordered.
   */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1 to 64 letters, digits, ".", "_" or "-"').optional(),
  units: z.array(z.string().min(1)).default([]),
  identifiers: z.array(z.string().min(1)).default([]),
  /** The least urgent level read: a name (`warning`) or a number (0 emerg … 7 debug). */
  priority: z.union([z.enum([...JOURNAL_LEVELS, 'err']), z.number().int().min(0).max(7)]).optional(),
  /** A directory of journal files (`--directory`), e.g. a container's; the system journal by default. */
  directory: z.string().min(1).optional(),
  /** Journal files, globs allowed (`--file`). */
  files: z.array(z.string().min(1)).min(1).optional(),
  /** The journalctl to run: a name looked up in PATH, or a path. */
  journalctl: z.string().min(1).default('journalctl'),
  /** Where a first start (no cursor in the registry) begins: new entries only, or all the journal holds. */
  from: z.enum(['end', 'beginning']).default('end'),
  /** An entry's JSON text longer than this is skipped and counted (the node refuses records over 1 MiB anyway). */
  max_entry_bytes: z.number().int().min(4 * KiB).max(64 * MiB).default(MiB),
  /** journalctl exited (not installed, no permission, killed): started again after a backoff with jitter. */
  restart: strict({
    initial_backoff_ms: ms(1, 600_000).default(1000),
    max_backoff_ms: ms(1, 3_600_000).default(30_000),
  }).prefault({}),
  fields: FieldsSchema.default({}),
  processors: ProcessorsSchema,
}).superRefine((j, ctx) => {
  if (j.directory !== undefined && j.files !== undefined) ctx.addIssue({ code: 'custom', path: ['files'], message: 'give directory or files, not both' });
  if (j.restart.max_backoff_ms < j.restart.initial_backoff_ms) ctx.addIssue({ code: 'custom', path: ['restart', 'max_backoff_ms'], message: 'must be at least initial_backoff_ms' });
});

const InputSchema = z.discriminatedUnion('type', [FileInputSchema, StdinInputSchema, SyslogInputSchema, JournaldInputSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? 'unknown input type; supported: file, stdin, syslog, journald' : undefined),
});

const MetricsSchema = strict({
  /** Where `GET /metrics` (Prometheus text) and `GET /health` are served; keep it on a loopback address. */
  listen: ListenSchema,
});

const AuthSchema = strict({
  /** Sent as `Authorization: ApiKey <api_key>`. */
  api_key: z.string().min(1).optional(),
  /** Sent as HTTP Basic authentication. */
  username: z.string().min(1).optional(),
  password: z.string().optional(),
}).superRefine((a, ctx) => {
  const basic = a.username !== undefined || a.password !== undefined;
  if (a.api_key !== undefined && basic) ctx.addIssue({ code: 'custom', message: 'give either api_key, or username and password, not both' });
  else if (basic && (a.username === undefined || a.password === undefined)) ctx.addIssue({ code: 'custom', message: 'username and password go together' });
  else if (!basic && a.api_key === undefined) ctx.addIssue({ code: 'custom', message: 'give api_key, or username and password' });
});

const BatchSchema = strict({
  /** A batch is sent at this many records… */
  max_records: z.number().int().min(1).max(100_000).default(2000),
  /** …or this many bytes of `_bulk` body before compression (the node takes bodies up to 64 MiB)… */
  max_bytes: z.number().int().min(4 * KiB).max(64 * MiB).default(4 * MiB),
  /** …or when its first record has waited this long. */
  max_wait_ms: ms(1, 600_000).default(1000),
});

const RetrySchema = strict({
  /** Backoff before the first retry; it doubles each attempt, and each wait is drawn at random below it. */
  initial_backoff_ms: ms(1, 600_000).default(250),
  max_backoff_ms: ms(1, 3_600_000).default(30_000),
  /** A `Retry-After` longer than this is cut to it (a node restarting must not park the agent for a day). */
  max_retry_after_ms: ms(0, 3_600_000).default(300_000),
});

/**
 * How the agent checks an https node's certificate. Always checked: there is no switch to skip it, since an agent
 * that ships to whoever answers hands over its logs and its credential.
 */
const OutputTlsSchema = strict({
  /**
   * A PEM file of the CA certificate(s) that signed the node's certificate (`ca.pem` from `strata certs`); relative
   * to this file. Given, it replaces the system's CAs for this output: the agent trusts that CA only.
   */
  ca: z.string().min(1).optional(),
});

const OutputSchema = strict({
  /** Node URLs; requests go to the first, and fail over to the next on an error. */
  urls: z.array(z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })).min(1),
  index: z.string().regex(INDEX_NAME_RE, 'an index name (lower-case letters, digits, ".", "_", "-")'),
  auth: AuthSchema.optional(),
  compression: z.enum(['gzip', 'none']).default('gzip'),
  /** gzip level: 1 compresses logs about 5× at a fraction of the CPU of the higher levels. */
  compression_level: z.number().int().min(1).max(9).default(1),
  /** A request not answered within this long is abandoned and retried. */
  timeout_ms: ms(100, 600_000).default(30_000),
  /** Requests in flight at once. */
  max_in_flight_batches: z.number().int().min(1).max(64).default(2),
  batch: BatchSchema.prefault({}),
  retry: RetrySchema.prefault({}),
  tls: OutputTlsSchema.optional(),
}).superRefine((o, ctx) => {
  if (o.tls?.ca !== undefined && !o.urls.some((u) => u.startsWith('https:'))) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'ca'], message: 'checks https:// nodes, and every url is http://: make them https://, or drop tls' });
  }
});

const RegistrySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { path: v } : v),
  strict({
    /** Directory of the registry file (created if missing). */
    path: z.string().min(1),
    /** Offsets acknowledged by the node are written at most this often (each write is fsynced). */
    write_interval_ms: ms(0, 60_000).default(200),
    /** A file the agent has not seen for this long is forgotten ("7d", "12h"). */
    forget_after: z.string().regex(/^\d+(ms|s|m|h|d|w)$/, 'a duration like "7d", "12h", "30m"').default('7d'),
  }),
);

const MemorySchema = strict({
  /**
   * Bytes of records read but not yet acknowledged by the node, kept in memory (the `_bulk` body bytes). When
   * reached, the agent stops reading until the node acknowledges: files wait on disk rather than in memory.
   */
  max_pending_bytes: z.number().int().min(64 * KiB).max(4096 * MiB).default(64 * MiB),
});

const HeartbeatSchema = strict({
  /**
   * Whether the agent reports itself to the node (`POST /api/v1/agents/heartbeat` on the output's URLs), so that
   * the node can list its agents. A failed heartbeat never holds up shipping; it is only counted.
   */
  enabled: z.boolean().default(true),
  /** How often; the node takes an agent for stale after three intervals without one. */
  interval_ms: ms(100, 3_600_000).default(10_000),
});

export const AgentConfigSchema = strict({
  /** How the node's agent list names this agent; the host name by default. */
  name: z.string().min(1).max(200).optional(),
  /** Required with a file or journald input; stdin and syslog keep no offsets. */
  registry: RegistrySchema.optional(),
  inputs: z.array(InputSchema).min(1),
  output: OutputSchema,
  memory: MemorySchema.prefault({}),
  /** Fields added to every record. */
  fields: FieldsSchema.default({}),
  /** Run on each record of every input, after the input's own `processors`. */
  processors: ProcessorsSchema,
  /** Off unless given. */
  metrics: MetricsSchema.optional(),
  heartbeat: HeartbeatSchema.prefault({}),
  /** The `host.name` of every record; the machine's host name by default. */
  host_name: z.string().min(1).optional(),
  /** On SIGTERM, how long in-flight batches may take to be acknowledged before the agent exits anyway. */
  shutdown_timeout_ms: ms(0, 600_000).default(5_000),
}).superRefine((c, ctx) => {
  const reserved = (fields: Record<string, unknown>, path: (string | number)[]) => {
    for (const k of Object.keys(fields)) {
      if (RESERVED_FIELDS.has(k)) ctx.addIssue({ code: 'custom', path: [...path, k], message: `set by the agent itself; the reserved fields are ${[...RESERVED_FIELDS].join(', ')}` });
    }
  };
  reserved(c.fields, ['fields']);
  c.inputs.forEach((i, n) => reserved(i.fields, ['inputs', n, 'fields']));
  const reservedAdded = (list: { add_fields?: { fields: Record<string, unknown> } }[], path: (string | number)[]) =>
    list.forEach((p, k) => p.add_fields && reserved(p.add_fields.fields, [...path, k, 'add_fields', 'fields']));
  reservedAdded(c.processors, ['processors']);
  c.inputs.forEach((i, n) => reservedAdded(i.processors, ['inputs', n, 'processors']));
  if (c.registry === undefined && c.inputs.some((i) => i.type === 'file')) {
    ctx.addIssue({ code: 'custom', path: ['registry'], message: 'required with a file input: the directory where the agent keeps how far each file was shipped' });
  } else if (c.registry === undefined && c.inputs.some((i) => i.type === 'journald')) {
    ctx.addIssue({ code: 'custom', path: ['registry'], message: 'required with a journald input: the directory where the agent keeps the cursor of the last entry shipped' });
  }
  const journalIds = new Set<string>();
  let nth = 0;
  c.inputs.forEach((i, n) => {
    if (i.type !== 'journald') return;
    const id = journaldInputId(i, nth++);
    if (journalIds.has(id)) ctx.addIssue({ code: 'custom', path: ['inputs', n, 'id'], message: `another journald input is already "${id}": give each its own id` });
    journalIds.add(id);
  });
  const stdin = c.inputs.findIndex((i) => i.type === 'stdin');
  if (stdin >= 0 && c.inputs.length > 1) {
    ctx.addIssue({ code: 'custom', path: ['inputs', stdin], message: 'a stdin input must be the only input (the agent exits once stdin ends and all of it is shipped)' });
  }
  const listeners = new Set<string>();
  c.inputs.forEach((i, n) => {
    if (i.type !== 'syslog') return;
    const at = `${i.protocol} ${i.listen}`;
    if (listeners.has(at)) ctx.addIssue({ code: 'custom', path: ['inputs', n, 'listen'], message: `another syslog input already listens on ${i.protocol} ${i.listen}` });
    listeners.add(at);
  });
  if (c.memory.max_pending_bytes < c.output.batch.max_bytes) {
    ctx.addIssue({ code: 'custom', path: ['memory', 'max_pending_bytes'], message: `must be at least output.batch.max_bytes (${c.output.batch.max_bytes})` });
  }
  if (c.output.retry.max_backoff_ms < c.output.retry.initial_backoff_ms) {
    ctx.addIssue({ code: 'custom', path: ['output', 'retry', 'max_backoff_ms'], message: 'must be at least initial_backoff_ms' });
  }
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type FileInputConfig = z.infer<typeof FileInputSchema>;
export type StdinInputConfig = z.infer<typeof StdinInputSchema>;
export type SyslogInputConfig = z.infer<typeof SyslogInputSchema>;
export type JournaldInputConfig = z.infer<typeof JournaldInputSchema>;

/** The name of a journald input's cursor in the registry: its `id`, or `journald-<n>` (n-th journald input, from 0). */
export function journaldInputId(cfg: { id?: string }, nth: number): string {
  return cfg.id ?? `journald-${nth}`;
}
export type MultilineConfig = z.infer<typeof MultilineSchema>;
export type OutputConfig = z.infer<typeof OutputSchema>;
export type HeartbeatConfig = z.infer<typeof HeartbeatSchema>;

/** The registry's `forget_after` in ms. */
export function forgetAfterMs(cfg: AgentConfig): number {
  return durationMs(cfg.registry?.forget_after ?? '7d');
}

/**
 * Validates a config object. Every problem is named by its path; an unknown key by its own path (zod reports it
 * at its parent's), so that `output.urll` reads as what it is.
 */
export function parseAgentConfig(input: unknown, what: string, baseDir = process.cwd()): AgentConfig {
  const r = AgentConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys' ? i.keys.map((k) => `${[...i.path, k].join('.')}: ${i.message}`) : [`${i.path.join('.') || '(root)'}: ${i.message}`],
    );
    throw new StrataError('invalid_config', `invalid ${what}: ${issues.join('; ')}`, { issues: r.error.issues });
  }
  const cfg = r.data;
  // Relative paths follow the config file, not the directory the agent happens to be started from.
  if (cfg.registry !== undefined) cfg.registry.path = resolve(baseDir, cfg.registry.path);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (cfg.output.tls?.ca !== undefined) cfg.output.tls.ca = abs(cfg.output.tls.ca);
  for (const input of cfg.inputs) {
    if (input.type === 'file') input.paths = input.paths.map(abs);
    else if (input.type === 'journald') {
      if (input.directory !== undefined) input.directory = abs(input.directory);
      if (input.files !== undefined) input.files = input.files.map(abs);
      // A bare name is looked up in PATH; a path with a slash follows the config file like the others.
      if (input.journalctl.includes('/')) input.journalctl = abs(input.journalctl);
    }
  }
  return cfg;
}

/** Reads and validates a YAML config file. */
export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StrataError('invalid_config', `cannot read the agent config ${file}: ${(e as Error).message}`, { path: file }, { cause: e });
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new StrataError('invalid_config', `invalid agent config ${file}: ${doc.errors.map((e) => e.message).join('; ')}`, { path: file });
  }
  const cfg = parseAgentConfig(doc.toJS(), `agent config ${file}`, dirname(resolve(file)));
  // Checked here too, so that `--check` and a start report a wrong path before anything is read.
  outputCa(cfg.output);
  return cfg;
}

/**
 * The PEM of `output.tls.ca`, checked to hold a certificate; undefined when not given (the system's CAs are used).
 * Throws `invalid_config` naming the file.
 */
export function outputCa(output: OutputConfig): Buffer | undefined {
  const path = output.tls?.ca;
  if (path === undefined) return undefined;
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new StrataError('invalid_config', `cannot read output.tls.ca ${path}: ${why} (the CA certificate that signed the node's, such as ca.pem from \`strata certs\`)`, { path }, { cause: e });
  }
  try {
    new X509Certificate(pem);
  } catch (e) {
    throw new StrataError('invalid_config', `output.tls.ca ${path} is not a PEM certificate (${(e as Error).message}): give the CA certificate, such as ca.pem from \`strata certs\`, not a key`, { path }, { cause: e });
  }
  return pem;
}
