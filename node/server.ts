import type { IncomingMessage, RequestListener } from 'node:http';
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
import { securityRoutes } from './routes/security.ts';
import type { Route, RouteContext } from './routes/types.ts';
import { type Access, actor, ANONYMOUS, clientAddress, type Principal, type Security } from './security/index.ts';

export { VERSION } from './version.ts';

/**
 * The node's HTTP port: Strata's API (v1), pipelines, metrics, and the protocols existing shippers speak. Routes are
 * a flat table; path parameters are validated before they reach storage.
 */
/** Every route of the node, in matching order: also what the endpoint matrix test walks. */
export function nodeRoutes(ctx: RouteContext): Route[] {
  // Strata's own routes first: the Elasticsearch ones match broad paths like /<index>/_doc.
  return [
    ...nativeRoutes(ctx),
    ...securityRoutes(ctx),
    ...pipelineRoutes(ctx),
    ...fieldRoutes(ctx),
    ...tailRoutes(ctx),
    ...contextRoutes(ctx),
    ...savedSearchRoutes(ctx),
    ...agentRoutes(ctx),
    ...pushRoutes(ctx),
    ...elasticRoutes(ctx),
  ];
}

/** Privileges whose successful changes the audit log records as configuration changes. */
const CONFIG_PRIVILEGES = new Set<Access>(['manage_pipelines', 'manage_indices', 'manage_agents', 'save_objects']);

/**
 * The node's HTTP port: Strata's API (v1), pipelines, metrics, and the protocols existing shippers speak. Routes are
 * a flat table; every request is authenticated and authorised by its route's `access` before its handler runs, and
 * path parameters are validated before they reach storage.
 */
export function nodeRequestListener(engine: Engine, security: Security, log: (m: string) => void): RequestListener {
  const ctx: RouteContext = { engine, security, log };
  const routes = nodeRoutes(ctx);

  return (req, res) => {
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
      let who: Principal = ANONYMOUS;
      const run = async () => {
        if (r.access !== 'public') {
          who = await security.authenticate(req);
          security.authorize(r.access, who);
        }
        await r.handler(req, res, params, url, who);
        if (CONFIG_PRIVILEGES.has(r.access) && req.method !== 'GET' && req.method !== 'HEAD') {
          security.audit.record({ action: 'config_changed', outcome: 'success', user: actor(who), source: clientAddress(req), target: `${req.method} ${url.pathname}` });
        }
      };
      run().catch((e) => {
        if (!req.complete) refuseRest(req, engine.cfg.maxBodyBytes);
        if (e instanceof StrataError && e.code === 'forbidden') {
          security.audit.record({ action: 'access_denied', outcome: 'failure', user: actor(who), source: clientAddress(req), target: `${req.method} ${url.pathname}`, reason: e.message });
        }
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
  };
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
