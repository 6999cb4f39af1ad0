/**
 * Discover's view as it lives in the URL, so that a link reproduces what someone saw: the query, the time range
 * (as expressions), the index pattern, the chosen columns and the histogram's split field.
 */
import { DEFAULT_RANGE, type TimeRange } from '../time/time-range.ts';

export interface DiscoverView {
  query: string;
  range: TimeRange;
  index: string;
  columns: string[];
  split: string;
}

export const DEFAULT_INDEX = '*';
export const DEFAULT_SPLIT = 'level';

export function viewFromParams(p: URLSearchParams): DiscoverView {
  const cols = p.get('cols');
  return {
    query: p.get('q') ?? '',
    range: { from: p.get('from') || DEFAULT_RANGE.from, to: p.get('to') || DEFAULT_RANGE.to },
    index: p.get('index') || DEFAULT_INDEX,
    columns: cols ? cols.split(',').filter((c) => c !== '') : [],
    split: p.get('split') || DEFAULT_SPLIT,
  };
}

export function paramsFromView(v: DiscoverView): string {
  const p = new URLSearchParams();
  if (v.query !== '') p.set('q', v.query);
  p.set('from', v.range.from);
  p.set('to', v.range.to);
  if (v.index !== DEFAULT_INDEX) p.set('index', v.index);
  if (v.columns.length > 0) p.set('cols', v.columns.join(','));
  if (v.split !== DEFAULT_SPLIT) p.set('split', v.split);
  return p.toString();
}
