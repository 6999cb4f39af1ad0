'use client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FieldInfo, Hit } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { QuickFilter } from '../filter/quick-filter.ts';
import { formatCount, formatTimestamp } from '../format.ts';
import { QueryBar } from '../query-bar/query-bar.tsx';
import { queryProblem } from '../query-bar/validate.ts';
import { HitSummary } from '../discover/hit-line.tsx';
import { termsOf } from '../text/match-terms.ts';
import { RateMeter, TailBuffer, type TailLine } from './tail-buffer.ts';

/** Lines kept in the page: enough to scroll back through, few enough that 5,000 lines/s stays smooth. */
const CAPACITY = 5000;
const FILTER_LIMIT = 1000;

type Status = 'connecting' | 'live' | 'paused' | 'error';

/** Records matching a query, streamed from the node as they are ingested. */
export function LiveTail() {
  const params = useSearchParams();
  const router = useRouter();
  const query = params.get('q') ?? '';
  const index = params.get('index') || '*';
  const [draft, setDraft] = useState(query);
  const [status, setStatus] = useState<Status>('connecting');
  const [paused, setPaused] = useState(false);
  const [lines, setLines] = useState<TailLine[]>([]);
  const [rate, setRate] = useState(0);
  const [dropped, setDropped] = useState(0);
  /** Matching records the node sent, and those it skipped because this page fell behind (its `dropped` events). */
  const [received, setReceived] = useState(0);
  const [nodeSkipped, setNodeSkipped] = useState(0);
  const [waiting, setWaiting] = useState(0);
  const [stick, setStick] = useState(true);
  const [filter, setFilter] = useState('');
  const [fields, setFields] = useState<FieldInfo[]>([]);
  const [error, setError] = useState<string | null>(null);

  const buffer = useRef(new TailBuffer(CAPACITY));
  const pending = useRef<Hit[]>([]);
  const meter = useRef(new RateMeter());
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const filterIndex = useRef<QuickFilter | null>(null);
  const frame = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => setDraft(query), [query]);
  useEffect(() => {
    client.fields(index).then(setFields, () => setFields([]));
  }, [index]);

  /** Moves pending hits into the buffer (and the filter index, when one is in use), once per frame at most. */
  const flush = useCallback(() => {
    if (frame.current) cancelAnimationFrame(frame.current);
    if (timer.current) clearTimeout(timer.current);
    frame.current = 0;
    timer.current = null;
    if (pausedRef.current) {
      setWaiting(pending.current.length);
      return;
    }
    const incoming = pending.current;
    pending.current = [];
    if (incoming.length === 0) return;
    const gone = buffer.current.push(incoming);
    const f = filterIndex.current;
    if (f) {
      for (const l of gone) f.remove(l.seq);
      const snap = buffer.current.snapshot();
      for (const l of snap.slice(snap.length - Math.min(incoming.length, snap.length))) f.add(l.seq, lineText(l.hit));
    }
    setLines(buffer.current.snapshot());
    setWaiting(0);
  }, []);

  /**
   * Flushes on the next frame, or within 100 ms if no frame comes (a busy or hidden page may not paint for a
   * while; the lines must still land in the buffer).
   */
  const schedule = useCallback(() => {
    if (frame.current === 0) frame.current = requestAnimationFrame(flush);
    if (timer.current === null) timer.current = setTimeout(flush, 100);
  }, [flush]);

  useEffect(() => {
    if (queryProblem(query) !== null) {
      setStatus('error');
      setError(`the query has an error: ${queryProblem(query)!.reason}`);
      return;
    }
    setStatus('connecting');
    setError(null);
    setReceived(0);
    setNodeSkipped(0);
    setDropped(0);
    const es = new EventSource(client.tailUrl(index, query));
    es.addEventListener('ready', () => setStatus(pausedRef.current ? 'paused' : 'live'));
    es.addEventListener('hits', (ev) => {
      const hits = (JSON.parse((ev as MessageEvent<string>).data) as { hits: Hit[] }).hits;
      meter.current.add(hits.length);
      pending.current.push(...hits);
      // While paused the page keeps at most a buffer's worth; older waiting lines are dropped and counted.
      if (pending.current.length > CAPACITY) {
        const over = pending.current.length - CAPACITY;
        pending.current.splice(0, over);
        setDropped((d) => d + over);
      }
      setReceived((n) => n + hits.length);
      schedule();
    });
    es.addEventListener('dropped', (ev) => {
      const n = (JSON.parse((ev as MessageEvent<string>).data) as { dropped: number }).dropped;
      setDropped((d) => d + n);
      setNodeSkipped((d) => d + n);
    });
    es.onerror = () => {
      setStatus(es.readyState === EventSource.CLOSED ? 'error' : 'connecting');
      if (es.readyState === EventSource.CLOSED) {
        setError('the stream closed; reload to try again');
        // An EventSource does not tell why it closed; an expired session is one reason, and asking the node who
        // we are sends the page to sign in when it is.
        client.me().catch(() => undefined);
      }
    };
    return () => {
      es.close();
      if (frame.current) cancelAnimationFrame(frame.current);
      if (timer.current) clearTimeout(timer.current);
      frame.current = 0;
      timer.current = null;
    };
  }, [index, query, flush, schedule]);

  useEffect(() => {
    const t = setInterval(() => setRate(meter.current.perSecond()), 1000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    setStatus((s) => (s === 'error' || s === 'connecting' ? s : paused ? 'paused' : 'live'));
    if (!paused) schedule();
  }, [paused, schedule]);

  // The filter index exists only while a filter is typed (indexing every line at 5,000 lines/s would be waste):
  // built from the buffer when a filter is first typed, then kept up to date by `flush`.
  const shown = useMemo(() => {
    if (filter.trim() === '') {
      filterIndex.current = null;
      return lines;
    }
    if (!filterIndex.current) {
      const f = new QuickFilter();
      for (const l of lines) f.add(l.seq, lineText(l.hit));
      filterIndex.current = f;
    }
    const bySeq = new Map(lines.map((l) => [l.seq, l]));
    return filterIndex.current
      .search(filter, FILTER_LIMIT)
      .map((s) => bySeq.get(s))
      .filter((l): l is TailLine => l !== undefined);
  }, [lines, filter]);
  const filtering = filter.trim() !== '';

  const v = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => 18, overscan: 20, getItemKey: (i) => shown[i].seq });

  useEffect(() => {
    if (stick && !filtering && shown.length > 0) v.scrollToIndex(shown.length - 1, { align: 'end' });
  }, [shown, stick, filtering, v]);

  // Auto-scroll stops only when the reader moves up: lines arriving grow the list under a scroll position, and a
  // scroll event seen then must not count as leaving the bottom. Reaching the bottom again resumes it.
  const lastTop = useRef(0);
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - 24) setStick(true);
    else if (el.scrollTop < lastTop.current - 4) setStick(false);
    lastTop.current = el.scrollTop;
  };

  const terms = useMemo(() => termsOf(query), [query]);
  const problem = queryProblem(draft);
  const submit = (q: string) => {
    if (queryProblem(q) !== null) return;
    const p = new URLSearchParams(params.toString());
    if (q === '') p.delete('q');
    else p.set('q', q);
    buffer.current.clear();
    filterIndex.current = null;
    setLines([]);
    router.push(`/tail?${p}`);
  };

  return (
    <div className="tail">
      <div className="toolbar" role="search">
        <QueryBar value={draft} onChange={setDraft} onSubmit={submit} fields={fields} suggestValues={async () => []} problem={problem} placeholder="Tail records matching… (empty: everything)" />
        <button className="btn primary" onClick={() => submit(draft)}>
          Tail
        </button>
        <button className="btn" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          className="btn"
          onClick={() => {
            buffer.current.clear();
            filterIndex.current = null;
            setLines([]);
          }}
        >
          Clear
        </button>
      </div>
      <div className="status" role="status" aria-live="off">
        <span data-testid="tail-status">
          <span className={`dot ${status === 'live' ? 'live' : status === 'paused' ? 'paused' : ''}`} />
          {status === 'live' ? 'Live' : status === 'paused' ? 'Paused' : status === 'connecting' ? 'Connecting…' : 'Stopped'}
        </span>
        <span data-testid="tail-rate">{formatCount(Math.round(rate))} lines/s</span>
        <span className="muted" data-testid="tail-received" data-received={received} data-node-skipped={nodeSkipped}>
          {formatCount(received)} received
        </span>
        <span className="muted">
          {formatCount(lines.length)} lines in view (newest {formatCount(CAPACITY)} kept)
        </span>
        {paused && waiting > 0 && <span>{formatCount(waiting)} new {waiting === 1 ? 'line' : 'lines'} waiting</span>}
        {dropped > 0 && <span className="muted">{formatCount(dropped)} lines skipped to keep up</span>}
        {error && (
          <span className="err" role="alert" style={{ color: 'var(--error)' }}>
            {error}
          </span>
        )}
        <span style={{ flex: 1 }} />
        <input className="input" aria-label="Filter lines" placeholder="Filter these lines (typo-tolerant)" value={filter} onChange={(e) => setFilter(e.target.value)} />
        {filtering && <span className="muted">{formatCount(shown.length)} matching</span>}
      </div>
      <div className="lines" ref={scroller} onScroll={onScroll} role="log" aria-label="Live tail" aria-live="off" tabIndex={0}>
        {shown.length === 0 && (
          <p className="state">{status === 'live' ? (filtering ? 'No line in view matches the filter.' : 'Waiting for new records…') : status === 'paused' ? 'Paused.' : ''}</p>
        )}
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((it) => {
            const l = shown[it.index];
            return (
              <div key={it.key} ref={v.measureElement} data-index={it.index} className="tline" data-testid="tail-line" style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${it.start}px)` }}>
                <span className="ts">{formatTimestamp(l.hit['@timestamp'])}</span>
                <span>
                  <HitSummary hit={l.hit} terms={terms} />
                </span>
              </div>
            );
          })}
        </div>
        {!stick && !filtering && (
          <button className="btn primary jump" onClick={() => setStick(true)}>
            Jump to latest
          </button>
        )}
      </div>
    </div>
  );
}

function lineText(h: Hit): string {
  return typeof h.message === 'string' ? h.message : Object.entries(h).filter(([k]) => k[0] !== '_' && k !== '@timestamp').map(([k, v]) => `${k} ${String(v)}`).join(' ');
}
