import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseConfig } from '../lib/config.ts';
import { StrataError } from '../lib/errors.ts';
import { SearchRequestSchema, searchResponseJson, validateIndexName } from '../shards/index.ts';
import type { Engine } from './engine.ts';
import { readBody, sendError, sendJson, sendJsonText } from './http.ts';

export const VERSION = '0.1.0';

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/**
 * The node's HTTP API (v1). Routes are a flat table; path parameters are validated before they reach storage.
 */
export function createNodeServer(engine: Engine, log: (m: string) => void): Server {
  const maxBody = engine.cfg.maxBodyBytes;

  async function jsonBody(req: IncomingMessage): Promise<unknown> {
    const buf = await readBody(req, maxBody);
    if (buf.length === 0) return {};
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new StrataError('invalid_request', `request body is not valid JSON: ${(e as Error).message}`);
    }
  }

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/health$/,
      handler: async (_req, res) => sendJson(res, 200, { status: 'ok', version: VERSION, indices: engine.indices.list().length }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/indices\/([^/]+)\/ingest$/,
      handler: async (req, res, [name]) => {
        validateIndexName(name);
        const ct = (req.headers['content-type'] ?? '').toLowerCase();
        const format = ct.startsWith('text/plain') ? 'text' : 'ndjson';
        const declared = Number(req.headers['content-length']) || 0;
        const release = engine.admit(Math.min(declared, maxBody));
        try {
          const body = await readBody(req, maxBody);
          const r = await engine.ingest(name, body.toString('utf8'), format);
          sendJson(res, 200, r);
        } finally {
          release();
        }
      },
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/indices\/([^/]+)$/,
      handler: async (req, res, [name]) => {
        const h = await engine.indices.create(name, await jsonBody(req));
        sendJson(res, 200, { index: h.name, settings: h.settings });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/indices$/,
      handler: async (_req, res) => {
        sendJson(res, 200, {
          indices: engine.indices.list().map((h) => ({ index: h.name, settings: h.settings, shards: h.shards.map((s) => s.stats()) })),
        });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/indices\/([^/]+)\/flush$/,
      handler: async (_req, res, [name], url) => {
        await engine.flush(name, url.searchParams.get('merge') === 'true');
        sendJson(res, 200, { flushed: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/search$/,
      handler: async (req, res) => {
        const body = parseConfig(SearchRequestSchema, await jsonBody(req), 'search request');
        sendJsonText(res, 200, searchResponseJson(engine.search(body)));
      },
    },
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
      if (r.method !== req.method) {
        allowed.push(r.method);
        continue;
      }
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        sendJson(res, 400, { error: { code: 'invalid_request', message: 'malformed percent-encoding in the path' } });
        return;
      }
      r.handler(req, res, params, url).catch((e) => {
        // Stop reading a body we refused once the answer is out, so a huge upload does not keep streaming in.
        if (!req.complete) {
          res.setHeader('connection', 'close');
          res.once('finish', () => req.destroy());
        }
        sendError(res, e, log);
      });
      return;
    }
    if (allowed.length > 0) {
      sendJson(res, 405, { error: { code: 'invalid_request', message: `use ${allowed.join(' or ')} for ${url.pathname}` } }, { allow: allowed.join(', ') });
      return;
    }
    sendJson(res, 404, { error: { code: 'not_found', message: `no API route ${req.method} ${url.pathname}` } });
  });
}
