import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../lib/config.ts';
import { writeFileDurable } from '../lib/durable-file.ts';
import { ensureDir, StrataError } from '../lib/errors.ts';
import type { HeartbeatBody } from '../ingest/agent/index.ts';

/** More agents than one node's fleet should have; the bound keeps memory and the rewritten file small. */
export const MAX_AGENTS = 10_000;
/** Heartbeats change the list every few seconds per agent: it is written at most this often, not per beat. */
export const AGENTS_WRITE_INTERVAL_MS = 2_000;
/** An agent not heard from for this many of its own intervals is stale. */
export const STALE_INTERVALS = 3;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** What an agent sends every `heartbeat.interval_ms` (ingest/agent/heartbeat.ts). Unknown keys are refused. */
export const HeartbeatSchema = z
  .object({
    /** Stable across the agent's restarts (kept in its registry, or derived from its config). */
    id: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, '8 to 128 letters, digits, "_" or "-"'),
    name: z.string().min(1).max(200),
    version: z.string().min(1).max(64),
    host: z.string().min(1).max(255),
    started_at: z.iso.datetime({ offset: true }),
    /** The agent's heartbeat interval: three of them without a heartbeat make it stale. */
    interval_ms: z.number().int().min(100).max(3_600_000),
    inputs: z
      .array(
        z
          .object({
            type: z.enum(['file', 'stdin', 'syslog', 'journald']),
            paths: z.array(z.string().min(1).max(4096)).max(100).optional(),
            listen: z.string().min(1).max(300).optional(),
            protocol: z.enum(['udp', 'tcp']).optional(),
          })
          .strict(),
      )
      .max(100),
    status: z.enum(['ok', 'degraded']),
    stats: z
      .object({
        lines_read: count,
        records_shipped: count,
        records_dropped: count,
        batches_retried: count,
        pending_bytes: count,
        lag_bytes: count,
      })
      .strict(),
    last_error: z.string().max(2000).nullable(),
  })
  .strict();

export type AgentHeartbeat = z.infer<typeof HeartbeatSchema>;
// The agent's body must be what this schema takes: a change on either side that breaks the other fails to compile.
const _sameContract: (b: HeartbeatBody) => AgentHeartbeat = (b) => b;
void _sameContract;

export type AgentHealth = 'healthy' | 'degraded' | 'stale';

/** An agent as `GET /api/v1/agents` lists it: its last heartbeat, when it came, and what that makes its health. */
export interface AgentView extends AgentHeartbeat {
  last_seen: string;
  health: AgentHealth;
}

const FileSchema = z
  .object({
    version: z.literal(1),
    agents: z.array(HeartbeatSchema.extend({ last_seen: z.iso.datetime() }).strict()),
  })
  .strict();

/**
 * The agents that sent heartbeats to this node: kept in memory, and in `agents.json` in the data directory so that
 * a restarted node still lists agents that are away (as stale) instead of forgetting them. The file is written
 * durably at most every AGENTS_WRITE_INTERVAL_MS: losing the last seconds of heartbeats in a crash costs nothing,
 * the next ones bring them back. A deletion is written at once, since a person asked for it.
 */
export class AgentStore {
  private byId = new Map<string, { hb: AgentHeartbeat; seenMs: number }>();
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private constructor(
    private readonly file: string,
    private readonly warn: (m: string) => void,
  ) {}

  /**
   * Loads `agents.json`. The list is soft state that heartbeats rebuild within an interval, so a damaged file is
   * reported and replaced rather than keeping the node from starting.
   */
  static open(dataDir: string, warn: (m: string) => void): AgentStore {
    ensureDir(dataDir, mkdirSync);
    const store = new AgentStore(join(dataDir, 'agents.json'), warn);
    if (!existsSync(store.file)) return store;
    try {
      const parsed = FileSchema.parse(JSON.parse(readFileSync(store.file, 'utf8')));
      for (const { last_seen, ...hb } of parsed.agents) store.byId.set(hb.id, { hb, seenMs: Date.parse(last_seen) });
    } catch (e) {
      const why = e instanceof z.ZodError ? (e.issues[0]?.message ?? 'bad shape') : (e as Error).message;
      warn(`${store.file} does not hold an agent list (${why}); starting with none: agents reappear with their next heartbeat`);
    }
    return store;
  }

  /** Takes a heartbeat (validated strictly: a 400 names what is wrong). A new agent past MAX_AGENTS is a 409. */
  heartbeat(input: unknown, nowMs = Date.now()): void {
    const hb = parseConfig(HeartbeatSchema, input, 'agent heartbeat');
    if (!this.byId.has(hb.id) && this.byId.size >= MAX_AGENTS) {
      throw new StrataError('conflict', `this node already lists ${MAX_AGENTS} agents, the most it keeps; delete stale ones (DELETE /api/v1/agents/ID)`);
    }
    this.byId.set(hb.id, { hb, seenMs: nowMs });
    this.dirty = true;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), AGENTS_WRITE_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Every agent, sorted by name (then id), with its health as of `nowMs`. */
  list(nowMs = Date.now()): AgentView[] {
    const out: AgentView[] = [];
    for (const { hb, seenMs } of this.byId.values()) {
      const health: AgentHealth = nowMs - seenMs > STALE_INTERVALS * hb.interval_ms ? 'stale' : hb.status === 'degraded' ? 'degraded' : 'healthy';
      out.push({ ...hb, last_seen: new Date(seenMs).toISOString(), health });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.byId.size;
  }

  /** Forgets an agent (it comes back with its next heartbeat, if it still runs). Unknown ids are a 404. */
  delete(id: string): void {
    const entry = this.byId.get(id);
    if (entry === undefined) throw new StrataError('not_found', `no agent with id "${id.slice(0, 128)}"`, { id: id.slice(0, 128) });
    this.byId.delete(id);
    try {
      this.write();
    } catch (e) {
      // Not forgotten on disk, so not forgotten at all: the client sees the error and may try again.
      this.byId.set(id, entry);
      throw e;
    }
  }

  /** Writes what changed since the last write; called by the timer and on close. Never throws: it only warns. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.dirty) return;
    try {
      this.write();
    } catch (e) {
      // The list in memory is still served; the next heartbeat schedules another try.
      this.warn(`the agent list was not saved: ${(e as Error).message}`);
    }
  }

  close(): void {
    this.flush();
  }

  private write(): void {
    const agents = [...this.byId.values()].map(({ hb, seenMs }) => ({ ...hb, last_seen: new Date(seenMs).toISOString() }));
    writeFileDurable(this.file, JSON.stringify({ version: 1, agents }), 'the agent list');
    this.dirty = false;
  }
}
