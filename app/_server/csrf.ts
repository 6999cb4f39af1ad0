/**
 * Cross-site request forgery. The session cookie is SameSite=Strict, but a "site" ignores ports and subdomains:
 * a page served from another port of the same host, or from a sibling subdomain, still has the cookie sent with
 * its requests. So every state-changing request that the cookie authenticates must prove it comes from the
 * dashboard's own pages: an Origin header equal to the dashboard's origin or, from a browser that sends no
 * Origin, `Sec-Fetch-Site: same-origin`. A page of another origin can forge neither. Nor can it set the
 * X-Forwarded-* headers the comparison reads: a browser sends custom headers to another origin only after a
 * CORS preflight, which the dashboard never grants.
 */
import { overHttps } from './session-cookie.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The origin the browser sees the dashboard at (behind a reverse proxy: from its X-Forwarded-Host/-Proto). */
export function ownOrigin(headers: Headers, url: URL): string {
  const host = headers.get('x-forwarded-host')?.split(',')[0]?.trim() || headers.get('host') || url.host;
  return `${overHttps(headers, url) ? 'https' : 'http'}://${host}`.toLowerCase();
}

export function isSameOrigin(headers: Headers, url: URL): boolean {
  const origin = headers.get('origin');
  if (origin !== null) return origin.toLowerCase() === ownOrigin(headers, url);
  return headers.get('sec-fetch-site') === 'same-origin';
}

/** The answer to a cross-site state change, or null when the request may go on. */
export function refuseCrossSite(req: { method: string; headers: Headers; nextUrl: URL }): Response | null {
  if (!changesState(req.method) || isSameOrigin(req.headers, req.nextUrl)) return null;
  return Response.json({ error: { code: 'forbidden', message: 'cross-site request refused' } }, { status: 403, headers: { 'cache-control': 'no-store' } });
}
