import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Batch } from './batch.ts';
import { backoffMs, type BackoffSettings } from './backoff.ts';
import type { BulkAnswer, BulkClient } from './bulk-client.ts';
import type { OutputConfig } from './config.ts';

const gzip = promisify(gzipCb);

/**
 * Delivers sealed batches to the node, a few at a time, until every record is either stored or refused for good.
 * Per item, as the `_bulk` answer lists them: 201 (stored) and 409 (a `create` whose `_id` the node already has:
 * an earlier attempt of this same record got through) count as delivered; 429 and 5xx are resent, alone, after a
 * backoff; any other status refuses that record for good (it would be refused again), and it is logged and
 * counted as rejected rather than retried forever. A whole request that fails (connection refused, timeout, a
 * non-2xx answer) is retried on the next URL after a backoff that honours `Retry-After`; there is no retry limit,
 * since giving up would lose lines: while the node is away the agent stops reading instead (see agent.ts).
 */

export interface ShipperStats {
  requests: number;
  failedRequests: number;
  /** Records the node stored (201, or 200 when a pipeline dropped them). */
  stored: number;
  /** Records answered 409: already stored by an earlier attempt. */
  duplicates: number;
  /** Records resent after a 429 or 5xx of their own. */
  retriedItems: number;
  /** Records refused for good (a 4xx of their own), not resent. */
  rejected: number;
  /** Times a batch was sent again (after a failed request, or items answered 429/5xx). */
  retriedBatches: number;
  bytesSent: number;
}

interface Delivery {
  /** Records per request: the whole batch, unless the node answered 413 to that. */
  perRequest: number;
  wholeBody: Buffer | null;
}

export class Shipper {
  readonly stats: ShipperStats = { requests: 0, failedRequests: 0, stored: 0, duplicates: 0, retriedItems: 0, rejected: 0, retriedBatches: 0, bytesSent: 0 };
  /** The latest failed request or refused record, and when: what the heartbeat reports as `last_error`. */
  lastError: { message: string; atMs: number } | null = null;
  private queue: Batch[] = [];
  private inFlight = 0;
  private url = 0;
  private closed = false;
  private wakeSleepers = new Set<() => void>();
  private readonly backoff: BackoffSettings;
  private lastWarnMs = 0;
  private suppressed = 0;

  constructor(
    private cfg: OutputConfig,
    private client: BulkClient,
    private log: (m: string) => void,
    /** Called before a batch is first sent (the registry must name its files before their ids exist anywhere). */
    private beforeSend: (b: Batch) => void,
    private onDelivered: (b: Batch) => void,
  ) {
    this.backoff = { initialMs: cfg.retry.initial_backoff_ms, maxMs: cfg.retry.max_backoff_ms, maxRetryAfterMs: cfg.retry.max_retry_after_ms };
  }

  get busy(): number {
    return this.queue.length + this.inFlight;
  }

  enqueue(b: Batch): void {
    this.queue.push(b);
    this.pump();
  }

