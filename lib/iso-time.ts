/**
 * `new Date(ms).toISOString()` without a Date per call: it cost 1.3 µs, most of the time of answering a page of
 * hits. The date part comes from Date once per day seen (hits arrive in time order, so one cached day serves a
 * page); the time of day is arithmetic on character codes.
 *
 * The result is built flat, by one `String.fromCharCode`: a template literal of the same pieces made a tree of
 * cons strings per timestamp, and scavenging those trees was most of the garbage collection of a page of hits
 * (newest-100 of `error` at 5M lines, in-process: collection 0.18 → 0.10 ms a query, the query 0.40–0.50 → 0.29–0.33).
 */
const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let cachedDay = NaN;
let cachedPrefix = '';
/** The cached day's `YYYY-MM-DDT` as character codes; empty for years outside 0000–9999 (`+`/`-` and 6 digits). */
let prefixCodes: number[] = [];

/** The same text as `new Date(ms).toISOString()` (and the same RangeError for a time Date cannot hold). */
export function isoTimestamp(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > 8.64e15) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const s = new Date(day * DAY_MS).toISOString();
    cachedPrefix = s.slice(0, s.indexOf('T') + 1);
    prefixCodes = cachedPrefix.length === 11 ? Array.from(cachedPrefix, (c) => c.charCodeAt(0)) : [];
    cachedDay = day;
  }
  let r = ms - day * DAY_MS;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const s = Math.floor(r / 1000);
  const f = r - s * 1000;
  if (prefixCodes.length === 0) return `${cachedPrefix}${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[f]}Z`;
  const p = prefixCodes;
  return String.fromCharCode(
    p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10],
    48 + ((h / 10) | 0), 48 + (h % 10), 58, 48 + ((m / 10) | 0), 48 + (m % 10), 58, 48 + ((s / 10) | 0), 48 + (s % 10), 46,
    48 + ((f / 100) | 0), 48 + (((f / 10) | 0) % 10), 48 + (f % 10), 90,
  );
}
