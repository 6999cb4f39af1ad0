import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { type Batch, BatchBuilder, BufferPool, TIMESTAMP_BYTES } from './batch.ts';
import { BulkClient } from './bulk-client.ts';
import { type AgentConfig, forgetAfterMs, journaldInputId } from './config.ts';
import { derivedAgentId, persistedAgentId } from './agent-id.ts';
import { type AgentCounters, newCounters } from './counters.ts';
import { Emitter, type RecordPipeline, type Source } from './emit.ts';
import { FileState } from './file-state.ts';
import { FileTracker, inputRuntime } from './file-tracker.ts';
import { Heartbeat, type HeartbeatBody, type HeartbeatInput } from './heartbeat.ts';
import type { StreamHooks } from './inputs/hooks.ts';
import { JournaldInput, JournalSource } from './inputs/journald.ts';
import { StdinInput } from './inputs/stdin.ts';
import { type CursorEntry, CursorWriter, loadCursors } from './journal-cursors.ts';
import { type SyslogListener, startSyslog } from './inputs/syslog.ts';
import { type FileLag, type MetricsServer, renderMetrics, startMetricsServer } from './metrics.ts';
import { Joiner, multilineSettings } from './multiline.ts';
import { compileChain } from './processors/compile.ts';
import { type LineSink, ReadBuffer, readChunk, type ReadSettings } from './read-lines.ts';
import { loadRegistry, lockRegistry } from './registry.ts';
import { RegistryWriter } from './registry-writer.ts';
import { Shipper, type ShipperStats } from './shipper.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The agent: one loop reads files into batches while the shipper delivers them, and acknowledgements move each
 * file's committed offset, which the registry writes down. Reading, scanning and batching all happen in that one
 * loop, so file state is never touched by two tasks at once; acknowledgements only mark runs and free memory.
 * Stream inputs (stdin, syslog, journald) add their records from their own events, between the loop's awaits: appending
 * to a batch is synchronous, so they never interleave with a file's record.
 *
 * Memory is bounded by `memory.max_pending_bytes`: every record read counts until the node acknowledges it, and
 * at the bound the loop stops reading (after the current line), stdin and TCP syslog are paused, UDP syslog
 * drops, and the open batch is sealed so that it can ship. The files wait on disk meanwhile, which is the
 * backpressure: the agent holds at most the bound, one line (or one stream chunk), and the compressed copies of
 * the batches in flight.
 */

export interface AgentStats extends ShipperStats {
  /** Lines read from files and stdin, syslog messages received, journal entries read. */
  linesRead: number;
  /** Records made of them (multiline joins lines). */
  records: number;
  /** Records that went through processors, and those not stored, by reason. */
  processed: number;
  dropped: AgentCounters['dropped'];
  /** Bytes of records read and not yet acknowledged, now and at most so far. */
  pendingBytes: number;
  peakPendingBytes: number;
  /** Files followed (open, or waiting for acknowledgements). */
  files: number;
  registryWrites: number;
  bytesAcked: number;
  /** Heartbeats the node acknowledged, and those that failed. */
  heartbeatsSent: number;
  heartbeatsFailed: number;
  /** journalctl runs that could not start or exited. */
  journalctlFailures: number;
}

export interface FileStatus {
  key: string;
  path: string;
  committed: number;
  readOffset: number;
  detached: boolean;
  finished: boolean;
  linesRead: number;
  bytesSkipped: number;
}

export interface Agent {
  /** The agent's id in the node's agent list (kept in the registry, or derived from the config without one). */
  readonly id: string;
  stats(): AgentStats;
  files(): FileStatus[];
  /** Ports listened on: `/metrics` (null when off), and each syslog input's, in config order. */
  readonly ports: { metrics: number | null; syslog: number[] };
  /** Stops reading, lets batches in flight finish (up to `shutdown_timeout_ms`), writes the registry, unlocks it. */
  close(): Promise<void>;
  /**
   * Settles when the agent stops: rejected if it stopped on an error it cannot go on from; resolved when close()
   * stopped it, or when its only input (stdin) ended and everything read was acknowledged.
   */
  readonly stopped: Promise<void>;
}

