/**
 * How the dashboard's server side reaches the Strata node: its URL, and the headers that say on whose behalf a
 * request comes (the browser's session as a Bearer token, the browser's address for the node's audit log and
 * its limits on failed sign-ins).
 */
import { isIP } from 'node:net';
import { StrataClient } from '../../lib/client/index.ts';

export const nodeUrl = (): string => process.env.STRATA_NODE_URL ?? 'http://127.0.0.1:9400';

/**
 * The browser's address as Next.js saw it: the first entry of X-Forwarded-For, which Next sets to the socket's
 * peer when the request did not bring one (a reverse proxy in front does bring one). Without it the node would
 * see every browser as the dashboard's own loopback address, and one person's failed sign-ins would lock out all.
 */
export function browserAddress(headers: Headers): string | null {
  const first = headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  return first && isIP(first.replace(/^::ffff:/, '')) ? first : null;
}

/** Headers for a request to the node on behalf of the browser that sent `incoming`. */
export function onBehalfOf(incoming: Headers, token: string | null): Headers {
  const h = new Headers();
  if (token !== null) h.set('authorization', `Bearer ${token}`);
  const addr = browserAddress(incoming);
  if (addr !== null) h.set('x-forwarded-for', addr);
  return h;
}

/** The typed node client for a server component, acting with the browser's session. */
export function nodeClientFor(incoming: Headers, token: string): StrataClient {
  const extra = onBehalfOf(incoming, token);
  return new StrataClient(nodeUrl(), (input, init) => {
    const headers = new Headers(init?.headers);
    extra.forEach((v, k) => headers.set(k, v));
    return fetch(input, { ...init, headers, cache: 'no-store', signal: init?.signal ?? AbortSignal.timeout(10_000) });
  });
}
