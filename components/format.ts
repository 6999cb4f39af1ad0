/** Numbers and times as the dashboard shows them (US digit grouping, as the issue asks: "1,234 hits"). */
const INT = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return INT.format(n);
}

export function hitsLabel(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'hit' : 'hits'}`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A hit's timestamp for a row: local time with milliseconds, the date included. */
export function formatTimestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A field value as text in a cell. */
export function valueText(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v);
}
