'use client';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, type FieldInfo, type FieldValue, type Hit, type IndexInfo, type TermsResult } from '../../lib/client/index.ts';
import { formatMs, hitsLabel } from '../format.ts';
import { rememberQuery } from '../query-bar/history.ts';
import { addFilter } from '../query-bar/lex.ts';
import { QueryBar } from '../query-bar/query-bar.tsx';
import { queryProblem, type QueryProblem } from '../query-bar/validate.ts';
import { termsOf } from '../text/match-terms.ts';
import { TimePicker } from '../time/time-picker.tsx';
import { absoluteRange } from '../time/time-range.ts';
import { ContextDialog } from './context-dialog.tsx';
import { FieldSidebar, fieldsOfHits } from './field-sidebar.tsx';
import { Histogram } from './histogram.tsx';
import { Results } from './results.tsx';
import { useMay } from '../session/session.tsx';
import { OpenSearchDialog, SaveSearchDialog } from './saved-searches.tsx';
import { client, useSearch } from './use-search.ts';
import { type DiscoverView, paramsFromView, viewFromParams } from './view-state.ts';

/** Fields sampled from this many loaded hits for the sidebar (the node's field list adds the rest for completion). */
const SIDEBAR_SAMPLE = 500;

/** Discover: query, time range, histogram, fields and results, all driven by the URL. */
export function Discover() {
  const params = useSearchParams();
  const router = useRouter();
  const view = useMemo(() => viewFromParams(new URLSearchParams(params.toString())), [params]);
  const [draft, setDraft] = useState(view.query);
  const [refresh, setRefresh] = useState(0);
  const [known, setKnown] = useState<FieldInfo[]>([]);
  const [indices, setIndices] = useState<IndexInfo[]>([]);
  const [context, setContext] = useState<Hit | null>(null);
  const [dialog, setDialog] = useState<'save' | 'open' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { state, loadMore } = useSearch(view, refresh);
  const valueCache = useRef(new Map<string, FieldValue[]>());
  const maySave = useMay('save_objects');

  useEffect(() => setDraft(view.query), [view.query]);

  useEffect(() => {
    const abort = new AbortController();
    valueCache.current.clear();
    client.fields(view.index, abort.signal).then(setKnown, () => setKnown([]));
    client.indices(abort.signal).then(setIndices, () => setIndices([]));
    return () => abort.abort();
  }, [view.index]);

  const go = useCallback((next: Partial<DiscoverView>) => router.push(`/discover?${paramsFromView({ ...view, ...next })}`), [router, view]);

  const submit = (q: string) => {
    if (queryProblem(q) !== null) return;
    rememberQuery(q);
    if (q === view.query) setRefresh((r) => r + 1);
    else go({ query: q });
  };

  const serverProblem: QueryProblem | null =
    state.error instanceof ApiError && state.error.code === 'invalid_query' && draft === view.query ? { position: state.error.position ?? 0, reason: state.error.reason ?? state.error.message } : null;
  const problem = queryProblem(draft) ?? serverProblem;

  const terms = useMemo(() => termsOf(view.query), [view.query]);
  const sidebarFields = useMemo(() => fieldsOfHits(state.hits.slice(0, SIDEBAR_SAMPLE), known), [state.hits, known]);
  const completionFields = useMemo(() => {
    const m = new Map(known.map((f) => [f.name, f]));
    for (const f of sidebarFields) if (!m.has(f.name)) m.set(f.name, f);
    return [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
  }, [known, sidebarFields]);

  const suggestValues = useCallback(
    async (field: string) => {
      const hit = valueCache.current.get(field);
      if (hit) return hit;
      const r = await client.search({ index: view.index, query: '', from: state.fromMs || undefined, to: state.toMs || undefined, size: 0, aggs: { v: { terms: { field, size: 10 } } } });
      const list = ((r.aggs?.v as TermsResult | undefined)?.buckets ?? []).map((b) => b.key);
      valueCache.current.set(field, list);
      return list;
    },
    [view.index, state.fromMs, state.toMs],
  );

  const onFilter = useCallback((field: string, v: FieldValue, negate: boolean) => go({ query: addFilter(view.query, field, v, negate) }), [go, view.query]);
  const toggleColumn = (f: string) => go({ columns: view.columns.includes(f) ? view.columns.filter((c) => c !== f) : [...view.columns, f] });
  const search = state.status === 'done' ? { index: view.index, query: view.query, fromMs: state.fromMs, toMs: state.toMs } : null;
  const splitChoices = useMemo(() => [...new Set(['level', ...sidebarFields.filter((f) => f.type === 'string' && f.name !== 'message').map((f) => f.name)])], [sidebarFields]);

  return (
    <>
      <div className="toolbar" role="search">
        <select className="select" aria-label="Index" value={view.index} onChange={(e) => go({ index: e.target.value })}>
          <option value="*">All indices</option>
          {indices.map((i) => (
            <option key={i.index} value={i.index}>
              {i.index}
            </option>
          ))}
          {view.index !== '*' && !indices.some((i) => i.index === view.index) && <option value={view.index}>{view.index}</option>}
        </select>
        <QueryBar value={draft} onChange={setDraft} onSubmit={submit} fields={completionFields} suggestValues={suggestValues} problem={problem} />
        <TimePicker value={view.range} onChange={(range) => go({ range })} />
        <button className="btn primary" onClick={() => submit(draft)}>
          Search
        </button>
        {maySave && (
          <button className="btn" onClick={() => setDialog('save')}>
            Save
          </button>
        )}
        <button className="btn" onClick={() => setDialog('open')}>
          Open
        </button>
      </div>
      <div className="discover">
        <FieldSidebar fields={sidebarFields} columns={view.columns} total={state.total} search={search} onFilter={onFilter} onToggleColumn={toggleColumn} />
        <section className="content" aria-busy={state.status === 'loading'}>
          <div className="summary">
            {state.status === 'error' ? (
              <span className="count">—</span>
            ) : (
              <span className="count" data-testid="hit-count" aria-live="polite">
                {state.status === 'loading' && state.hits.length === 0 ? 'Searching…' : hitsLabel(state.total)}
              </span>
            )}
            {state.status === 'done' && (
              <span className="muted" data-testid="took" title="time the node spent, and the whole round trip from the browser">
                {formatMs(state.tookMs)} on the node · {formatMs(state.roundTripMs)} in all
              </span>
            )}
            {notice && (
              <span className="muted" role="status">
                {notice}
              </span>
            )}
            <span className="spacer" />
            <label className="muted">
              Split by{' '}
              <select className="select" aria-label="Split histogram by" value={view.split} onChange={(e) => go({ split: e.target.value })}>
                {splitChoices.includes(view.split) ? null : <option value={view.split}>{view.split}</option>}
                {splitChoices.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className={`loadingbar${state.status === 'loading' || state.loadingMore ? '' : ' idle'}`} role="progressbar" aria-label="Loading" aria-hidden={state.status !== 'loading'} />
          <Histogram data={state.histogram} splitField={view.split} onZoom={(a, b) => go({ range: absoluteRange(a, b) })} />
          {state.status === 'error' ? (
            <div className="state error" role="alert" data-testid="search-error">
              <h2>{state.error instanceof ApiError && state.error.code === 'invalid_query' ? 'The query has an error' : 'The search failed'}</h2>
              {state.error?.message}
            </div>
          ) : state.status === 'done' && state.total === 0 ? (
            <div className="state" data-testid="no-results">
              <h2>No records match</h2>
              Try a wider time range, another index, or fewer clauses.
            </div>
          ) : (
            <Results
              key={`${view.index}|${view.query}|${view.range.from}|${view.range.to}|${refresh}`}
              hits={state.hits}
              hasMore={state.next !== null}
              loadingMore={state.loadingMore}
              columns={view.columns}
              terms={terms}
              onLoadMore={loadMore}
              onFilter={onFilter}
              onContext={setContext}
            />
          )}
        </section>
      </div>
      {context && <ContextDialog hit={context} onClose={() => setContext(null)} />}
      {dialog === 'save' && (
        <SaveSearchDialog
          view={view}
          onClose={() => setDialog(null)}
          onSaved={(s) => {
            setDialog(null);
            setNotice(`Saved “${s.name}”`);
          }}
        />
      )}
      {dialog === 'open' && (
        <OpenSearchDialog
          mayDelete={maySave}
          onClose={() => setDialog(null)}
          onOpen={(s) => {
            setDialog(null);
            go({ query: s.query, index: s.index, range: { from: s.from ?? 'now-15m', to: s.to ?? 'now' }, columns: s.columns });
          }}
        />
      )}
    </>
  );
}
