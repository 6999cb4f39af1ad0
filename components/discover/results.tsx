'use client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import type { FieldValue, Hit } from '../../lib/client/index.ts';
import type { Term } from '../text/match-terms.ts';
import { HitDetails } from './hit-details.tsx';
import { HitCells } from './hit-line.tsx';

export interface ResultsProps {
  hits: Hit[];
  hasMore: boolean;
  loadingMore: boolean;
  columns: string[];
  terms: Term[];
  onLoadMore(): void;
  onFilter(field: string, v: FieldValue, negate: boolean): void;
  onContext(hit: Hit): void;
}

/**
 * The hits as a virtualised list: only the rows in view are in the DOM, so scrolling through tens of thousands
 * stays smooth; the next page is fetched (cursor paging) as the end comes into view. A row expands in place.
 */
export function Results({ hits, hasMore, loadingMore, columns, terms, onLoadMore, onFilter, onContext }: ResultsProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const count = hits.length + (hasMore ? 1 : 0);
  const v = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => 25,
    overscan: 12,
    getItemKey: (i) => (i < hits.length ? `${hits[i]._index}/${hits[i]._id}` : 'more'),
  });
  const items = v.getVirtualItems();
  const last = items.at(-1);

  useEffect(() => {
    if (hasMore && !loadingMore && last && last.index >= hits.length - 20) onLoadMore();
  }, [last?.index, hasMore, loadingMore, hits.length, onLoadMore]);

  const toggle = (key: string) =>
    setExpanded((s) => {
      const n = new Set(s);
      if (!n.delete(key)) n.add(key);
      return n;
    });

  return (
    <div className="results" ref={scroller} role="region" aria-label="Results" tabIndex={0}>
      <div className="colhead" aria-hidden="true">
        <span className="cell toggle" />
        <span className="cell ts">@timestamp</span>
        {columns.map((c) => (
          <span className="cell col" key={c}>
            {c}
          </span>
        ))}
        <span className="cell msg">message</span>
      </div>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {items.map((it) => {
          if (it.index >= hits.length) {
            return (
              <div key={it.key} ref={v.measureElement} data-index={it.index} className="state" style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${it.start}px)` }}>
                {loadingMore ? 'Loading more…' : ''}
              </div>
            );
          }
          const hit = hits[it.index];
          const key = String(it.key);
          const open = expanded.has(key);
          return (
            <div key={key} ref={v.measureElement} data-index={it.index} className="row" data-testid="result-row" style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${it.start}px)` }}>
              <div className="line" onClick={() => toggle(key)}>
                <span className="cell toggle">
                  <button className="btn icon small" aria-expanded={open} aria-label={open ? 'Collapse record' : 'Expand record'} onClick={(e) => (e.stopPropagation(), toggle(key))}>
                    {open ? '▾' : '▸'}
                  </button>
                </span>
                <HitCells hit={hit} columns={columns} terms={terms} />
              </div>
              {open && <HitDetails hit={hit} onFilter={onFilter} onContext={() => onContext(hit)} />}
            </div>
          );
        })}
      </div>
    </div>
  );
}
