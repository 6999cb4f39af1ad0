import { createServer, type IncomingMessage, type Server } from 'node:http';
import { StrataError } from '../lib/errors.ts';
import type { Engine } from './engine.ts';
import { sendError, sendJson } from './http.ts';
import { agentRoutes } from './routes/agents.ts';
import { contextRoutes } from './routes/context.ts';
import { elasticRoutes } from './routes/elastic.ts';
import { fieldRoutes } from './routes/fields.ts';
import { nativeRoutes } from './routes/native.ts';
import { pipelineRoutes } from './routes/pipelines.ts';
import { pushRoutes } from './routes/push.ts';
import { savedSearchRoutes } from './routes/saved-searches.ts';
import { tailRoutes } from './routes/tail.ts';
import type { Route, RouteContext } from './routes/types.ts';

export { VERSION } from './version.ts';

/**
 * The node's HTTP port: Strata's API (v1), pipelines, metrics, and the protocols existing shippers speak. Routes are
 * a flat table; path parameters are validated before they reach storage.
 */
export function createNodeServer(engine: Engine, log: (m: string) => void): Server {
  const ctx: RouteContext = { engine, log };
  // Strata's own routes first: the Elasticsearch ones match broad paths like /<index>/_doc.
  const routes: Route[] = [
    ...nativeRoutes(ctx),
    ...pipelineRoutes(ctx),
    ...fieldRoutes(ctx),
    ...tailRoutes(ctx),
    ...contextRoutes(ctx),
    ...savedSearchRoutes(ctx),
    ...agentRoutes(ctx),
    ...pushRoutes(ctx),
    ...elasticRoutes(ctx),
  ];

  return createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://node');
    } catch {
      sendJson(res, 400, { error: { code: 'invalid_request', message: 'malformed URL' } });
      return;
    }
    const allowed: string[] = [];
    for (const r of routes) {
      const m = r.pattern.exec(url.pathname);
      if (!m) continue;
      if (r.method !== req.method && !(r.method === 'GET' && req.method === 'HEAD')) {
        allowed.push(r.method);
        continue;
      }
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p ?? ''));
      } catch {
        sendJson(res, 400, { error: { code: 'invalid_request', message: 'malformed percent-encoding in the path' } });
        return;
      }
      const started = performance.now();
      r.handler(req, res, params, url).catch((e) => {
        if (!req.complete) refuseRest(req, engine.cfg.maxBodyBytes);
        if (r.endpoint) {
          const status = e instanceof StrataError ? e.httpStatus : 500;
          engine.metrics.tally({ endpoint: r.endpoint, status, bytes: 0, received: 0, accepted: 0, dropped: 0, rejected: [], seconds: (performance.now() - started) / 1000 });
        }
        if (r.onError?.(res, e)) return;
        sendError(res, e, log);
      });
      return;
    }
    if (allowed.length > 0) {
      sendJson(res, 405, { error: { code: 'invalid_request', message: `use ${[...new Set(allowed)].join(' or ')} for ${url.pathname}` } }, { allow: [...new Set(allowed)].join(', ') });
      return;
    }
    sendJson(res, 404, { error: { code: 'not_found', message: `no API route ${req.method} ${url.pathname}` } });
  });
}

/**
 * After refusing a request whose body is still arriving: read and discard the rest (up to the body limit) rather
 * than close or reset the connection, because many clients (Node's fetch among them) report a broken pipe while
 * they are still sending instead of the answer we sent; past the limit, cut it.
 */
function refuseRest(req: IncomingMessage, maxBytes: number): void {
  if (req.destroyed) return;
  let drained = 0;
  req.on('data', (c: Buffer) => {
    drained += c.length;
    if (drained > maxBytes) req.destroy();
  });
  req.on('error', () => {});
  req.resume();
}
