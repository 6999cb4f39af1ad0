/**
 * Runs before every dashboard page: sends a browser without a session to the sign-in page (remembering where it
 * was going), and gives each page a Content Security Policy with a fresh nonce. Next.js reads the nonce from the
 * policy set on the request and puts it on its own scripts, which is why every page renders per request.
 *
 * It does not prove the session is valid (that takes the node): the pages' layout asks the node who the session
 * belongs to, and sends an expired one to sign in again.
 */
import { type NextRequest, NextResponse } from 'next/server';
import { contentSecurityPolicy, newNonce } from './app/_server/csp.ts';
import { SESSION_COOKIE } from './app/_server/session-cookie.ts';

/** Pages anyone may see. */
const PUBLIC_PATHS = new Set(['/login']);

export function proxy(req: NextRequest): NextResponse {
  const { pathname, search } = req.nextUrl;
  if (!PUBLIC_PATHS.has(pathname) && !req.cookies.has(SESSION_COOKIE)) {
    const login = new URL('/login', req.nextUrl);
    if (pathname !== '/') login.searchParams.set('next', pathname + search);
    return NextResponse.redirect(login, 307);
  }
  const csp = contentSecurityPolicy(newNonce(), process.env.NODE_ENV === 'development');
  const headers = new Headers(req.headers);
  headers.set('content-security-policy', csp);
  // Where the browser was going, for a layout that finds the session expired (layouts are not told the URL).
  headers.set('x-strata-path', pathname + search);
  const res = NextResponse.next({ request: { headers } });
  res.headers.set('content-security-policy', csp);
  return res;
}

export const config = {
  // Pages only: the API routes check their own credentials, and static files need no policy.
  matcher: ['/((?!api/|_next/static/|_next/image|favicon\\.ico|icon\\.svg).*)'],
};
