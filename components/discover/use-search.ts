'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type DateHistogramResult, type Hit } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { resolveRange, TimeError } from '../time/time-range.ts';
import type { DiscoverView } from './view-state.ts';

export { client };
const PAGE = 200;
const BUCKETS = 80;

export interface SearchState {
  status: 'loading' | 'done' | 'error';
  hits: Hit[];
  total: number;
  next: string | null;
  tookMs: number;
  /** From pressing Enter (or opening the view) to the answer being in hand. */
  roundTripMs: number;
  histogram: DateHistogramResult | null;
  error: ApiError | TimeError | null;
  /** The resolved range of the last search, in ms. */
  fromMs: number;
  toMs: number;
  loadingMore: boolean;
}

const EMPTY: SearchState = { status: 'loading', hits: [], total: 0, next: null, tookMs: 0, roundTripMs: 0, histogram: null, error: null, fromMs: 0, toMs: 0, loadingMore: false };

/** Runs the view's search (first page and histogram in one request) and pages on with `loadMore`. */
export function useSearch(view: DiscoverView, refresh: number): { state: SearchState; loadMore(): void } {
  const [state, setState] = useState<SearchState>(EMPTY);
  const gen = useRef(0);
  const loadingMore = useRef(false);

  useEffect(() => {
    const my = ++gen.current;
    const abort = new AbortController();
    const started = performance.now();
    setState((s) => ({ ...s, status: 'loading', error: null }));
    let range: { fromMs: number; toMs: number };
    try {
      range = resolveRange(view.range, Date.now());
    } catch (e) {
      setState({ ...EMPTY, status: 'error', error: e as TimeError });
      return;
    }
    client
      .search(
        {
          index: view.index,
          query: view.query,
          from: range.fromMs,
          to: range.toMs,
          size: PAGE,
          sort: 'desc',
          aggs: { over_time: { date_histogram: { interval: 'auto', buckets: BUCKETS, split: { field: view.split, size: 5 } } } },
        },
        abort.signal,
      )
      .then(
        (r) => {
          if (gen.current !== my) return;
          setState({
            status: 'done',
            hits: r.hits,
            total: r.total,
            next: r.next,
            tookMs: r.took_ms,
            roundTripMs: performance.now() - started,
            histogram: (r.aggs?.over_time as DateHistogramResult | undefined) ?? null,
            error: null,
            ...range,
            loadingMore: false,
          });
        },
        (e: unknown) => {
          if (gen.current !== my || (e as Error).name === 'AbortError') return;
          setState({ ...EMPTY, status: 'error', error: e instanceof ApiError ? e : new ApiError(0, 'client', (e as Error).message) });
        },
      );
    return () => abort.abort();
  }, [view.index, view.query, view.range.from, view.range.to, view.split, refresh]);

  const loadMore = useCallback(() => {
    const s = state;
    if (s.status !== 'done' || s.next === null || loadingMore.current) return;
    loadingMore.current = true;
    const my = gen.current;
    setState((x) => ({ ...x, loadingMore: true }));
    client
      .search({ index: view.index, query: view.query, from: s.fromMs, to: s.toMs, size: PAGE, sort: 'desc', search_after: s.next })
      .then(
        (r) => {
          if (gen.current !== my) return;
          setState((x) => ({ ...x, hits: x.hits.concat(r.hits), next: r.next, loadingMore: false }));
        },
        (e: unknown) => {
          if (gen.current !== my) return;
          setState((x) => ({ ...x, loadingMore: false, error: e instanceof ApiError ? e : new ApiError(0, 'client', (e as Error).message) }));
        },
      )
      .finally(() => {
        loadingMore.current = false;
      });
  }, [state, view.index, view.query]);

  return { state, loadMore };
}
