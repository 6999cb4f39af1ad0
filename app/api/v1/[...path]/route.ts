/**
 * The dashboard forwards its own `/api/v1/*` to the Strata node, so that the browser talks to one origin (no CORS)
 * and never holds a credential a script could read. Bodies and answers are streamed, live tail included.
 *
 * Credentials: a request that brings its own Authorization header (a script pointed at the dashboard's URL) is
 * forwarded with it unchanged, and its cookies play no part. Otherwise the session cookie's token goes to the node
 * as `Authorization: Bearer`; such a request is the browser's, so a state change must come from the dashboard's
 * own origin (see ../../../_server/csrf.ts).
 */
import type { NextRequest } from 'next/server';
import { refuseCrossSite } from '../../../_server/csrf.ts';
import { nodeUrl, onBehalfOf } from '../../../_server/node.ts';
import { sessionToken } from '../../../_server/session-cookie.ts';

export const dynamic = 'force-dynamic';

const REQUEST_HEADERS = ['content-type', 'content-encoding', 'accept', 'last-event-id'];
/**
 * An allow-list: WWW-Authenticate in particular never reaches the browser, which would answer a 401 carrying it
 * with its own Basic password dialog instead of letting the page send the user to the sign-in page.
 */
const ANSWER_HEADERS = ['content-type', 'retry-after', 'cache-control', 'x-accel-buffering'];

async function forward(req: NextRequest, ctx: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await ctx.params;
  // Only the node's /api/v1: a `..` segment must not walk the forwarded path out of it (URL resolution would).
  if (path.some((p) => p === '.' || p === '..')) {
    return Response.json({ error: { code: 'invalid_request', message: 'path segments "." and ".." are not allowed' } }, { status: 400 });
  }
  const own = req.headers.get('authorization');
  const token = own === null ? sessionToken(req.headers.get('cookie')) : null;
  if (token !== null) {
    const refused = refuseCrossSite(req);
    if (refused) return refused;
  }
  const target = new URL(`/api/v1/${path.map(encodeURIComponent).join('/')}${req.nextUrl.search}`, nodeUrl());
  const headers = onBehalfOf(req.headers, token);
  if (own !== null) headers.set('authorization', own);
  for (const h of REQUEST_HEADERS) {
    const v = req.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, signal: req.signal, redirect: 'manual', cache: 'no-store' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = req.body;
    init.duplex = 'half';
  }
  let answer: Response;
  try {
    answer = await fetch(target, init);
  } catch (e) {
    if (req.signal.aborted) return new Response(null, { status: 499 });
    return Response.json(
      { error: { code: 'node_unreachable', message: `the dashboard cannot reach the Strata node at ${nodeUrl()} (${(e as Error).message}); is it running?` } },
      { status: 502 },
    );
  }
  const out = new Headers();
  for (const h of ANSWER_HEADERS) {
    const v = answer.headers.get(h);
    if (v !== null) out.set(h, v);
  }
  // A compressing proxy would hold events back until a buffer fills; `no-transform` tells it not to.
  if ((out.get('content-type') ?? '').startsWith('text/event-stream')) out.set('cache-control', 'no-cache, no-transform');
  return new Response(answer.body, { status: answer.status, headers: out });
}

export { forward as GET, forward as POST, forward as PUT, forward as DELETE };
