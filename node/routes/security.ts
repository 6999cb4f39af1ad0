import { StrataError } from '../../lib/errors.ts';
import { sendJson } from '../http.ts';
import { actor, clientAddress } from '../security/index.ts';
import { jsonObject } from './native.ts';
import type { Route, RouteContext } from './types.ts';

const NO_STORE = { 'cache-control': 'no-store' };

/** Sign-in and the node's users, roles, API keys. Every change is in the audit log, with who made it from where. */
export function securityRoutes(ctx: RouteContext): Route[] {
  const { security } = ctx;
  const { users, roles, apiKeys, sessions, audit } = security;
  return [
    {
      method: 'POST',
      pattern: /^\/api\/v1\/security\/sessions$/,
      access: 'public',
      handler: async (req, res) => {
        const body = await jsonObject(ctx, req);
        sendJson(res, 201, await security.login(body.username, body.password, clientAddress(req)), NO_STORE);
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/security\/sessions\/current$/,
      access: 'authenticated',
      handler: async (req, res, _p, _u, who) => {
        const token = /^Bearer +(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
        if (who.via !== 'session' || !token) throw new StrataError('invalid_request', 'only a dashboard session can be ended; this request was not made with one');
        sessions.end(token);
        audit.record({ action: 'logout', outcome: 'success', user: who.name, source: clientAddress(req) });
        sendJson(res, 200, { ended: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/security\/me$/,
      access: 'authenticated',
      handler: async (_req, res, _p, _u, who) => sendJson(res, 200, who.toJson()),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/security\/users$/,
      access: 'manage_security',
      handler: async (_req, res) => sendJson(res, 200, { users: users.list() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/security\/users$/,
      access: 'manage_security',
      handler: async (req, res, _p, _u, who) => {
        const b = await jsonObject(ctx, req);
        if (typeof b.username !== 'string' || typeof b.password !== 'string' || typeof b.role !== 'string') {
          throw new StrataError('invalid_request', 'send {"username": "…", "password": "…", "role": "…"}');
        }
        const u = await users.add(b.username, b.password, b.role);
        audit.record({ action: 'user_created', outcome: 'success', user: actor(who), source: clientAddress(req), target: `${u.username} (${u.role})` });
        sendJson(res, 201, u);
      },
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/security\/users\/([^/]+)$/,
      access: 'manage_security',
      handler: async (req, res, [name], _u, who) => {
        const b = await jsonObject(ctx, req);
        if (b.role === undefined && b.password === undefined) throw new StrataError('invalid_request', 'send {"role": "…"} and/or {"password": "…"}');
        if (b.role !== undefined && typeof b.role !== 'string') throw new StrataError('invalid_request', '"role" must be a string');
        if (b.password !== undefined && typeof b.password !== 'string') throw new StrataError('invalid_request', '"password" must be a string');
        if (!users.get(name)) throw new StrataError('not_found', `no user named "${name.slice(0, 70)}"`);
        if (typeof b.role === 'string') users.setRole(name, b.role);
        if (typeof b.password === 'string') {
          await users.setPassword(name, b.password);
          sessions.endAll(name);
        }
        const changed = [typeof b.role === 'string' ? `role ${b.role}` : '', typeof b.password === 'string' ? 'password' : ''].filter(Boolean).join(', ');
        audit.record({ action: 'user_changed', outcome: 'success', user: actor(who), source: clientAddress(req), target: `${name}: ${changed}` });
        sendJson(res, 200, users.list().find((u) => u.username === name));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/security\/users\/([^/]+)$/,
      access: 'manage_security',
      handler: async (req, res, [name], _u, who) => {
        users.delete(name);
        sessions.endAll(name);
        audit.record({ action: 'user_deleted', outcome: 'success', user: actor(who), source: clientAddress(req), target: name });
        sendJson(res, 200, { deleted: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/security\/roles$/,
      access: 'manage_security',
      handler: async (_req, res) => sendJson(res, 200, { roles: roles.list() }),
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/security\/roles\/([^/]+)$/,
      access: 'manage_security',
      handler: async (req, res, [name], _u, who) => {
        const role = roles.put({ ...(await jsonObject(ctx, req)), name });
        audit.record({ action: 'role_changed', outcome: 'success', user: actor(who), source: clientAddress(req), target: name });
        sendJson(res, 200, role);
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/security\/roles\/([^/]+)$/,
      access: 'manage_security',
      handler: async (req, res, [name], _u, who) => {
        roles.delete(name, (r) => users.list().some((u) => u.role === r));
        audit.record({ action: 'role_deleted', outcome: 'success', user: actor(who), source: clientAddress(req), target: name });
        sendJson(res, 200, { deleted: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/security\/api_keys$/,
      access: 'manage_security',
      handler: async (_req, res) => sendJson(res, 200, { api_keys: apiKeys.list() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/security\/api_keys$/,
      access: 'manage_security',
      handler: async (req, res, _p, _u, who) => {
        const k = apiKeys.create(await jsonObject(ctx, req), actor(who) ?? '');
        audit.record({ action: 'api_key_created', outcome: 'success', user: actor(who), source: clientAddress(req), target: `${k.id} (${k.name})` });
        sendJson(res, 201, k, NO_STORE);
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/security\/api_keys\/([^/]+)$/,
      access: 'manage_security',
      handler: async (req, res, [id], _u, who) => {
        const k = apiKeys.revoke(id);
        audit.record({ action: 'api_key_revoked', outcome: 'success', user: actor(who), source: clientAddress(req), target: `${k.id} (${k.name})` });
        sendJson(res, 200, { revoked: true });
      },
    },
  ];
}
