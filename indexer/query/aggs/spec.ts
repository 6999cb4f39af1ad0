import { StrataError } from '../../../lib/errors.ts';
import type { AggCollector } from './collector.ts';
import { type DateHistogramSpec, DateHistogramCollector, type Grid, MAX_BUCKETS, autoInterval, makeGrid } from './date-histogram.ts';
import { PercentilesCollector, type PercentilesSpec, StatsCollector, type FieldSpec } from './stats.ts';
import { TermsCollector, type TermsSpec } from './terms.ts';

export type AggRequest =
  | { name: string; type: 'date_histogram'; spec: DateHistogramSpec }
  | { name: string; type: 'terms'; spec: TermsSpec }
  | { name: string; type: 'stats'; spec: FieldSpec }
  | { name: string; type: 'percentiles'; spec: PercentilesSpec };

const UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };

/** Parses `30s`, `5m`, `1h`, `1d` or a number of ms; `auto` (or absent) is 0. */
export function parseInterval(v: unknown, path: string): number {
  if (v === undefined || v === 'auto') return 0;
  if (typeof v === 'number' && v > 0 && Number.isFinite(v)) return v;
  const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h|d|w)$/.exec(v) : null;
  if (!m || Number(m[1]) === 0) throw bad(path, `interval must be like "30s", "5m", "1h", "1d", a number of ms, or "auto"`);
  return Number(m[1]) * UNITS[m[2]];
}

function bad(path: string, msg: string): StrataError {
  return new StrataError('invalid_request', `aggs.${path}: ${msg}`, { path: `aggs.${path}` });
}

function fieldOf(o: Record<string, unknown>, path: string): string {
  if (typeof o.field !== 'string' || o.field === '') throw bad(path, '"field" must be a non-empty string');
  return o.field;
}

function sizeOf(v: unknown, dflt: number, path: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000) throw bad(path, '"size" must be an integer from 1 to 10000');
  return v;
}

export function parseAggs(aggs: unknown): AggRequest[] {
  if (aggs === undefined || aggs === null) return [];
  if (typeof aggs !== 'object' || Array.isArray(aggs)) throw new StrataError('invalid_request', '"aggs" must be an object of named aggregations');
  const out: AggRequest[] = [];
  for (const [name, body] of Object.entries(aggs as Record<string, unknown>)) {
    if (typeof body !== 'object' || body === null) throw bad(name, 'must be an object like { "terms": { "field": "level" } }');
    const kinds = Object.keys(body);
    if (kinds.length !== 1) throw bad(name, 'must name exactly one of date_histogram, terms, stats, percentiles');
    const kind = kinds[0];
    const o = (body as Record<string, unknown>)[kind] as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) throw bad(`${name}.${kind}`, 'must be an object');
    const path = `${name}.${kind}`;
    switch (kind) {
      case 'date_histogram': {
        const spec: DateHistogramSpec = {
          intervalMs: parseInterval(o.interval ?? o.fixed_interval, path),
          buckets: sizeOf(o.buckets, 60, path),
        };
        if (o.split !== undefined) {
          const s = o.split as Record<string, unknown>;
          if (typeof s !== 'object' || s === null) throw bad(path, '"split" must be { "field": ..., "size"?: N }');
          spec.split = { field: fieldOf(s, path + '.split'), size: sizeOf(s.size, 5, path + '.split') };
        }
        out.push({ name, type: 'date_histogram', spec });
        break;
      }
      case 'terms':
        out.push({ name, type: 'terms', spec: { field: fieldOf(o, path), size: sizeOf(o.size, 10, path) } });
        break;
      case 'stats':
        out.push({ name, type: 'stats', spec: { field: fieldOf(o, path) } });
        break;
      case 'percentiles': {
        const percents = o.percents ?? [1, 5, 25, 50, 75, 95, 99];
        if (!Array.isArray(percents) || percents.some((p) => typeof p !== 'number' || p < 0 || p > 100)) {
          throw bad(path, '"percents" must be numbers from 0 to 100');
        }
        out.push({ name, type: 'percentiles', spec: { field: fieldOf(o, path), percents: percents as number[] } });
        break;
      }
      default:
        throw bad(name, `unknown aggregation "${kind}"; use date_histogram, terms, stats or percentiles`);
    }
  }
  return out;
}

/** Grids for the histograms, decided from the query's time range (or the data's extent when open-ended). */
export function gridsFor(reqs: AggRequest[], fromMs: number, toMs: number): Map<string, Grid> {
  const grids = new Map<string, Grid>();
  for (const r of reqs) {
    if (r.type !== 'date_histogram') continue;
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
      grids.set(r.name, { originMs: 0, intervalMs: r.spec.intervalMs || 1, count: 0 });
      continue;
    }
    const interval = r.spec.intervalMs || autoInterval(fromMs, toMs, r.spec.buckets);
    const g = makeGrid(fromMs, toMs, interval);
    if (g.count > MAX_BUCKETS) {
      throw new StrataError('invalid_request', `aggs.${r.name}: ${g.count} buckets is more than ${MAX_BUCKETS}; use a larger interval or "auto"`);
    }
    grids.set(r.name, g);
  }
  return grids;
}

export function createCollector(r: AggRequest, grids: Map<string, Grid>): AggCollector {
  switch (r.type) {
    case 'date_histogram':
      return new DateHistogramCollector(r.spec, grids.get(r.name)!);
    case 'terms':
      return new TermsCollector(r.spec);
    case 'stats':
      return new StatsCollector(r.spec);
    case 'percentiles':
      return new PercentilesCollector(r.spec);
  }
}
