/**
 * The dashboard's own sign-in endpoints (app/api/session): the session token stays in an HttpOnly cookie, so the
 * page only learns who signed in, or why not.
 */
import type { ErrorBody } from '../../lib/client/index.ts';

export type SignInResult = { ok: true } | { ok: false; message: string };

export async function signIn(username: string, password: string): Promise<SignInResult> {
  let res: Response;
  try {
    res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch (e) {
    return { ok: false, message: `cannot reach the dashboard: ${(e as Error).message}` };
  }
  if (res.ok) return { ok: true };
  const body = (await res.json().catch(() => ({}))) as Partial<ErrorBody> & { error?: { retryAfterS?: number } };
  if (res.status === 429) {
    const wait = Number(res.headers.get('retry-after') ?? body.error?.retryAfterS ?? NaN);
    return { ok: false, message: Number.isFinite(wait) ? `too many failed sign-ins, retry in ${wait} s` : 'too many failed sign-ins, retry later' };
  }
  return { ok: false, message: body.error?.message ?? `signing in failed (${res.status})` };
}

export async function signOut(): Promise<void> {
  // The cookie is cleared whatever the node answers; the sign-in page follows either way.
  await fetch('/api/session', { method: 'DELETE' }).catch(() => undefined);
}
