/**
 * Dashboard sign-in and sign-out. POST trades a username and password for a node session and keeps its token in
 * an HttpOnly cookie (page scripts never see it); DELETE ends the session on the node and clears the cookie.
 * Both change state, so both refuse requests from other origins (a forged sign-in would silently log the
 * victim into the attacker's account).
 */
import type { NextRequest } from 'next/server';
import type { ErrorBody, SessionAnswer } from '../../../lib/client/index.ts';
import { refuseCrossSite } from '../../_server/csrf.ts';
import { loginFailed, loginRetryAfterS } from '../../_server/login-guard.ts';
import { nodeUrl, onBehalfOf } from '../../_server/node.ts';
import { clearedSessionCookie, overHttps, sessionCookie, sessionToken } from '../../_server/session-cookie.ts';

export const dynamic = 'force-dynamic';

const NO_STORE = { 'cache-control': 'no-store' };
const MAX_BODY_BYTES = 16 * 1024;

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } } satisfies ErrorBody, { status, headers: { ...NO_STORE, ...headers } });
}

function unreachable(e: unknown): Response {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  const tls = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO/.test(code);
  return error(502, 'node_unreachable', `the dashboard cannot reach the Strata node at ${nodeUrl()} (${(e as Error).message}${code ? `: ${code}` : ''}); ${tls ? "start the dashboard with --node-ca pointing at the node's CA" : 'is it running?'}`);
}

export async function POST(req: NextRequest): Promise<Response> {
  const refused = refuseCrossSite(req);
  if (refused) return refused;
  // A sign-in is a few hundred bytes; a huge body is not read into memory.
  if (Number(req.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return error(413, 'invalid_request', 'the sign-in request is too large');
  let body: { username?: unknown; password?: unknown };
  try {
    const text = await req.text();
    if (text.length > MAX_BODY_BYTES) return error(413, 'invalid_request', 'the sign-in request is too large');
    body = JSON.parse(text) as typeof body;
  } catch {
    return error(400, 'invalid_request', 'send {"username": "…", "password": "…"} as JSON');
  }
  const { username, password } = body ?? {};
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    return error(400, 'invalid_request', 'enter a username and a password');
  }
  const wait = loginRetryAfterS(username);
  if (wait > 0) return error(429, 'rate_limited', `too many failed sign-ins; retry in ${wait} s`, { 'retry-after': String(wait) });

  const headers = onBehalfOf(req.headers, null);
  headers.set('content-type', 'application/json');
  let answer: Response;
  try {
    answer = await fetch(new URL('/api/v1/security/sessions', nodeUrl()), { method: 'POST', headers, body: JSON.stringify({ username, password }), cache: 'no-store' });
  } catch (e) {
    return unreachable(e);
  }
  if (answer.status !== 201) {
    if (answer.status === 401) loginFailed(username);
    const out: Record<string, string> = { ...NO_STORE, 'content-type': answer.headers.get('content-type') ?? 'application/json' };
    const retry = answer.headers.get('retry-after');
    if (retry !== null) out['retry-after'] = retry;
    // The node's own message ("wrong username or password", "too many failed sign-ins; …"), without the
    // WWW-Authenticate challenge, which would make the browser pop its own password dialog.
    return new Response(await answer.text(), { status: answer.status, headers: out });
  }
  const session = (await answer.json()) as SessionAnswer;
  return Response.json(
    { user: session.user, expires_at: session.expires_at },
    { status: 200, headers: { ...NO_STORE, 'set-cookie': sessionCookie(session.token, session.expires_at, overHttps(req.headers, req.nextUrl)) } },
  );
}

export async function DELETE(req: NextRequest): Promise<Response> {
  const refused = refuseCrossSite(req);
  if (refused) return refused;
  const token = sessionToken(req.headers.get('cookie'));
  const cleared = { 'set-cookie': clearedSessionCookie(overHttps(req.headers, req.nextUrl)) };
  if (token !== null) {
    try {
      // An already ended or expired session answers 401: signed out all the same.
      await fetch(new URL('/api/v1/security/sessions/current', nodeUrl()), { method: 'DELETE', headers: onBehalfOf(req.headers, token), cache: 'no-store' });
    } catch (e) {
      // The browser forgets the token anyway (it is what the person asked for); the node's copy ends at its expiry.
      const answer = unreachable(e);
      answer.headers.set('set-cookie', cleared['set-cookie']);
      return answer;
    }
  }
  return Response.json({ ended: true }, { status: 200, headers: { ...NO_STORE, ...cleared } });
}
