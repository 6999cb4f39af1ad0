/**
 * The dashboard's Content Security Policy. No inline script runs unless it carries this response's nonce: Next.js
 * reads the nonce from the policy that proxy.ts puts on the request and stamps it on its own bootstrap scripts,
 * and 'strict-dynamic' lets those load the page's chunks. Log lines and object names are rendered as text, so a
 * markup payload in them should never reach the DOM as markup; the policy is the second wall if one ever did.
 *
 * Styles may be inline: React writes `style` attributes (the virtualised lists position rows with them), and a
 * style cannot run code.
 */
export function contentSecurityPolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    // React's development build evaluates code to rebuild server error stacks; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A fresh nonce per response: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