export interface AgentOptions {
  /** What a stdin input reads; process.stdin by default. */
  stdin?: Readable;
}

/** `,"k":v` for each field. */
const fieldsJson = (fields: Record<string, unknown>) => Object.entries(fields).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');

export async function startAgent(cfg: AgentConfig, log: (m: string) => void, opts: AgentOptions = {}): Promise<Agent> {
  const dir = cfg.registry?.path ?? null;
  const unlock = dir === null ? () => {} : lockRegistry(dir);
  const host = cfg.host_name ?? hostname();
  let entries;
  let id: string;
  let cursors: Map<string, CursorEntry>;
  try {
    entries = dir === null ? [] : loadRegistry(dir);
    cursors = dir === null ? new Map() : loadCursors(dir);
    id = dir === null ? derivedAgentId(cfg, host) : persistedAgentId(dir, log);
  } catch (e) {
    unlock();
    throw e;
  }
  const startedAt = new Date().toISOString();
  const counters = newCounters();
  const indexJson = JSON.stringify(cfg.output.index);
  const hostJson = JSON.stringify(host);
  /** An input's processors (its own, then the top level's), and the keys its records' constant tail holds. */
  const pipelineOf = (input: AgentConfig['inputs'][number], own: string[]): RecordPipeline => ({
    chain: compileChain([...input.processors, ...cfg.processors], counters),
    fixedKeys: new Set([...own, ...Object.keys(cfg.fields), ...Object.keys(input.fields)]),
  });

  const fileCfgs = cfg.inputs.flatMap((c) => (c.type === 'file' ? [c] : []));
  const inputs = fileCfgs.map((c, i) => inputRuntime(c, i, fieldsJson({ ...cfg.fields, ...c.fields })));
  const filePipes = fileCfgs.map((c) => pipelineOf(c, ['log.file.path', 'host.name']));
  const fileJoins = fileCfgs.map((c) => (c.multiline === undefined ? null : multilineSettings(c.multiline)));
  const tracker = new FileTracker(inputs, entries, { log, encode: (f) => f.encode(indexJson, hostJson) }, forgetAfterMs(cfg));
  const readBuffers = inputs.map((i) => new ReadBuffer(i.cfg.read_buffer_bytes, i.cfg.max_line_bytes + 1));
  const readSettings: ReadSettings[] = inputs.map((i) => ({
    maxLineBytes: i.cfg.max_line_bytes,
    fingerprintBytes: i.cfg.fingerprint_bytes,
    partialLineTimeoutMs: i.cfg.partial_line_timeout_ms,
  }));

  const maxPending = cfg.memory.max_pending_bytes;
  const batchCfg = cfg.output.batch;
  let pending = 0;
  let peak = 0;
  let stopping = false;
  let wakeLoop: (() => void) | null = null;
  const wake = () => wakeLoop?.();
  const add = (bytes: number) => {
    pending += bytes;
    if (pending > peak) peak = pending;
  };

  const registry = new RegistryWriter(dir, cfg.registry?.write_interval_ms ?? 0, tracker, log);

  /** A source's acknowledged position may have moved: count it, and have a file's offset written down. */
  const acknowledged = (o: Source) => {
    const moved = o.advance();
    if (moved <= 0) return;
    counters.bytesAcked += moved;
    if (o instanceof FileState) {
      tracker.dirty = true;
      registry.schedule();
    } else if (o instanceof JournalSource) cursorWriter?.schedule();
  };

  const pool = new BufferPool(batchCfg.max_bytes, cfg.output.max_in_flight_batches + 2);
  const client = new BulkClient(cfg.output);
  const shipper = new Shipper(
    cfg.output,
    client,
    log,
    (b) => {
      // The ids of a file's records name its key: the key must be on disk before any id leaves, or a crash would
      // bring the file back under another key and its lines with other ids.
      if (b.spans.some((s) => !(s.owner as Source).persisted)) registry.tryWrite();
    },
    (b) => delivered(b),
  );
  const builder = new BatchBuilder({ maxRecords: batchCfg.max_records, maxBytes: batchCfg.max_bytes }, pool, (b) => shipper.enqueue(b));
  const emitter = new Emitter(builder, counters, acknowledged);

  /** The latest file that could not be read (or the error the agent stopped on), for the heartbeat's `last_error`. */
  let readError: { message: string; atMs: number } | null = null;
  const error = (m: string) => {
    readError = { message: m, atMs: Date.now() };
    log(m);
  };
  const hooks: StreamHooks = { add, full: () => pending >= maxPending, wake, log, error };
  let stdin: StdinInput | null = null;
  const journals: JournaldInput[] = [];
  // Only with a registry, which the config requires of a journald input.
  const cursorWriter = dir === null ? null : new CursorWriter(dir, cfg.registry?.write_interval_ms ?? 0, forgetAfterMs(cfg), cursors, () => journals.map((j) => j.source), log);
  const syslogs: SyslogListener[] = [];
  let metricsServer: MetricsServer | null = null;

  function delivered(b: Batch): void {
    pending -= b.length;
    for (const s of b.spans) s.acked = true;
    for (const s of b.spans) acknowledged(s.owner as Source);
    if (b.pooled) pool.give(b.body);
    if (pending < maxPending) {
      stdin?.resume();
      for (const s of syslogs) s.resume();
      for (const j of journals) j.resume();
    }
    wake();
  }

  const ts = Buffer.alloc(TIMESTAMP_BYTES);
  let nowMs = 0;
  /** Ships a file's record: a line, or lines a joiner put together. */
  const fileRecord = (f: FileState, buf: Buffer, start: number, stop: number, offset: number, end: number) => add(emitter.bytes(f, filePipes[f.input.index], buf, start, stop, offset, end, ts));
  /** Files with a multiline record being joined. */
  const joining = new Set<FileState>();
  const sink: LineSink = {
    line(f, buf, start, stop, offset, end) {
      counters.linesRead++;
      const ml = fileJoins[f.input.index];
      if (ml === null) fileRecord(f, buf, start, stop, offset, end);
      else {
        f.joiner ??= new Joiner(ml, counters, (b, s, e, o, en) => fileRecord(f, b, s, e, o, en));
        f.joiner.push(buf, start, stop, offset, end, nowMs);
        joining.add(f);
      }
      return pending < maxPending;
    },
  };

  /**
   * Ships the multiline records due: their file is finished, or it has nothing more to read and no line came
   * for `timeout_ms`. Answers when the next one is due.
   */
  const flushJoined = (now: number, deadline: number): number => {
    for (const f of joining) {
      const j = f.joiner!;
      if (!j.pending) joining.delete(f);
      else if (f.finished || (f.drained && now >= j.dueMs)) {
        j.flush();
        joining.delete(f);
      } else if (f.drained) deadline = Math.min(deadline, j.dueMs);
    }
    return deadline;
  };

  /** Sleeps until `untilMs`, or until an acknowledgement, a stream input or close wakes the loop. */
  const sleep = (untilMs: number) =>
    new Promise<void>((ok) => {
      const t = setTimeout(
        () => {
          wakeLoop = null;
          ok();
        },
        Math.max(1, untilMs - Date.now()),
      );
      wakeLoop = () => {
        clearTimeout(t);
        wakeLoop = null;
        ok();
      };
    });

  /** With stdin as the only input: it ended, and everything read from it was acknowledged. */
  const allDone = () => stdin !== null && stdin.finished && pending === 0;

  async function loop(): Promise<void> {
    while (!stopping) {
      let now = Date.now();
      let deadline = now + 1000;
      for (const input of inputs) {
        if (now >= input.nextScanMs) {
          await tracker.scan(input, now);
          now = Date.now();
          input.nextScanMs = now + input.cfg.scan_interval_ms;
        }
        if (now >= input.nextPollMs) {
          await tracker.poll(input, now);
          now = Date.now();
          input.nextPollMs = now + input.cfg.poll_interval_ms;
        }
        deadline = Math.min(deadline, input.nextScanMs, input.nextPollMs);
      }
      nowMs = now;
      ts.write(new Date(now).toISOString(), 0, 'latin1');
      if (joining.size > 0) deadline = flushJoined(now, deadline);
      if (tracker.dirty) registry.schedule();
      if (stdin?.ended) {
        // Nothing more will come: no batch waits for company.
        builder.seal();
        if (allDone()) return;
      }
      const open = builder.open;
      if (open !== null && open.count > 0) {
        if (now - open.openedAtMs >= batchCfg.max_wait_ms) builder.seal();
        else deadline = Math.min(deadline, open.openedAtMs + batchCfg.max_wait_ms);
      }
      if (pending >= maxPending) {
        // Nothing more may be read: ship what is batched, and wait for the node to acknowledge something.
        builder.seal();
        await sleep(deadline);
        continue;
      }
      const f = tracker.next();
      if (f === null) {
        await sleep(deadline);
        continue;
      }
      try {
        const r = await readChunk(f, readBuffers[f.input.index], sink, readSettings[f.input.index], now);
        f.drained = r === 'eof';
        if (r === 'eof') {
          f.readable = false;
          f.movedFrom = null;
        } else if (r === 'replaced') await tracker.check(f, now);
      } catch (e) {
        // An unreadable file (an I/O error, a vanished mount) is tried again at the next poll, not given up.
        f.readable = false;
        error(`cannot read ${f.path}: ${(e as Error).message}`);
      }
    }
  }

  const closeInputs = async () => {
    stdin?.close();
    for (const s of syslogs.splice(0)) await s.close().catch(() => {});
    await Promise.all(journals.map((j) => j.close()));
  };
  try {
    if (inputs.length > 0) await tracker.start(Date.now());
    // Every file found is on disk before anything is read: a crash from here on finds each again by its entry.
    registry.write();
    for (const c of cfg.inputs) {
      const fj = fieldsJson({ ...cfg.fields, ...c.fields });
      if (c.type === 'stdin') {
        stdin = new StdinInput(opts.stdin ?? process.stdin, c.max_line_bytes, pipelineOf(c, ['input.type', 'host.name']), c.multiline === undefined ? null : multilineSettings(c.multiline), emitter, hooks, fj);
        stdin.source.encode(indexJson, hostJson);
      } else if (c.type === 'syslog') {
        const s = await startSyslog(c, pipelineOf(c, ['input.type', 'host.name']), emitter, hooks, fj);
        s.source.encode(indexJson, hostJson);
        syslogs.push(s);
      } else if (c.type === 'journald') {
        const jid = journaldInputId(c, journals.length);
        const j = new JournaldInput(jid, c, pipelineOf(c, ['input.type']), emitter, hooks, fj, cursors.get(jid)?.cursor ?? null, host);
        j.source.encode(indexJson, hostJson);
        journals.push(j);
      }
    }
    if (cfg.metrics !== undefined) metricsServer = await startMetricsServer(cfg.metrics.listen, metricsText, health, log);
  } catch (e) {
    await closeInputs();
    for (const f of tracker.states) await f.fh?.close().catch(() => {});
    unlock();
    throw e;
  }
  stdin?.start();
  for (const j of journals) j.start();
  const stopped = loop();
  let failed = false;
  stopped.catch((e: unknown) => {
    failed = true;
    readError = { message: `agent stopped on an error: ${(e as Error)?.message ?? String(e)}`, atMs: Date.now() };
    log(`agent stopped on an error: ${(e as Error)?.stack ?? String(e)}`);
  });

  /** Each file's size now (or as last seen, when it cannot be stat'ed) against its acknowledged offset. */
  function fileLags(): Promise<FileLag[]> {
    return Promise.all(
      tracker.states.map(async (f) => {
        const st = f.fh === null ? null : await f.fh.stat().catch(() => null);
        return { path: f.path, key: f.key, size: st?.size ?? f.size, committed: f.committed };
      }),
    );
  }
  async function metricsText(): Promise<string> {
    return renderMetrics({ counters, shipper: shipper.stats, pendingBytes: pending, files: await fileLags() });
  }
  /** What the heartbeat says of the inputs, cut to the node's bounds (node/agents.ts) so that it is never refused. */
  const heartbeatInputs: HeartbeatInput[] = cfg.inputs.slice(0, 100).map((i) =>
    i.type === 'file' ? { type: 'file', paths: i.paths.slice(0, 100).map((p) => p.slice(0, 4096)) } : i.type === 'syslog' ? { type: 'syslog', listen: i.listen.slice(0, 300), protocol: i.protocol } : { type: i.type },
  );
  /**
   * Degraded: the agent failed; or since the last heartbeat the node acknowledged, a request failed or the node
   * refused a record; or reading is held at the memory bound. `last_error` is the latest such error, ever.
   */
  async function heartbeatBody(lastAckedMs: number): Promise<HeartbeatBody> {
    const out = shipper.lastError;
    const lastError = out === null || (readError !== null && readError.atMs > out.atMs) ? readError : out;
    const degraded = failed || pending >= maxPending || (lastError !== null && lastError.atMs >= lastAckedMs);
    const s = shipper.stats;
    const d = counters.dropped;
    const lag = (await fileLags()).reduce((n, f) => n + Math.max(0, f.size - f.committed), 0);
    return {
      id,
      name: cfg.name ?? host,
      version: AGENT_VERSION,
      host: host.slice(0, 255),
      started_at: startedAt,
      interval_ms: cfg.heartbeat.interval_ms,
      inputs: heartbeatInputs,
      status: degraded ? 'degraded' : 'ok',
      stats: {
        lines_read: counters.linesRead,
        records_shipped: s.stored + s.duplicates,
        records_dropped: d.drop_processor + d.parse_error + d.memory_full + d.too_large + s.rejected,
        batches_retried: s.retriedBatches,
        pending_bytes: pending,
        lag_bytes: lag,
      },
      last_error: lastError === null ? null : lastError.message.slice(0, 2000),
    };
  }
  const heartbeat = cfg.heartbeat.enabled ? new Heartbeat(cfg.output, cfg.heartbeat.interval_ms, heartbeatBody, counters, log) : null;
  heartbeat?.start();
  function health(): { ok: boolean; body: Record<string, unknown> } {
    const ok = !failed && !stopping;
    return { ok, body: { status: ok ? 'ok' : failed ? 'failed' : 'stopping', pending_bytes: pending, files: tracker.states.length, lines_read: counters.linesRead } };
  }

  let closing: Promise<void> | null = null;
  return {
    id,
    stopped,
    ports: { metrics: metricsServer?.port ?? null, syslog: syslogs.map((s) => s.port) },
    stats: () => ({
      ...shipper.stats,
      linesRead: counters.linesRead,
      records: counters.records,
      processed: counters.processed,
      dropped: { ...counters.dropped, rejected: shipper.stats.rejected },
      pendingBytes: pending,
      peakPendingBytes: peak,
      files: tracker.states.length,
      registryWrites: registry.writes,
      bytesAcked: counters.bytesAcked,
      heartbeatsSent: counters.heartbeatsSent,
      heartbeatsFailed: counters.heartbeatsFailed,
      journalctlFailures: counters.journalctlFailures,
    }),
    files: () =>
      tracker.states.map((f) => ({
        key: f.key,
        path: f.path,
        committed: f.committed,
        readOffset: f.readOffset,
        detached: f.detached,
        finished: f.finished,
        linesRead: f.linesRead,
        bytesSkipped: f.bytesSkipped,
      })),
    close() {
      closing ??= (async () => {
        stopping = true;
        heartbeat?.stop();
        wake();
        await stopped.catch(() => {});
        // No more records in: what was taken gets the shutdown time to be acknowledged.
        await closeInputs();
        builder.seal();
        const until = Date.now() + cfg.shutdown_timeout_ms;
        while (shipper.busy > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        shipper.close();
        registry.stop();
        registry.tryWrite();
        cursorWriter?.stop();
        cursorWriter?.tryWrite();
        for (const f of tracker.states) await f.fh?.close().catch(() => {});
        await metricsServer?.close();
        unlock();
      })();
      return closing;
    },
  };
}
