'use client';
import { useCallback, useEffect, useState } from 'react';
import type { ApiKeyInfo, IndexGrant, NewApiKey } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { ConfirmDialog } from '../ui/confirm-dialog.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { SecretOnce } from '../ui/secret-once.tsx';

const EXPIRIES = [
  { value: '', label: 'Never' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
];

const grantsText = (g: IndexGrant[]) => g.map((x) => `${x.actions.join('+')} ${x.indices.join(', ')}`).join('; ');

/** API keys for agents, shippers and scripts: issue one (its secret shown once), see its use, revoke it. */
export function ApiKeysPanel() {
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
  const load = useCallback(() => client.apiKeys().then((k) => (setKeys(k), setError(null)), (e: Error) => setError(e.message)), []);
  useEffect(() => void load(), [load]);
  const closeCreate = useCallback(() => setCreating(false), []);

  return (
    <section className="panel" aria-labelledby="keys-h">
      <div className="panelhead">
        <h2 id="keys-h">API keys</h2>
        <button className="btn primary" onClick={() => setCreating(true)}>
          Create API key
        </button>
      </div>
      {error && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
      {keys === null && !error && <p className="muted pad">Loading API keys…</p>}
      {keys?.length === 0 && (
        <div className="state">
          <h2>No API keys</h2>
          Give agents and scripts an API key that may only ingest into (or read) the indices they need.
        </div>
      )}
      {keys && keys.length > 0 && (
        <table className="grid" aria-label="API keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Privileges</th>
              <th>Created by</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id} data-testid="api-key-row">
                <td>
                  {k.name}
                  <div className="muted small mono">{k.id}</div>
                </td>
                <td className="mono small">{grantsText(k.privileges)}</td>
                <td>{k.created_by}</td>
                <td title={k.created_at}>{k.created_at.slice(0, 16).replace('T', ' ')}</td>
                <td>{k.expired ? <span className="health stale">expired</span> : k.expires_at ? k.expires_at.slice(0, 10) : 'never'}</td>
                <td>{k.last_used_at ? k.last_used_at.slice(0, 16).replace('T', ' ') : '—'}</td>
                <td className="num">
                  <button className="btn small" aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <CreateApiKeyDialog onClose={closeCreate} onCreated={load} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke API key"
          action="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await client.revokeApiKey(revoking.id);
            await load();
          }}
        >
          Revoke the API key <strong>{revoking.name}</strong>? Every client using it is refused from now on; this cannot be undone.
        </ConfirmDialog>
      )}
    </section>
  );
}

function CreateApiKeyDialog({ onClose, onCreated }: { onClose(): void; onCreated(): void }) {
  const [name, setName] = useState('');
  const [indices, setIndices] = useState('');
  const [ingest, setIngest] = useState(true);
  const [read, setRead] = useState(false);
  const [expiresIn, setExpiresIn] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const patterns = indices
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const actions = [...(ingest ? ['ingest' as const] : []), ...(read ? ['read' as const] : [])];
  return (
    <Dialog title={created ? 'API key created' : 'Create API key'} onClose={onClose} narrow>
      {created ? (
        <SecretOnce label="New API key" value={created.encoded} onDone={onClose}>
          <p className="muted small">
            Send it as <code>Authorization: ApiKey …</code>, or put it in an agent&apos;s <code>output.auth.api_key</code>.
          </p>
        </SecretOnce>
      ) : (
        <form
          className="stackform"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              const k = await client.createApiKey({ name: name.trim(), privileges: [{ indices: patterns, actions }], expires_in: expiresIn === '' ? null : expiresIn });
              setCreated(k);
              onCreated();
            } catch (err) {
              setError((err as Error).message);
            } finally {
              setBusy(false);
            }
          }}
        >
          <label>
            Name
            <input className="input" autoFocus value={name} maxLength={200} onChange={(e) => setName(e.target.value)} placeholder="web servers' agents" />
          </label>
          <label>
            Index patterns
            <input className="input mono" value={indices} onChange={(e) => setIndices(e.target.value)} placeholder="web-*, nginx" />
          </label>
          <fieldset>
            <legend>Actions</legend>
            <label className="check">
              <input type="checkbox" checked={ingest} onChange={(e) => setIngest(e.target.checked)} /> ingest
            </label>
            <label className="check">
              <input type="checkbox" checked={read} onChange={(e) => setRead(e.target.checked)} /> read
            </label>
          </fieldset>
          <label>
            Expires
            <select className="select" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
              {EXPIRIES.map((x) => (
                <option key={x.value} value={x.value}>
                  {x.label}
                </option>
              ))}
            </select>
          </label>
          {error && (
            <p className="state error formerror" role="alert">
              {error}
            </p>
          )}
          <button className="btn primary" type="submit" disabled={busy || name.trim() === '' || patterns.length === 0 || actions.length === 0}>
            Create
          </button>
        </form>
      )}
    </Dialog>
  );
}
