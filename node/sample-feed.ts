import { mulberry32Float } from '../lib/prng.ts';

/**
 * Sample data for the quick start: a seeded stream of web and application log records posted to the node's own
 * ingest API, so a newcomer has something to search at once. It needs no dataset on disk.
 */
const SERVICES = ['checkout', 'auth', 'search', 'inventory', 'payments'];
const LEVELS = ['info', 'info', 'info', 'info', 'warn', 'error', 'debug'];
const PATHS = ['/api/cart', '/api/login', '/api/search', '/api/items', '/api/pay', '/health'];
const MESSAGES = [
  (r: () => number) => `GET ${PATHS[Math.floor(r() * PATHS.length)]} ${[200, 200, 200, 201, 404, 500][Math.floor(r() * 6)]} ${Math.floor(r() * 900)}ms`,
  (r: () => number) => `user-${Math.floor(r() * 500)} logged in from 10.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
  (r: () => number) => `connection to db-${Math.floor(r() * 3)} failed: timeout after ${Math.floor(r() * 5000)}ms`,
  (r: () => number) => `order ${Math.floor(r() * 1e6)} placed, total ${(r() * 300).toFixed(2)} EUR`,
  () => 'cache miss ratio above threshold',
];

export function sampleRecord(r: () => number, ts: number): Record<string, unknown> {
  const level = LEVELS[Math.floor(r() * LEVELS.length)];
  return {
    '@timestamp': new Date(ts).toISOString(),
    message: MESSAGES[Math.floor(r() * MESSAGES.length)](r),
    level,
    service: SERVICES[Math.floor(r() * SERVICES.length)],
    duration_ms: Math.floor(r() * 1000),
    host: { name: `web-${Math.floor(r() * 4)}` },
  };
}

/** Backfills the last hour, then posts a few records a second until stopped. */
export function startSampleFeed(baseUrl: string, log: (m: string) => void): () => void {
  const r = mulberry32Float(42);
  const post = async (records: Record<string, unknown>[]) => {
    const body = records.map((x) => JSON.stringify(x)).join('\n');
    const res = await fetch(`${baseUrl}/api/v1/indices/demo/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    if (!res.ok) log(`sample feed: ingest answered ${res.status}`);
  };
  const now = Date.now();
  const backfill = Array.from({ length: 5000 }, (_, i) => sampleRecord(r, now - 3600_000 + i * 720));
  void post(backfill).catch((e) => log(`sample feed: ${(e as Error).message}`));
  const timer = setInterval(() => {
    const batch = Array.from({ length: 1 + Math.floor(r() * 5) }, () => sampleRecord(r, Date.now()));
    void post(batch).catch((e) => log(`sample feed: ${(e as Error).message}`));
  }, 1000);
  return () => clearInterval(timer);
}
