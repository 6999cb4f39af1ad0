/**
 * Sample records for the quick start's demo application (node/demo.ts): web and application log records drawn
 * from a seeded generator, so a newcomer has something to search at once without any dataset on disk.
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
