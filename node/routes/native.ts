import { parseConfig } from '../../lib/config.ts';
import { StrataError } from '../../lib/errors.ts';
import { SearchRequestSchema, searchResponseJson, validateIndexName } from '../../shards/index.ts';
import { readBody, sendJson, sendJsonText } from '../http.ts';
import { VERSION } from '../version.ts';
import { admitBody, tally } from './ingest-request.ts';
import type { Route, RouteContext } from './types.ts';
import type { IncomingMessage } from 'node:http';
import { forbiddenIndex, type Principal } from '../security/index.ts';

/** The `?pipeline=` of a request: a name, `_none` for none, or absent for the index's default. */
export function pipelineParam(url: URL): string | null | undefined {
  const p = url.searchParams.get('pipeline');
  return p === null || p === '' ? undefined : p === '_none' ? null : p;
}

export async function jsonBody(ctx: RouteContext, req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req, ctx.engine.cfg.maxBodyBytes);
  if (buf.length === 0) return {};
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new StrataError('invalid_request', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** A JSON object body (an empty body is `{}`); anything else is a 400. */
export async function jsonObject(ctx: RouteContext, req: IncomingMessage): Promise<Record<string, unknown>> {
  const v = await jsonBody(ctx, req);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StrataError('invalid_request', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** The per-index check ingest runs on every index records are routed to. */
export function ingestRefusal(who: Principal): (index: string) => StrataError | null {
  return (index) => (who.canIngest(index) ? null : forbiddenIndex(who, 'ingest', index));
}

/** Strata's own API (v1): health, native ingest, indices and search. */
export function nativeRoutes(ctx: RouteContext): Route[] {
  const { engine } = ctx;
  /** Index settings from a request; a `default_pipeline` must name a stored pipeline (404 otherwise). */
  const settingsBody = async (req: IncomingMessage) => {
    const body = await jsonObject(ctx, req);
    if (typeof body.default_pipeline === 'string') engine.pipelines.get(body.default_pipeline);
    return body;
  };
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/health$/,
      access: 'public',
      // Answered to anyone (load balancers, probes): so it tells nothing about the data.
      handler: async (_req, res) => sendJson(res, 200, { status: 'ok', version: VERSION }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/indices\/([^/]+)\/ingest$/,
      access: 'ingest',
      endpoint: 'native',
      handler: async (req, res, [name], url, who) => {
        const started = performance.now();
        validateIndexName(name);
        if (!who.canIngest(name)) throw forbiddenIndex(who, 'ingest', name);
        const ct = (req.headers['content-type'] ?? '').toLowerCase();
        const format = ct.startsWith('text/plain') ? 'text' : 'ndjson';
        // Pooled: decoding copies what it keeps out of the body (strings), and the body is given back below.
        const { body, release } = await admitBody(ctx, req, true);
        try {
          const { answer, report } = await engine.ingestNative(name, body, format, { pipeline: pipelineParam(url), refuse: ingestRefusal(who) });
          tally(ctx, 'native', started, 200, body.length, report);
          sendJson(res, 200, answer);
        } finally {
          release();
        }
      },
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/indices\/([^/]+)$/,
      access: 'manage_indices',
      handler: async (req, res, [name]) => {
        const h = await engine.indices.create(name, await settingsBody(req));
        sendJson(res, 200, { index: h.name, settings: h.settings });
      },
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/indices\/([^/]+)\/settings$/,
      access: 'manage_indices',
      handler: async (req, res, [name]) => {
        const h = await engine.indices.update(name, await settingsBody(req));
        sendJson(res, 200, { index: h.name, settings: h.settings });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/indices$/,
      access: 'read',
      handler: async (_req, res, _p, _u, who) => {
        sendJson(res, 200, {
          indices: engine.indices.resolve('*', who.readFilter()).map((h) => ({ index: h.name, settings: h.settings, shards: h.shards.map((s) => s.stats()) })),
        });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/indices\/([^/]+)\/flush$/,
      access: 'manage_indices',
      handler: async (_req, res, [name], url) => {
        await engine.flush(name, url.searchParams.get('merge') === 'true');
        sendJson(res, 200, { flushed: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/search$/,
      access: 'read',
      handler: async (req, res, _p, _u, who) => {
        const body = parseConfig(SearchRequestSchema, await jsonBody(ctx, req), 'search request');
        sendJsonText(res, 200, searchResponseJson(engine.search(body, who.readFilter())));
      },
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      access: 'monitor',
      handler: async (_req, res) => {
        const { contentType, body } = await engine.metrics.text();
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    },
  ];
}
