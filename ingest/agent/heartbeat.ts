import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AgentHeartbeatBody, AgentHeartbeatInput } from '../../lib/client/types.ts';
import { authorization, certificateHint } from './bulk-client.ts';
import { type OutputConfig, outputCa } from './config.ts';
import type { AgentCounters } from './counters.ts';

/**
 * The agent's heartbeat: every `heartbeat.interval_ms` it tells the node who it is, what it reads and how it is
 * doing (`POST /api/v1/agents/heartbeat`), so that the node can list its agents. It runs beside shipping and never
 * in its way: one heartbeat at a time, on a timer of its own, with a timeout; a failure is counted and logged
 * once (and once more when heartbeats get through again), and the next one goes to the output's next URL.
 * Sent with node:http(s) rather than fetch, so that an https node is checked against `output.tls.ca` as `_bulk`
 * requests are (fetch offers no way to give it a CA).
 */

/** The body's shape is the wire contract the node and the dashboard share. */
export type HeartbeatInput = AgentHeartbeatInput;
export type HeartbeatBody = AgentHeartbeatBody;

/** Longest wait for the node's answer to a heartbeat. */
const MAX_TIMEOUT_MS = 10_000;
/** An answer to a heartbeat is a line of JSON; anything longer is cut for the log. */
const MAX_ANSWER_BYTES = 64 * 1024;

export class Heartbeat {
  /** When the last heartbeat the node acknowledged was sent (epoch ms); 0 before the first. */
  lastAckedMs = 0;
  private readonly targets: string[];
  private readonly headers: Record<string, string> = { 'content-type': 'application/json' };
  private readonly ca: Buffer | undefined;
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
    this.ca = outputCa(output);
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
      const res = await this.post(target, body, abort.signal);
      if (res.status < 200 || res.status > 299) throw new Error(`answered ${res.status}: ${res.text.slice(0, 300)}`);
      this.counters.heartbeatsSent++;
      this.lastAckedMs = startedMs;
      if (this.failing) this.log(`heartbeat: ${target} answers again`);
      this.failing = false;
    } catch (e) {
      if (this.stopped) return;
      this.counters.heartbeatsFailed++;
      const why = abort.signal.aborted ? String((abort.signal.reason as Error)?.message ?? abort.signal.reason) : ((e as Error)?.message ?? String(e));
      const code = abort.signal.aborted ? undefined : (e as NodeJS.ErrnoException)?.code;
      const detail = certificateHint(e) || (code ? ` (${code})` : '');
      if (!this.failing) this.log(`heartbeat: POST ${target} failed: ${why}${detail}; shipping goes on, and heartbeats are retried every ${this.intervalMs} ms`);
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

  private post(target: string, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
    const url = new URL(target);
    const tls = url.protocol === 'https:';
    return new Promise((ok, fail) => {
      const req = (tls ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers: { ...this.headers, 'content-length': String(Buffer.byteLength(body)) },
        signal,
        ...(tls && this.ca !== undefined ? { ca: this.ca } : {}),
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ANSWER_BYTES) parts.push(c);
          size += c.length;
        });
        res.on('error', fail);
        res.on('end', () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      });
      req.end(body);
    });
  }

  private timeoutMs(): number {
    return Math.min(MAX_TIMEOUT_MS, Math.max(1000, this.intervalMs));
  }
}
