import { hostname } from 'node:os';
import { type Batch, BatchBuilder, BufferPool, TIMESTAMP_BYTES } from './batch.ts';
import { BulkClient } from './bulk-client.ts';
import { type AgentConfig, forgetAfterMs } from './config.ts';
import type { FileState } from './file-state.ts';
import { FileTracker, inputRuntime } from './file-tracker.ts';
import { type LineSink, ReadBuffer, readChunk, type ReadSettings } from './read-lines.ts';
import { loadRegistry, lockRegistry, saveRegistry } from './registry.ts';
import { Shipper, type ShipperStats } from './shipper.ts';

/**
 * The agent: one loop reads files into batches while the shipper delivers them, and acknowledgements move each
 * file's committed offset, which the registry writes down. Reading, scanning and batching all happen in that one
 * loop, so file state is never touched by two tasks at once; acknowledgements only mark runs and free memory.
 *
 * Memory is bounded by `memory.max_pending_bytes`: every record read counts until the node acknowledges it, and
 * at the bound the loop stops reading (after the current line) and seals the open batch so that it can ship.
 * The files wait on disk meanwhile, which is the backpressure: the agent holds at most the bound, one line, and
 * the compressed copies of the batches in flight.
 */

export interface AgentStats extends ShipperStats {
  /** Lines read from files and batched. */
  linesRead: number;
  /** Bytes of records read and not yet acknowledged, now and at most so far. */
  pendingBytes: number;
  peakPendingBytes: number;
  /** Files followed (open, or waiting for acknowledgements). */
  files: number;
  registryWrites: number;
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
  stats(): AgentStats;
  files(): FileStatus[];
  /** Stops reading, lets batches in flight finish (up to `shutdown_timeout_ms`), writes the registry, unlocks it. */
  close(): Promise<void>;
  /** Settles when the agent stops: rejected if it stopped on an error it cannot go on from. */
  readonly stopped: Promise<void>;
}

export async function startAgent(cfg: AgentConfig, log: (m: string) => void): Promise<Agent> {
  const dir = cfg.registry.path;
  const unlock = lockRegistry(dir);
  let entries;
  try {
    entries = loadRegistry(dir);
  } catch (e) {
    unlock();
    throw e;
  }
  const indexJson = JSON.stringify(cfg.output.index);
  const hostJson = JSON.stringify(cfg.host_name ?? hostname());
  const inputs = cfg.inputs.map((c, i) => {
    const fields = { ...cfg.fields, ...c.fields };
    return inputRuntime(c, i, Object.entries(fields).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join(''));
  });
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
  let linesRead = 0;
  let registryWrites = 0;
  let stopping = false;
  let wakeLoop: (() => void) | null = null;
  const wake = () => wakeLoop?.();

  let lastWriteMs = 0;
  let writeTimer: NodeJS.Timeout | null = null;
  const writeRegistry = () => {
    const written = tracker.states.slice();
    saveRegistry(dir, tracker.entries(Date.now()));
    for (const f of written) f.persisted = true;
    tracker.dirty = false;
    lastWriteMs = Date.now();
    registryWrites++;
  };
  const tryWriteRegistry = () => {
    try {
      writeRegistry();
    } catch (e) {
      // Offsets not written are only offsets behind: a restart then resends more (the node drops it by id).
      log(`registry: ${(e as Error).message}; offsets stay as last written until a write succeeds`);
    }
  };
  const scheduleRegistryWrite = () => {
    if (writeTimer !== null || stopping) return;
    writeTimer = setTimeout(() => {
      writeTimer = null;
      if (tracker.dirty) tryWriteRegistry();
    }, Math.max(0, lastWriteMs + cfg.registry.write_interval_ms - Date.now()));
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
      if (b.spans.some((s) => !(s.owner as FileState).persisted)) tryWriteRegistry();
    },
    (b) => delivered(b),
  );
  const builder = new BatchBuilder({ maxRecords: batchCfg.max_records, maxBytes: batchCfg.max_bytes }, pool, (b) => shipper.enqueue(b));

  function delivered(b: Batch): void {
    pending -= b.length;
    for (const s of b.spans) s.acked = true;
    for (const s of b.spans) if ((s.owner as FileState).advance()) tracker.dirty = true;
    if (b.pooled) pool.give(b.body);
    scheduleRegistryWrite();
    wake();
  }

  const ts = Buffer.alloc(TIMESTAMP_BYTES);
  const sink: LineSink = {
    line(f, buf, start, stop, offset, end) {
      pending += builder.append(f, buf, start, stop, offset, end, ts);
      if (pending > peak) peak = pending;
      linesRead++;
      return pending < maxPending;
    },
  };

  /** Sleeps until `untilMs`, or until an acknowledgement or close wakes the loop. */
  const sleep = (untilMs: number) =>
    new Promise<void>((ok) => {
      const t = setTimeout(() => {
        wakeLoop = null;
        ok();
      }, Math.max(1, untilMs - Date.now()));
      wakeLoop = () => {
        clearTimeout(t);
        wakeLoop = null;
        ok();
      };
    });

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
      if (tracker.dirty) scheduleRegistryWrite();
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
      ts.write(new Date(now).toISOString(), 0, 'latin1');
      try {
        const r = await readChunk(f, readBuffers[f.input.index], sink, readSettings[f.input.index], now);
        if (r === 'eof') {
          f.readable = false;
          f.movedFrom = null;
        } else if (r === 'replaced') await tracker.check(f, now);
      } catch (e) {
        // An unreadable file (an I/O error, a vanished mount) is tried again at the next poll, not given up.
        f.readable = false;
        log(`cannot read ${f.path}: ${(e as Error).message}`);
      }
    }
  }

  try {
    await tracker.start(Date.now());
    // Every file found is on disk before anything is read: a crash from here on finds each again by its entry.
    writeRegistry();
  } catch (e) {
    for (const f of tracker.states) await f.fh?.close().catch(() => {});
    unlock();
    throw e;
  }
  const stopped = loop();
  stopped.catch((e: unknown) => log(`agent stopped on an error: ${(e as Error)?.stack ?? String(e)}`));

  let closing: Promise<void> | null = null;
  return {
    stopped,
    stats: () => ({ ...shipper.stats, linesRead, pendingBytes: pending, peakPendingBytes: peak, files: tracker.states.length, registryWrites }),
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
        wake();
        await stopped.catch(() => {});
        builder.seal();
        const until = Date.now() + cfg.shutdown_timeout_ms;
        while (shipper.busy > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        shipper.close();
        if (writeTimer !== null) clearTimeout(writeTimer);
        tryWriteRegistry();
        for (const f of tracker.states) await f.fh?.close().catch(() => {});
        unlock();
      })();
      return closing;
    },
  };
}
