/**
 * Waits between retries: exponential backoff with full jitter (each wait drawn uniformly between 0 and the
 * exponential bound), which spreads many agents retrying after one outage instead of having them return in step.
 * A server's `Retry-After` is a floor: the agent never comes back sooner than asked.
 */

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  /** Longest `Retry-After` honoured as given. */
  maxRetryAfterMs: number;
}

/** The wait before retry number `attempt` (1 for the first retry). */
export function backoffMs(s: BackoffSettings, attempt: number, retryAfterMs: number | null, random: () => number = Math.random): number {
  const bound = Math.min(s.maxMs, s.initialMs * 2 ** Math.min(attempt - 1, 40));
  const jittered = Math.floor(random() * bound);
  if (retryAfterMs === null) return jittered;
  return Math.max(Math.min(retryAfterMs, s.maxRetryAfterMs), jittered);
}

/**
 * `Retry-After` in ms: delay-seconds or an HTTP date (RFC 9110, 10.2.3); null when absent or unreadable, and 0
 * for a date already past.
 */
export function parseRetryAfter(v: string | string[] | undefined | null, nowMs: number = Date.now()): number | null {
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return null;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  if (Number.isNaN(at) || !/[a-z]/i.test(t)) return null;
  return Math.max(0, at - nowMs);
}
