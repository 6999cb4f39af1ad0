import type { ServerResponse } from 'node:http';
import { EnrollmentRefused } from '../enrollment-tokens.ts';
import { sendJson } from '../http.ts';
import { jsonBody } from './native.ts';
import { clientAddress } from '../security/index.ts';
import type { Route, RouteContext } from './types.ts';

/**
 * The agent fleet: heartbeats in, the agent list out, and enrollment (tokens issued, listed and revoked; a config
 * handed to whoever presents a token).
 */
/**
 * An enrolled agent's credentials: unless the token's config carries its own `output.auth`, a new API key that may
 * ingest into the config's index and nothing else, one per enrolled host (revoked alone if the host is lost).
 */
function withApiKey(ctx: RouteContext, config: Record<string, unknown>, token: { id: string; name: string }, source: string): Record<string, unknown> {
  const output = config.output as Record<string, unknown> | undefined;
  if (!output || output.auth !== undefined || typeof output.index !== 'string') return config;
  const k = ctx.security.apiKeys.create({ name: `agent enrolled with token ${token.name} from ${source}`, privileges: [{ indices: [output.index], actions: ['ingest'] }] }, `enrollment_token:${token.id}`);
  ctx.security.audit.record({ action: 'api_key_created', outcome: 'success', user: `enrollment_token:${token.name}`, source, target: `${k.id} (${k.name})` });
  output.auth = { api_key: k.encoded };
  return config;
}

export function agentRoutes(ctx: RouteContext): Route[] {
  const agents = ctx.engine.agents;
  const tokens = ctx.engine.enrollmentTokens;
  /** Any refused token is one 401 with one message: which reason it was is not said. */
  const refused = (res: ServerResponse, e: unknown): boolean => {
    if (!(e instanceof EnrollmentRefused)) return false;
    sendJson(res, 401, { error: { code: 'unauthorized', message: e.message } }, { 'www-authenticate': 'Bearer realm="strata enrollment"' });
    return true;
  };
  return [
    {
      method: 'POST',
      pattern: /^\/api\/v1\/agents\/heartbeat$/,
      access: 'ingest',
      handler: async (req, res) => {
        agents.heartbeat(await jsonBody(ctx, req));
        sendJson(res, 200, { acknowledged: true });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/agents$/,
      access: 'view',
      handler: async (_req, res) => sendJson(res, 200, { agents: agents.list() }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/agents\/enroll$/,
      // The enrollment token is this route's credential.
      access: 'public',
      onError: refused,
      handler: async (req, res) => {
        // The router answers HEAD with GET's route; a HEAD must not spend one of a token's uses.
        if (req.method !== 'GET') {
          sendJson(res, 405, { error: { code: 'invalid_request', message: 'use GET for /api/v1/agents/enroll' } }, { allow: 'GET' });
          return;
        }
        const yaml = tokens.enroll(req.headers.authorization, (config, token) => withApiKey(ctx, config, token, clientAddress(req)));
        res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': 'no-store' });
        res.end(yaml);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/agents\/enrollment_tokens$/,
      access: 'manage_agents',
      handler: async (_req, res) => sendJson(res, 200, { enrollment_tokens: tokens.list() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/agents\/enrollment_tokens$/,
      access: 'manage_agents',
      handler: async (req, res) => sendJson(res, 201, tokens.create(await jsonBody(ctx, req)), { 'cache-control': 'no-store' }),
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/agents\/enrollment_tokens\/([^/]+)$/,
      access: 'manage_agents',
      handler: async (_req, res, [id]) => {
        tokens.revoke(id);
        sendJson(res, 200, { deleted: true });
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/agents\/([^/]+)$/,
      access: 'manage_agents',
      handler: async (_req, res, [id]) => {
        agents.delete(id);
        sendJson(res, 200, { deleted: true });
      },
    },
  ];
}
