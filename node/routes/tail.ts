import type { ServerResponse } from 'node:http';
import { compileMatcher, parseQuery } from '../../indexer/index.ts';
import type { TailSubscriber } from '../tail-hub.ts';
import type { Route, RouteContext } from './types.ts';

/**
 * How much a tail may have written but not yet sent before it drops records instead: a client that stops reading
 * costs the node at most this (plus one record) however long it stays connected.
 */
export const TAIL_MAX_BUFFERED_BYTES = 1 << 20;
/** A comment this often keeps proxies and browsers from closing a quiet stream. */
export const TAIL_HEARTBEAT_MS = 15_000;

/** Does an index name match a search's `index` (names, a comma-separated list, `*` patterns)? */
export function indexPattern(target: string): (name: string) => boolean {
  const res = target.split(',').map((raw) => {
    const n = raw.trim();
    return n.includes('*') ? new RegExp('^' + n.split('*').map(escapeRe).join('.*') + '$') : n;
  });
  return (name) => res.some((r) => (typeof r === 'string' ? r === name : r.test(name)));
}

/** A tail's filter for an index it reaches: a refused plain name (already answered at start) is just skipped. */
function allowedQuietly(allow: (name: string, pattern: string | null) => boolean, name: string, target: string): boolean {
  try {
    return allow(name, target.includes('*') ? target : null);
  } catch {
    return false;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function event(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}

/** Live tail as server-sent events: records matching a query, as they are stored. */
export function tailRoutes(ctx: RouteContext): Route[] {
  const { engine } = ctx;
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/tail$/,
      access: 'read',
      handler: async (req, res, _params, url, who) => {
        const index = url.searchParams.get('index') || '*';
        const query = url.searchParams.get('query') ?? '';
        // Both checked before the stream starts, so mistakes are answered as JSON errors like search's.
        const matcher = compileMatcher(parseQuery(query));
        const allow = who.readFilter();
        engine.indices.resolve(index, allow);
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        res.write(event('ready', JSON.stringify({ index, query })));
        // Indices created later are checked as their records arrive, as a wildcard search would check them.
        const named = indexPattern(index);
        const sub = new SseTail(res, (n) => named(n) && allowedQuietly(allow, n, index), matcher);
        const unsubscribe = engine.tail.subscribe(sub);
        const heartbeat = setInterval(() => sub.ping(), TAIL_HEARTBEAT_MS);
        heartbeat.unref();
        res.on('close', () => {
          clearInterval(heartbeat);
          unsubscribe();
        });
      },
    },
  ];
}

/** One client's stream: writes while the socket keeps up, counts what it drops while it does not. */
class SseTail implements TailSubscriber {
  private dropped = 0;

  constructor(private res: ServerResponse, readonly wantsIndex: (name: string) => boolean, readonly matcher: TailSubscriber['matcher']) {
    res.on('drain', () => this.reportDropped());
  }

  private backedUp(): boolean {
    return this.res.writableNeedDrain || this.res.writableLength >= TAIL_MAX_BUFFERED_BYTES;
  }

  room(): number {
    if (this.res.writableEnded || this.res.destroyed || this.backedUp()) return 0;
    return TAIL_MAX_BUFFERED_BYTES - this.res.writableLength;
  }

  deliver(hits: string[], dropped: number): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.dropped += dropped;
    if (hits.length > 0) this.res.write(event('hits', `{"hits":[${hits.join(',')}]}`));
    // Reported once the socket keeps up again: at once if it still does, else when it drains.
    this.reportDropped();
  }

  private reportDropped(): void {
    if (this.dropped === 0 || this.backedUp() || this.res.writableEnded || this.res.destroyed) return;
    const n = this.dropped;
    this.dropped = 0;
    this.res.write(event('dropped', `{"dropped":${n}}`));
  }

  ping(): void {
    if (!this.backedUp() && !this.res.writableEnded) this.res.write(': ping\n\n');
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
