import { StrataError } from '../../lib/errors.ts';
import { sendJson } from '../http.ts';
import type { Principal } from '../security/index.ts';
import type { SavedSearch } from '../saved-searches.ts';
import { jsonBody } from './native.ts';
import type { Route, RouteContext } from './types.ts';

/**
 * The dashboard's saved searches: listed, created, read, replaced and deleted by id. A caller sees only those over
 * indices it may read (one it may not see is "not found", so its existence is not told), and saves only such.
 */
export function savedSearchRoutes(ctx: RouteContext): Route[] {
  const store = ctx.engine.savedSearches;
  const visible = (who: Principal, id: string): SavedSearch => {
    const s = store.get(id);
    if (!who.canReadTarget(s.index)) throw new StrataError('not_found', `no saved search with id "${id.slice(0, 100)}"`, { id: id.slice(0, 100) });
    return s;
  };
  const checkTarget = (who: Principal, body: unknown) => {
    const index = (body as { index?: unknown } | null)?.index;
    if (typeof index === 'string' && !who.canReadTarget(index)) {
      throw new StrataError('forbidden', `you may not read all of "${index.slice(0, 140)}", so you may not save a search over it`);
    }
    return body;
  };
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/saved_searches$/,
      access: 'view',
      handler: async (_req, res, _p, _u, who) => sendJson(res, 200, { saved_searches: store.list().filter((s) => who.canReadTarget(s.index)) }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/saved_searches$/,
      access: 'save_objects',
      handler: async (req, res, _p, _u, who) => sendJson(res, 201, store.create(checkTarget(who, await jsonBody(ctx, req)))),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/saved_searches\/([^/]+)$/,
      access: 'view',
      handler: async (_req, res, [id], _u, who) => sendJson(res, 200, visible(who, id)),
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/saved_searches\/([^/]+)$/,
      access: 'save_objects',
      handler: async (req, res, [id], _u, who) => {
        // Unknown first: a 404 tells the client more than a complaint about a body it sent to nowhere.
        visible(who, id);
        sendJson(res, 200, store.replace(id, checkTarget(who, await jsonBody(ctx, req))));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/saved_searches\/([^/]+)$/,
      access: 'save_objects',
      handler: async (_req, res, [id], _u, who) => {
        visible(who, id);
        store.delete(id);
        sendJson(res, 200, { deleted: true });
      },
    },
  ];
}
