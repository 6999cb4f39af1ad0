/**
 * The e2e corpus: seeded records whose every count a test can recompute, plus hostile payloads. The same seed and
 * base time always give the same records, so a spec regenerates what the setup ingested and checks the browser
 * against it, never against the node.
 */
import { mulberry32Float } from '../lib/prng.ts';

export const APP_INDEX = 'e2e-app';
export const RECORDS = 12_000;
/** The records span this long, ending a minute before the base time. */
export const SPAN_MS = 2 * 3600_000;
export const LEVELS = ['info', 'info', 'info', 'warn', 'error', 'debug'] as const;
export const SERVICES = ['checkout', 'auth', 'search', 'inventory', 'payments'] as const;
export const HOSTS = ['web-0', 'web-1', 'web-2', 'web-3'] as const;

export interface AppRecord {
  '@timestamp': string;
  message: string;
  level: string;
  service: string;
  host: { name: string };
  duration_ms: number;
}

export const XSS_MESSAGES = ['<script>window.__xss = "script"</script> payload one', '<img src=x onerror="window.__xss = \'img\'"> payload two'];

/** The app records, oldest first, each with a unique `req N` in its message. */
export function appRecords(baseMs: number): AppRecord[] {
  const r = mulberry32Float(20261129);
  const start = baseMs - 60_000 - SPAN_MS;
  const out: AppRecord[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const level = LEVELS[Math.floor(r() * LEVELS.length)];
    const service = SERVICES[Math.floor(r() * SERVICES.length)];
    const host = HOSTS[Math.floor(r() * HOSTS.length)];
    const duration = Math.floor(r() * 2000);
    const kind = Math.floor(r() * 4);
    const message =
      kind === 0
        ? `req ${i} GET /api/${service} ${level === 'error' ? 500 : 200} ${duration}ms`
        : kind === 1
          ? `req ${i} connection to db-${Math.floor(r() * 3)} ${level === 'error' ? 'failed: timeout' : 'established'}`
          : kind === 2
            ? `req ${i} user-${Math.floor(r() * 300)} logged in`
            : `req ${i} cache ${level === 'warn' ? 'miss ratio above threshold' : 'hit'}`;
    out.push({ '@timestamp': new Date(start + Math.floor((i * SPAN_MS) / RECORDS)).toISOString(), message, level, service, host: { name: host }, duration_ms: duration });
  }
  return out;
}

/** Records with markup in their message and in a field, which must only ever show as text. */
export function xssRecords(baseMs: number): Record<string, unknown>[] {
  return XSS_MESSAGES.map((m, i) => ({ '@timestamp': new Date(baseMs - 30_000 + i).toISOString(), message: m, level: 'error', service: '<b onmouseover="window.__xss=1">svc</b>', host: { name: 'web-x' } }));
}
