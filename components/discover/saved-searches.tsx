'use client';
import { useEffect, useState } from 'react';
import type { SavedSearch } from '../../lib/client/index.ts';
import { Dialog } from '../ui/dialog.tsx';
import { client } from './use-search.ts';
import type { DiscoverView } from './view-state.ts';

/** Saves the current view under a name (stored by the node). */
export function SaveSearchDialog({ view, onClose, onSaved }: { view: DiscoverView; onClose(): void; onSaved(s: SavedSearch): void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title="Save search" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          try {
            const s = await client.createSavedSearch({ name: name.trim(), query: view.query, index: view.index, from: view.range.from, to: view.range.to, columns: view.columns });
            onSaved(s);
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label htmlFor="save-name">Name</label>{' '}
        <input id="save-name" className="input" autoFocus value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />{' '}
        <button className="btn primary" type="submit" disabled={busy || name.trim() === ''}>
          Save
        </button>
        <p className="muted mono">
          {view.query || '*'} · {view.range.from} → {view.range.to} · {view.index}
        </p>
        {error && (
          <p className="state error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Dialog>
  );
}

/** Lists saved searches: open one, or (with the `save_objects` privilege) delete it. */
export function OpenSearchDialog({ mayDelete, onClose, onOpen }: { mayDelete: boolean; onClose(): void; onOpen(s: SavedSearch): void }) {
  const [list, setList] = useState<SavedSearch[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => client.savedSearches().then(setList, (e: Error) => setError(e.message));
  useEffect(() => {
    void load();
  }, []);
  return (
    <Dialog title="Saved searches" onClose={onClose}>
      {error && (
        <p className="state error" role="alert">
          {error}
        </p>
      )}
      {list === null && !error && <p className="muted">Loading…</p>}
      {list?.length === 0 && <p className="muted">No saved searches yet{mayDelete ? ': run a search and press Save' : ''}.</p>}
      <ul className="savedlist" aria-label="Saved searches">
        {list?.map((s) => (
          <li key={s.id}>
            <span className="name">
              <strong>{s.name}</strong>
              <br />
              <span className="muted mono">
                {s.query || '*'} · {s.from ?? ''} → {s.to ?? ''}
              </span>
            </span>
            <button className="btn" onClick={() => onOpen(s)} aria-label={`Open ${s.name}`}>
              Open
            </button>
            {mayDelete && (
              <button
                className="btn"
                aria-label={`Delete ${s.name}`}
                onClick={async () => {
                  try {
                    await client.deleteSavedSearch(s.id);
                    await load();
                  } catch (e) {
                    setError((e as Error).message);
                  }
                }}
              >
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
