import { sendJson } from '../http.ts';
import { jsonBody } from './native.ts';
import type { Route, RouteContext } from './types.ts';

/** The dashboard's saved searches: listed, created, read, replaced and deleted by id. */
export function savedSearchRoutes(ctx: RouteContext): Route[] {
  const store = ctx.engine.savedSearches;
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/saved_searches$/,
      handler: async (_req, res) => sendJson(res, 200, { saved_searches: store.list() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/saved_searches$/,
      handler: async (req, res) => sendJson(res, 201, store.create(await jsonBody(ctx, req))),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/saved_searches\/([^/]+)$/,
      handler: async (_req, res, [id]) => sendJson(res, 200, store.get(id)),
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/saved_searches\/([^/]+)$/,
      handler: async (req, res, [id]) => {
        // Unknown first: a 404 tells the client more than a complaint about a body it sent to nowhere.
        store.get(id);
        sendJson(res, 200, store.replace(id, await jsonBody(ctx, req)));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/saved_searches\/([^/]+)$/,
      handler: async (_req, res, [id]) => {
        store.delete(id);
        sendJson(res, 200, { deleted: true });
      },
    },
  ];
}
