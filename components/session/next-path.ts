/**
 * Where to go after signing in: only a path of this dashboard. `?next=` comes from a URL anyone can craft, so
 * anything that could leave the site (`//evil.example`, `https://…`, `/\evil`, `javascript:`) gives the default.
 */
export const DEFAULT_AFTER_LOGIN = '/discover';

export function safeNextPath(raw: string | null | undefined): string {
  if (!raw || raw.length > 2000 || !raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(raw)) return DEFAULT_AFTER_LOGIN;
  let url: URL;
  try {
    url = new URL(raw, 'http://dashboard.invalid');
  } catch {
    return DEFAULT_AFTER_LOGIN;
  }
  if (url.origin !== 'http://dashboard.invalid' || url.pathname === '/login' || url.pathname.startsWith('/api/')) return DEFAULT_AFTER_LOGIN;
  return url.pathname + url.search + url.hash;
}

/** The sign-in page's URL, coming back to `path` afterwards. */
export function loginHref(path: string): string {
  const next = safeNextPath(path);
  return next === DEFAULT_AFTER_LOGIN && path !== DEFAULT_AFTER_LOGIN ? '/login' : `/login?${new URLSearchParams({ next })}`;
}
