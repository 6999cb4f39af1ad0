/**
 * `new Date(ms).toISOString()` without a Date per call: it cost 1.3 µs, most of the time of answering a page of
 * hits. The date part comes from Date once per day seen (hits arrive in time order, so one cached day serves a
 * page); the time of day is table lookups.
 */
const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let cachedDay = NaN;
let cachedPrefix = '';

/** The same text as `new Date(ms).toISOString()` (and the same RangeError for a time Date cannot hold). */
export function isoTimestamp(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > 8.64e15) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const s = new Date(day * DAY_MS).toISOString();
    cachedPrefix = s.slice(0, s.indexOf('T') + 1);
    cachedDay = day;
  }
  let r = ms - day * DAY_MS;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const s = Math.floor(r / 1000);
  return `${cachedPrefix}${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[r - s * 1000]}Z`;
}
