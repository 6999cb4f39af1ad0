'use client';
import { useEffect, useState } from 'react';
import type { ContextResponse, Hit } from '../../lib/client/index.ts';
import { Dialog } from '../ui/dialog.tsx';
import { HitCells } from './hit-line.tsx';
import { client } from './use-search.ts';

const STEP = 10;

/** The records just before and after a hit from the same source (same host, file, service…), the hit marked. */
export function ContextDialog({ hit, onClose }: { hit: Hit; onClose(): void }) {
  const [size, setSize] = useState(STEP);
  const [fields, setFields] = useState<string[] | undefined>(undefined);
  const [res, setRes] = useState<ContextResponse | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    client.context(hit, size, fields, abort.signal).then(setRes, (e: Error) => e.name !== 'AbortError' && setError(e.message));
    return () => abort.abort();
  }, [hit, size, fields]);

  const same = res ? Object.entries(res.same) : [];
  const line = (h: Hit, anchor: boolean) => (
    <div key={`${h._index}/${h._id}`} className={`ctxline${anchor ? ' anchor' : ''}`} data-testid={anchor ? 'context-anchor' : 'context-line'} aria-current={anchor ? 'true' : undefined}>
      <HitCells hit={h} columns={[]} terms={[]} />
    </div>
  );
  return (
    <Dialog title="Surrounding lines" onClose={onClose}>
      <p className="muted">
        {same.length > 0 ? 'Records with the same ' : 'Records of the same index (no source field found) '}
        {same.map(([k, v], i) => (
          <label key={k} style={{ marginRight: 10 }}>
            <input type="checkbox" checked disabled={same.length === 1} aria-label={`Same ${k}`} onChange={() => setFields(same.map(([x]) => x).filter((x) => x !== k))} /> {k} = <code>{String(v)}</code>
            {i < same.length - 1 ? ',' : ''}
          </label>
        ))}
        {' '}just before and after this one.{' '}
        {fields !== undefined && (
          <button className="btn small" onClick={() => setFields(undefined)}>
            Reset source fields
          </button>
        )}
      </p>
      {error && (
        <p className="state error" role="alert">
          {error}
        </p>
      )}
      {!res && !error && <p className="muted">Loading…</p>}
      {res && (
        <div role="list" aria-label="Surrounding lines">
          <button className="btn small" onClick={() => setSize((s) => s + STEP)} disabled={res.before.length < size}>
            Load {STEP} earlier
          </button>
          {res.before.map((h) => line(h, false))}
          {line(res.anchor, true)}
          {res.after.map((h) => line(h, false))}
          <button className="btn small" onClick={() => setSize((s) => s + STEP)} disabled={res.after.length < size}>
            Load {STEP} later
          </button>
        </div>
      )}
    </Dialog>
  );
}
