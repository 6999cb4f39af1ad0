/**
 * The dashboard's Next.js configuration. Type errors are caught by `npm test` (tsc over the whole repository), so
 * the build does not type-check a second time.
 * @type {import('next').NextConfig}
 */
const config = {
  reactStrictMode: true,
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: true },
  // The dashboard imports the query parser from indexer/ for instant errors and highlighting: it is plain TypeScript.
  outputFileTracingRoot: import.meta.dirname,
  // On every answer, pages, API and static files alike. The Content Security Policy carries a per-request nonce,
  // so proxy.ts sets it on pages instead.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};
export default config;
