'use client';
import { useCallback, useEffect, useState } from 'react';
import type { EnrollmentTokenInfo, NewEnrollmentToken } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { ConfirmDialog } from '../ui/confirm-dialog.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { SecretOnce } from '../ui/secret-once.tsx';

const EXPIRIES = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '', label: 'Never' },
];

/**
 * Enrollment tokens (for holders of `manage_agents`): each hands an agent config to the hosts that present it
 * with `strata agent enroll`. The dashboard builds the simple config (files into an index); richer configs go
 * through the API.
 */
export function EnrollmentTokens() {
  const [tokens, setTokens] = useState<EnrollmentTokenInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<EnrollmentTokenInfo | null>(null);
  const load = useCallback(() => client.enrollmentTokens().then((t) => (setTokens(t), setError(null)), (e: Error) => setError(e.message)), []);
  useEffect(() => void load(), [load]);
  const closeCreate = useCallback(() => setCreating(false), []);
  return (
    <section className="panel" aria-labelledby="tokens-h">
      <div className="panelhead">
        <h2 id="tokens-h">Enrollment tokens</h2>
        <button className="btn primary" onClick={() => setCreating(true)}>
          Create enrollment token
        </button>
      </div>
      {error && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
      {tokens === null && !error && <p className="muted pad">Loading enrollment tokens…</p>}
      {tokens?.length === 0 && <p className="muted pad">No enrollment tokens. Create one to enroll hosts with <code>strata agent enroll</code>.</p>}
      {tokens && tokens.length > 0 && (
        <table className="grid" aria-label="Enrollment tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th className="num">Uses</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row">
                <td>{t.name}</td>
                <td>
                  <span className={`health ${t.state === 'active' ? 'healthy' : 'stale'}`}>{t.state.replace('_', ' ')}</span>
                </td>
                <td className="num">
                  {t.uses}
                  {t.max_uses !== null ? ` / ${t.max_uses}` : ''}
                </td>
                <td>{t.expires_at ? t.expires_at.slice(0, 16).replace('T', ' ') : 'never'}</td>
                <td className="num">
                  <button className="btn small" aria-label={`Revoke token ${t.name}`} onClick={() => setRevoking(t)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <CreateTokenDialog onClose={closeCreate} onCreated={load} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke enrollment token"
          action="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await client.revokeEnrollmentToken(revoking.id);
            await load();
          }}
        >
          Revoke the enrollment token <strong>{revoking.name}</strong>? Hosts can no longer enroll with it; agents already enrolled keep running.
        </ConfirmDialog>
      )}
    </section>
  );
}

function CreateTokenDialog({ onClose, onCreated }: { onClose(): void; onCreated(): void }) {
  const [name, setName] = useState('');
  const [index, setIndex] = useState('');
  const [paths, setPaths] = useState('');
  const [expiresIn, setExpiresIn] = useState('24h');
  const [maxUses, setMaxUses] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewEnrollmentToken | null>(null);
  const pathList = paths
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return (
    <Dialog title={created ? 'Enrollment token created' : 'Create enrollment token'} onClose={onClose} narrow>
      {created ? (
        <SecretOnce label="New enrollment token" value={created.token} onDone={onClose}>
          <p className="muted small">
            On each host, with the node&apos;s URL: <code>strata agent enroll --url http://NODE:9400 --token …</code>
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
              const t = await client.createEnrollmentToken({
                name: name.trim(),
                config: { inputs: [{ type: 'file', paths: pathList }], output: { index: index.trim() } },
                expires_in: expiresIn === '' ? null : expiresIn,
                max_uses: maxUses === '' ? null : Number(maxUses),
              });
              setCreated(t);
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
            <input className="input" autoFocus value={name} maxLength={200} onChange={(e) => setName(e.target.value)} placeholder="web servers" />
          </label>
          <label>
            Index
            <input className="input mono" value={index} onChange={(e) => setIndex(e.target.value)} placeholder="app" />
          </label>
          <label>
            Files to ship (one pattern a line)
            <textarea className="input mono" rows={3} value={paths} onChange={(e) => setPaths(e.target.value)} placeholder="/var/log/app/*.log" />
          </label>
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
          <label>
            Maximum uses (empty: any)
            <input className="input" type="number" min={1} value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
          </label>
          {error && (
            <p className="state error formerror" role="alert">
              {error}
            </p>
          )}
          <button className="btn primary" type="submit" disabled={busy || name.trim() === '' || index.trim() === '' || pathList.length === 0}>
            Create
          </button>
        </form>
      )}
    </Dialog>
  );
}
