/**
 * A ceiling on failed sign-ins per username, whatever address they claim. The node limits failures per username
 * and address, and learns the address from the X-Forwarded-For the dashboard sends; but Next.js keeps an
 * X-Forwarded-For that a client sent itself, so a client talking to the dashboard directly could claim a new
 * address per guess. This ceiling (well above the node's per-address limit, so that it only bites such a
 * client) bounds the guesses against one account through the dashboard, as Grafana's per-user lockout does.
 * In memory: it is a brake, not a record, and a restart of the dashboard clears it.
 */
const LIMIT = 20;
const WINDOW_MS = 5 * 60_000;
const MAX_NAMES = 10_000;

const failures = new Map<string, number[]>();

function live(name: string, nowMs: number): number[] {
  return (failures.get(name) ?? []).filter((t) => t > nowMs - WINDOW_MS);
}

/** Seconds until `username` may try again through the dashboard; 0 when it may now. */
export function loginRetryAfterS(username: string, nowMs = Date.now()): number {
  const t = live(username, nowMs);
  return t.length < LIMIT ? 0 : Math.max(1, Math.ceil((t[t.length - LIMIT] + WINDOW_MS - nowMs) / 1000));
}

export function loginFailed(username: string, nowMs = Date.now()): void {
  const t = live(username, nowMs);
  t.push(nowMs);
  failures.delete(username);
  failures.set(username, t.slice(-LIMIT));
  // The oldest names go first: a flood of made-up usernames cannot grow the map without bound.
  if (failures.size > MAX_NAMES) failures.delete(failures.keys().next().value!);
}
