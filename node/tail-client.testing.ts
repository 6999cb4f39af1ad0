import assert from 'node:assert/strict';
import { adminFetch } from './testing.ts';

/** Test helper: a live-tail client over fetch. */
export interface SseEvent {
  event: string;
  data: any;
}

/** An SSE client over fetch: events parsed from the body stream, pings counted; reading only when asked. */
export class TailClient {
  private buf = '';
  private queue: SseEvent[] = [];
  private decoder = new TextDecoder();
  pings = 0;
  ended = false;
  private constructor(
    readonly res: Response,
    private reader: ReadableStreamDefaultReader<Uint8Array>,
    private abort: AbortController,
  ) {}

  /** A tail as the admin, or with `authorization` given. */
  static async open(node: { url: string }, params: Record<string, string>, authorization?: string): Promise<TailClient> {
    const abort = new AbortController();
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    const res = await adminFetch(`${node.url}/api/v1/tail?${new URLSearchParams(params)}`, { signal: abort.signal, headers });
    assert.equal(res.status, 200, await (res.status === 200 ? Promise.resolve('') : res.clone().text()));
    return new TailClient(res, res.body!.getReader(), abort);
  }

  /** The next event, reading from the stream as needed; fails after `ms`. */
  async next(ms = 5000): Promise<SseEvent> {
    const until = Date.now() + ms;
    while (this.queue.length === 0) {
      if (this.ended) throw new Error('stream ended');
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no event within ${ms} ms`);
      let timer!: NodeJS.Timeout;
      const r = await Promise.race([
        this.reader.read(),
        new Promise<'timeout'>((ok) => (timer = setTimeout(() => ok('timeout'), left))),
      ]);
      clearTimeout(timer);
      if (r === 'timeout') continue;
      if (r.done) {
        this.ended = true;
        continue;
      }
      this.buf += this.decoder.decode(r.value, { stream: true });
      let cut: number;
      while ((cut = this.buf.indexOf('\n\n')) >= 0) {
        const block = this.buf.slice(0, cut);
        this.buf = this.buf.slice(cut + 2);
        if (block.startsWith(':')) {
          this.pings++;
          continue;
        }
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        this.queue.push({ event, data: JSON.parse(data) });
      }
    }
    return this.queue.shift()!;
  }

  /** Hits of events until `n` records were received or reported dropped. */
  async collect(n: number, ms = 10_000): Promise<{ hits: any[]; dropped: number; events: string[] }> {
    const out = { hits: [] as any[], dropped: 0, events: [] as string[] };
    while (out.hits.length + out.dropped < n) {
      const e = await this.next(ms);
      out.events.push(e.event);
      if (e.event === 'hits') out.hits.push(...e.data.hits);
      else if (e.event === 'dropped') out.dropped += e.data.dropped;
    }
    return out;
  }

  close(): void {
    this.abort.abort();
  }
}

