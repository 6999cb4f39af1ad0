/**
 * The dashboard session lives in one cookie holding the node's session token. HttpOnly keeps it from page
 * scripts (an XSS cannot read it), SameSite=Strict keeps other sites' pages from sending it, and Secure is set
 * whenever the browser reached the dashboard over https, so the token never crosses the network in the clear.
 */
export const SESSION_COOKIE = 'strata_session';

/** Did the browser use https? Next.js sets X-Forwarded-Proto from the socket unless a reverse proxy set it. */
export function overHttps(headers: Headers, url: URL): boolean {
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return proto === 'https' || (proto === undefined && url.protocol === 'https:');
}

function attributes(maxAgeS: number, secure: boolean): string {
  return `Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value for a new session, living exactly as long as the node's session does. */
export function sessionCookie(token: string, expiresAt: string, secure: boolean, nowMs = Date.now()): string {
  const maxAgeS = Math.max(0, Math.floor((Date.parse(expiresAt) - nowMs) / 1000));
  return `${SESSION_COOKIE}=${token}; ${attributes(maxAgeS, secure)}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; ${attributes(0, secure)}`;
}

/** The session token the request's cookie carries, or null. */
export function sessionToken(cookieHeader: string | null): string | null {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return v === '' ? null : v;
    }
  }
  return null;
}
