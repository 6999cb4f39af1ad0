import { readFileSync } from 'node:fs';

/**
 * Latency statistics, peak memory of a child process, and an aligned text table. Percentiles use the nearest
 * rank, so every figure printed is a latency that was actually observed; with the default 7 runs, p99 is the
 * slowest run, which is what it should be called when comparing.
 */

/** Nearest-rank percentile, `p` in (0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** The middle sample, or the mean of the middle two. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function p99(samples: readonly number[]): number {
  return percentile(samples, 99);
}

/**
 * Peak resident memory of a live process from `/proc/<pid>/status` `VmHWM` (Linux), in bytes; null when the
 * process is gone or /proc is unavailable. VmHWM is the kernel's own high-water mark, so sampling it loses
 * nothing between samples: only growth after the last sample before exit goes unseen.
 */
export function readPeakRssBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface PeakRssWatch {
  /** Takes a last sample and stops; returns the peak seen in bytes, or null if no sample succeeded. */
  stop(): number | null;
}

/** Samples a child's VmHWM every `intervalMs` until stopped; for short children the peak is a lower bound. */
export function watchPeakRss(pid: number, intervalMs = 10): PeakRssWatch {
  let peak: number | null = null;
  const sample = () => {
    const v = readPeakRssBytes(pid);
    if (v !== null && (peak === null || v > peak)) peak = v;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      return peak;
    },
  };
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function formatCount(n: number | null): string {
  return n === null || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US');
}

/** `value / base` as `1.83×`; `n/a` when either side is missing or the base is zero. */
export function formatRatio(value: number | null, base: number | null): string {
  if (value === null || base === null || !Number.isFinite(value) || !Number.isFinite(base) || base === 0) return 'n/a';
  const r = value / base;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export type Align = 'left' | 'right';

/**
 * Renders rows under headers with columns padded to their widest cell. The first column is left-aligned and
 * the rest right-aligned unless `align` says otherwise, because numbers read best aligned on their last digit.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((w, c) => {
        const cell = cells[c] ?? '';
        return (align?.[c] ?? (c === 0 ? 'left' : 'right')) === 'left' ? cell.padEnd(w) : cell.padStart(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
