import { StrataClient } from '../../lib/client/index.ts';
import { loginHref } from './next-path.ts';

let leaving = false;

/** Sends the browser to sign in again, coming back here afterwards (once, however many requests fail). */
export function toLogin(): void {
  if (leaving || typeof window === 'undefined') return;
  leaving = true;
  window.location.assign(loginHref(window.location.pathname + window.location.search));
}

/**
 * The pages' client of the node, through the dashboard's own /api/v1 (the session cookie goes along). A 401 means
 * the session expired or was ended elsewhere: the page goes to the sign-in page.
 */
export const client = new StrataClient('', undefined, { onUnauthorized: toLogin });
