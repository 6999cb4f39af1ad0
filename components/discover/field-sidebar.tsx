'use client';
import { useEffect, useMemo, useState } from 'react';
import type { FieldInfo, FieldType, FieldValue, Hit, TermsResult } from '../../lib/client/index.ts';
import { QuickFilter } from '../filter/quick-filter.ts';
import { formatCount } from '../format.ts';
import { client } from './use-search.ts';

const HIDDEN = new Set(['_id', '_index']);
const TYPE_MARK: Record<FieldType, string> = { string: 't', number: '#', boolean: 'b', date: 'd', mixed: '?' };
const FIELD_NAME = /^[A-Za-z_@][A-Za-z0-9_.@\-]*$/;

function typeOf(v: FieldValue): FieldType {
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

/** Every field of the loaded hits, with the type the node knows for it (or the one the hits show). */
export function fieldsOfHits(hits: Hit[], known: FieldInfo[]): FieldInfo[] {
  const types = new Map<string, FieldType>();
  for (const h of hits) {
    for (const [k, v] of Object.entries(h)) {
      if (HIDDEN.has(k)) continue;
      const t: FieldType = k === '@timestamp' ? 'date' : typeOf(v);
      const had = types.get(k);
      types.set(k, had === undefined || had === t ? t : 'mixed');
    }
  }
  const byName = new Map(known.map((f) => [f.name, f.type]));
  return [...types].map(([name, t]) => ({ name, type: byName.get(name) ?? t })).sort((a, b) => a.name.localeCompare(b.name));
}

export interface SidebarProps {
  fields: FieldInfo[];
  columns: string[];
  total: number;
  search: { index: string; query: string; fromMs: number; toMs: number } | null;
  onFilter(field: string, value: FieldValue, negate: boolean): void;
  onToggleColumn(field: string): void;
}

function TopValues({ field, total, search, onFilter }: { field: string; total: number; search: NonNullable<SidebarProps['search']>; onFilter: SidebarProps['onFilter'] }) {
  const [res, setRes] = useState<TermsResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    setRes(null);
    setError(null);
    client
      .search({ index: search.index, query: search.query, from: search.fromMs, to: search.toMs, size: 0, aggs: { top: { terms: { field, size: 5 } } } }, abort.signal)
      .then(
        (r) => setRes(r.aggs?.top as TermsResult),
        (e: Error) => e.name !== 'AbortError' && setError(e.message),
      );
    return () => abort.abort();
  }, [field, search.index, search.query, search.fromMs, search.toMs]);
  if (error) return <div className="topvalues err">{error}</div>;
  if (!res) return <div className="topvalues muted">Loading top values…</div>;
  if (res.buckets.length === 0) return <div className="topvalues muted">No values in the matching records.</div>;
  const filterable = FIELD_NAME.test(field);
  return (
    <div className="topvalues" aria-label={`Top values of ${field}`} role="group">
      {res.buckets.map((b) => {
        const pct = total > 0 ? (100 * b.doc_count) / total : 0;
        return (
          <div className="tv" key={String(b.key)} data-testid="top-value">
            <span className="v" title={String(b.key)}>
              {String(b.key)}
            </span>
            <span className="muted" title={`${formatCount(b.doc_count)} records`}>
              {pct.toFixed(1)}%
            </span>
            {filterable && (
              <>
                <button className="btn icon small" aria-label={`Filter for ${field}: ${String(b.key)}`} onClick={() => onFilter(field, b.key, false)}>
                  +
                </button>
                <button className="btn icon small" aria-label={`Filter out ${field}: ${String(b.key)}`} onClick={() => onFilter(field, b.key, true)}>
                  −
                </button>
              </>
            )}
            <span className="bar">
              <span style={{ width: `${Math.min(100, pct)}%` }} />
            </span>
          </div>
        );
      })}
    </div>
  );
}

/** The field list: filter by name (typo-tolerant), open a field for its top 5 values, add it as a column. */
export function FieldSidebar({ fields, columns, total, search, onFilter, onToggleColumn }: SidebarProps) {
  const [open, setOpen] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const index = useMemo(() => {
    const f = new QuickFilter();
    fields.forEach((x, i) => f.add(i, x.name.replace(/[._@]/g, ' ') + ' ' + x.name));
    return f;
  }, [fields]);
  const shown = filter.trim() === '' ? fields : index.search(filter, 200).map((i) => fields[i]);
  const selected = columns.map((c) => fields.find((f) => f.name === c) ?? { name: c, type: 'string' as FieldType });
  const row = (f: FieldInfo, isColumn: boolean) => (
    <li key={f.name}>
      <div className="fieldrow">
        <span className="ftype" title={f.type}>
          {TYPE_MARK[f.type]}
        </span>
        <button className="fname" aria-expanded={open === f.name} onClick={() => setOpen(open === f.name ? null : f.name)} title={f.name}>
          {f.name}
        </button>
        {f.name !== '@timestamp' && (
          <button className="btn icon small" aria-label={isColumn ? `Remove column ${f.name}` : `Add column ${f.name}`} onClick={() => onToggleColumn(f.name)}>
            {isColumn ? '×' : '⊕'}
          </button>
        )}
      </div>
      {open === f.name && search && <TopValues field={f.name} total={total} search={search} onFilter={onFilter} />}
    </li>
  );
  return (
    <aside className="sidebar" aria-label="Fields">
      <input className="input filter" aria-label="Filter fields" placeholder="Filter fields" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {selected.length > 0 && (
        <>
          <h2>Selected fields</h2>
          <ul className="fieldlist">{selected.map((f) => row(f, true))}</ul>
        </>
      )}
      <h2>Fields</h2>
      <ul className="fieldlist">{shown.filter((f) => !columns.includes(f.name)).map((f) => row(f, false))}</ul>
      {fields.length === 0 && <p className="pad muted">No fields in the results.</p>}
    </aside>
  );
}
