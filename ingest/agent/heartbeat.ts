import type { AgentHeartbeatBody, AgentHeartbeatInput } from '../../lib/client/types.ts';
import { authorization } from './bulk-client.ts';
import type { OutputConfig } from './config.ts';
import type { AgentCounters } from './counters.ts';

/**
 * The agent's heartbeat: every `heartbeat.interval_ms` it tells the node who it is, what it reads and how it is
 * doing (`POST /api/v1/agents/heartbeat`), so that the node can list its agents. It runs beside shipping and never
 * in its way: one heartbeat at a time, on a timer of its own, with a timeout; a failure is counted and logged
 * once (and once more when heartbeats get through again), and the next one goes to the output's next URL.
 */

/** The body's shape is the wire contract the node and the dashboard share. */
export type HeartbeatInput = AgentHeartbeatInput;
export type HeartbeatBody = AgentHeartbeatBody;

/** Longest wait for the node's answer to a heartbeat. */
const MAX_TIMEOUT_MS = 10_000;

export class Heartbeat {
  /** When the last heartbeat the node acknowledged was sent (epoch ms); 0 before the first. */
  lastAckedMs = 0;
  private readonly targets: string[];
  private readonly headers: Record<string, string> = { 'content-type': 'application/json' };
  private url = 0;
  private timer: NodeJS.Timeout | null = null;
  private abort: AbortController | null = null;
  private failing = false;
  private stopped = false;

  constructor(
    output: OutputConfig,
    private readonly intervalMs: number,
    /** The body of the next heartbeat, given when the last acknowledged one was sent. */
    private readonly body: (lastAckedMs: number) => Promise<HeartbeatBody>,
    private readonly counters: AgentCounters,
    private readonly log: (m: string) => void,
  ) {
    this.targets = output.urls.map((u) => u.replace(/\/+$/, '') + '/api/v1/agents/heartbeat');
    const auth = authorization(output);
    if (auth !== null) this.headers.authorization = auth;
  }

  /** Sends the first heartbeat now (so that the agent is listed at once), then one every interval. */
  start(): void {
    void this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async beat(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    const startedMs = Date.now();
    const target = this.targets[this.url];
    const abort = (this.abort = new AbortController());
    const timeout = setTimeout(() => abort.abort(new Error(`no answer within ${this.timeoutMs()} ms`)), this.timeoutMs());
    try {
      const body = JSON.stringify(await this.body(this.lastAckedMs));
      const res = await fetch(target, { method: 'POST', headers: this.headers, body, signal: abort.signal });
      const text = await res.text();
      if (!res.ok) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`);
      this.counters.heartbeatsSent++;
      this.lastAckedMs = startedMs;
      if (this.failing) this.log(`heartbeat: ${target} answers again`);
      this.failing = false;
    } catch (e) {
      if (this.stopped) return;
      this.counters.heartbeatsFailed++;
      const why = abort.signal.aborted ? String((abort.signal.reason as Error)?.message ?? abort.signal.reason) : ((e as Error)?.message ?? String(e));
      const cause = (e as { cause?: { code?: string } })?.cause?.code;
      if (!this.failing) this.log(`heartbeat: POST ${target} failed: ${why}${cause ? ` (${cause})` : ''}; shipping goes on, and heartbeats are retried every ${this.intervalMs} ms`);
      this.failing = true;
      this.url = (this.url + 1) % this.targets.length;
    } finally {
      clearTimeout(timeout);
      this.abort = null;
    }
    if (this.stopped) return;
    // A steady cadence: the next one is due an interval after this one started, however long it took.
    this.timer = setTimeout(() => void this.beat(), Math.max(0, startedMs + this.intervalMs - Date.now()));
    this.timer.unref();
  }

  private timeoutMs(): number {
    return Math.min(MAX_TIMEOUT_MS, Math.max(1000, this.intervalMs));
  }
}
