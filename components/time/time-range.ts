/**
 * Time ranges as people write them: `now`, `now-15m`, `now-1d/d` (date math, rounded in local time), ISO 8601 or
 * epoch milliseconds. The dashboard keeps the expressions (in the URL and in saved searches) and resolves them
 * to milliseconds when it runs a search, so "last 15 minutes" stays the last 15 minutes.
 */

export interface TimeRange {
  from: string;
  to: string;
}

export const DEFAULT_RANGE: TimeRange = { from: 'now-15m', to: 'now' };

export const QUICK_RANGES: { label: string; from: string; to: string }[] = [
  { label: 'Last 15 minutes', from: 'now-15m', to: 'now' },
  { label: 'Last 1 hour', from: 'now-1h', to: 'now' },
  { label: 'Last 4 hours', from: 'now-4h', to: 'now' },
  { label: 'Last 24 hours', from: 'now-24h', to: 'now' },
  { label: 'Last 7 days', from: 'now-7d', to: 'now' },
  { label: 'Last 30 days', from: 'now-30d', to: 'now' },
  { label: 'Today', from: 'now/d', to: 'now/d' },
];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const MATH = /^now((?:[+-]\d+[smhdwMy])*)(?:\/([smhdwMy]))?$/;
const STEP = /([+-])(\d+)([smhdwMy])/g;

export class TimeError extends Error {
  override name = 'TimeError';
}

function addCalendar(d: Date, n: number, unit: string): void {
  if (unit === 'M') d.setMonth(d.getMonth() + n);
  else if (unit === 'y') d.setFullYear(d.getFullYear() + n);
  else d.setTime(d.getTime() + n * UNIT_MS[unit]);
}

/** Rounds down to the start of `unit` (local time); `up`: to the last millisecond of that unit. */
function round(d: Date, unit: string, up: boolean): void {
  switch (unit) {
    case 'y':
      d.setMonth(0, 1);
      d.setHours(0, 0, 0, 0);
      break;
    case 'M':
      d.setDate(1);
      d.setHours(0, 0, 0, 0);
      break;
    case 'w': {
      const back = (d.getDay() + 6) % 7; // weeks start on Monday
      d.setDate(d.getDate() - back);
      d.setHours(0, 0, 0, 0);
      break;
    }
    case 'd':
      d.setHours(0, 0, 0, 0);
      break;
    case 'h':
      d.setMinutes(0, 0, 0);
      break;
    case 'm':
      d.setSeconds(0, 0);
      break;
    case 's':
      d.setMilliseconds(0);
      break;
  }
  if (up) {
    addCalendar(d, 1, unit);
    d.setTime(d.getTime() - 1);
  }
}

/**
 * Milliseconds for an expression. `end` rounds `/unit` up to the unit's last millisecond (so `now/d` to `now/d`
 * is the whole of today). Throws TimeError with a message saying what is accepted.
 */
export function resolveTime(expr: string, nowMs: number, end = false): number {
  const s = expr.trim();
  if (s === '') throw new TimeError('empty time: write now, now-15m, an ISO 8601 date or epoch milliseconds');
  const m = MATH.exec(s);
  if (m) {
    const d = new Date(nowMs);
    for (const [, sign, n, unit] of m[1].matchAll(STEP)) addCalendar(d, (sign === '-' ? -1 : 1) * Number(n), unit);
    if (m[2]) round(d, m[2], end);
    return d.getTime();
  }
  if (/^\d{10,16}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return t;
  }
  throw new TimeError(`"${s.slice(0, 40)}" is not a time: write now, now-15m, now-1d/d, an ISO 8601 date or epoch milliseconds`);
}

/** Both ends resolved, checked to be in order. */
export function resolveRange(r: TimeRange, nowMs: number): { fromMs: number; toMs: number } {
  const fromMs = resolveTime(r.from, nowMs, false);
  const toMs = resolveTime(r.to, nowMs, true);
  if (fromMs > toMs) throw new TimeError('the start of the range is after its end');
  return { fromMs, toMs };
}

/** A short label: the quick range's name, or "from → to". */
export function describeRange(r: TimeRange): string {
  const q = QUICK_RANGES.find((x) => x.from === r.from && x.to === r.to);
  if (q) return q.label;
  const show = (e: string) => (/^\d{10,16}$/.test(e) ? new Date(Number(e)).toISOString() : e);
  return `${show(r.from)} → ${show(r.to)}`;
}

/** An absolute ISO range from milliseconds (a histogram zoom). */
export function absoluteRange(fromMs: number, toMs: number): TimeRange {
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
}