  /** Stops retrying: batches not yet delivered stay unacknowledged, and are read again at the next start. */
  close(): void {
    this.closed = true;
    for (const w of this.wakeSleepers) w();
    this.client.close();
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.cfg.max_in_flight_batches && this.queue.length > 0) {
      const b = this.queue.shift()!;
      this.inFlight++;
      this.deliver(b).then(
        (delivered) => {
          this.inFlight--;
          if (delivered) this.onDelivered(b);
          this.pump();
        },
        (e: unknown) => {
          // Only a bug lands here; the batch stays unacknowledged, so its lines are read again at the next start.
          this.inFlight--;
          this.log(`output: internal error delivering a batch: ${(e as Error)?.stack ?? String(e)}`);
        },
      );
    }
  }

  /** Sends until every record is done; false when closed first. */
  private async deliver(b: Batch): Promise<boolean> {
    this.beforeSend(b);
    const state: Delivery = { perRequest: b.count, wholeBody: null };
    let attempt = 0;
    while (!this.closed) {
      const todo: number[] = [];
      for (let i = 0; i < b.count; i++) if (b.done[i] === 0) todo.push(i);
      if (todo.length === 0) return true;
      const round = await this.sendRound(b, todo, state, attempt);
      if (round.split) continue;
      if (!round.failed && b.done.every((d) => d === 1)) return true;
      attempt++;
      await this.sleep(backoffMs(this.backoff, attempt, round.retryAfterMs));
      if (!this.closed) this.stats.retriedBatches++;
    }
    return false;
  }

  /** One pass over the records not yet done, `state.perRequest` at a time. */
  private async sendRound(b: Batch, todo: number[], state: Delivery, attempt: number): Promise<{ failed: boolean; split: boolean; retryAfterMs: number | null }> {
    for (let from = 0; from < todo.length && !this.closed; from += state.perRequest) {
      const part = todo.slice(from, from + state.perRequest);
      const body = await this.encode(b, part, state);
      const url = this.url;
      this.stats.requests++;
      let answer: BulkAnswer;
      try {
        answer = await this.client.post(url, body);
      } catch (e) {
        this.fail(url, (e as Error).message, attempt);
        return { failed: true, split: false, retryAfterMs: null };
      }
      this.stats.bytesSent += body.length;
      if (answer.status === 413) {
        // The node's body limit is below this request: halve the requests, and go on without waiting.
        if (part.length > 1) {
          state.perRequest = Math.ceil(part.length / 2);
          return { failed: false, split: true, retryAfterMs: null };
        }
        this.refuse(b, part[0], 413, `larger than the node's body limit`);
        continue;
      }
      if (answer.status < 200 || answer.status > 299) {
        const busy = answer.status === 429 || answer.status === 503;
        this.fail(url, `answered ${answer.status}${busy ? ' (busy)' : ''}: ${answer.text.slice(0, 200)}`, attempt);
        return { failed: true, split: false, retryAfterMs: answer.retryAfterMs };
      }
      if (!this.settleItems(b, part, answer.text)) {
        this.fail(url, `answered with an unreadable _bulk answer: ${answer.text.slice(0, 200)}`, attempt);
        return { failed: true, split: false, retryAfterMs: null };
      }
    }
    return { failed: false, split: false, retryAfterMs: null };
  }

  /** The request body for some of a batch's records; the whole batch is compressed once, however often it is sent. */
  private async encode(b: Batch, part: number[], state: Delivery): Promise<Buffer> {
    const whole = part.length === b.count;
    if (whole && state.wholeBody) return state.wholeBody;
    let body = whole ? b.body.subarray(0, b.length) : Buffer.concat(part.map((i) => b.record(i)));
    if (this.cfg.compression === 'gzip') body = await gzip(body, { level: this.cfg.compression_level });
    if (whole) state.wholeBody = body;
    return body;
  }

  /**
   * Marks the records of one request by their items; false when the answer is not a `_bulk` answer for them.
   * An answer without errors is recognised without parsing it: the common case costs no object per item.
   */
  private settleItems(b: Batch, part: number[], text: string): boolean {
    const head = text.slice(0, 80);
    if (/"errors"\s*:\s*false/.test(head)) {
      for (const i of part) b.done[i] = 1;
      this.stats.stored += part.length;
      return true;
    }
    let items: unknown;
    try {
      items = (JSON.parse(text) as { items?: unknown }).items;
    } catch {
      return false;
    }
    if (!Array.isArray(items) || items.length !== part.length) return false;
    for (let k = 0; k < part.length; k++) {
      const item = items[k] as Record<string, { status?: number; error?: { type?: string; reason?: string } }>;
      const r = item && typeof item === 'object' ? Object.values(item)[0] : undefined;
      const status = typeof r?.status === 'number' ? r.status : 0;
      if (status >= 200 && status <= 299) {
        b.done[part[k]] = 1;
        this.stats.stored++;
      } else if (status === 409) {
        b.done[part[k]] = 1;
        this.stats.duplicates++;
      } else if (status === 429 || status >= 500 || status === 0) {
        this.stats.retriedItems++;
      } else {
        this.refuse(b, part[k], status, `${r?.error?.type ?? 'error'}: ${r?.error?.reason ?? ''}`);
      }
    }
    return true;
  }

  private refuse(b: Batch, i: number, status: number, reason: string): void {
    b.done[i] = 1;
    this.stats.rejected++;
    const rec = b.record(i).toString('utf8', 0, 200);
    const id = /"_id":"([^"]+)"/.exec(rec)?.[1] ?? '?';
    const m = `output: the node refused record ${id} with ${status} (${reason.slice(0, 300)}); it is not sent again`;
    this.lastError = { message: m, atMs: Date.now() };
    this.warn(m);
  }

  private fail(url: number, why: string, attempt: number): void {
    // Requests cut by close() are not failures worth a line in the log.
    if (this.closed) return;
    this.stats.failedRequests++;
    if (this.client.urlCount > 1 && this.url === url) this.url = (url + 1) % this.client.urlCount;
    const m = `output: ${why} (attempt ${attempt + 1}; retrying${this.client.urlCount > 1 ? ` on ${this.client.urlName(this.url)}` : ''})`;
    this.lastError = { message: m, atMs: Date.now() };
    this.warn(m);
  }

  /** At most one warning every 5 s: a node down for an hour should not fill the disk with the same line. */
  private warn(m: string): void {
    const now = Date.now();
    if (now - this.lastWarnMs < 5000) {
      this.suppressed++;
      return;
    }
    this.log(this.suppressed > 0 ? `${m} (${this.suppressed} similar messages suppressed)` : m);
    this.lastWarnMs = now;
    this.suppressed = 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((ok) => {
      const wake = () => {
        clearTimeout(t);
        this.wakeSleepers.delete(wake);
        ok();
      };
      const t = setTimeout(wake, ms);
      this.wakeSleepers.add(wake);
    });
  }
}
