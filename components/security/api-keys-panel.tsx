'use client';
import { useState } from 'react';
import type { ApiKeyInfo, IndexGrant } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { type CreateDialogProps, CreateSecretDialog } from '../ui/create-secret-dialog.tsx';
import { SelectField, TextField } from '../ui/form-fields.tsx';
import { type Column, ListPanel, type RowRemoval } from '../ui/list-panel.tsx';
import { useRemoteList } from '../ui/use-remote-list.ts';

const EXPIRIES = [
  { value: '', label: 'Never' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
];

const grantsText = (g: IndexGrant[]) => g.map((x) => `${x.actions.join('+')} ${x.indices.join(', ')}`).join('; ');
const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');

const loadKeys = (signal: AbortSignal) => client.apiKeys(signal);

const COLUMNS: Column<ApiKeyInfo>[] = [
  {
    header: 'Name',
    cell: (k) => (
      <>
        {k.name}
        <div className="muted small mono">{k.id}</div>
      </>
    ),
  },
  { header: 'Privileges', cellClass: 'mono small', cell: (k) => grantsText(k.privileges) },
  { header: 'Created by', cell: (k) => k.created_by },
  { header: 'Created', title: (k) => k.created_at, cell: (k) => minute(k.created_at) },
  { header: 'Expires', cell: (k) => (k.expired ? <span className="health stale">expired</span> : k.expires_at ? k.expires_at.slice(0, 10) : 'never') },
  { header: 'Last used', cell: (k) => (k.last_used_at ? minute(k.last_used_at) : '—') },
];

const REVOKE: RowRemoval<ApiKeyInfo> = {
  button: 'Revoke',
  buttonLabel: (k) => `Revoke ${k.name}`,
  title: 'Revoke API key',
  action: 'Revoke',
  question: (k) => (
    <>
      Revoke the API key <strong>{k.name}</strong>? Every client using it is refused from now on; this cannot be undone.
    </>
  ),
  remove: (k) => client.revokeApiKey(k.id),
};

/** API keys for agents, shippers and scripts: issue one (its secret shown once), see its use, revoke it. */
export function ApiKeysPanel() {
  const list = useRemoteList(loadKeys);
  return (
    <ListPanel
      headingId="keys-h"
      title="API keys"
      list={list}
      loading="Loading API keys…"
      empty={
        <div className="state">
          <h2>No API keys</h2>
          Give agents and scripts an API key that may only ingest into (or read) the indices they need.
        </div>
      }
      table={{ label: 'API keys', rowTestId: 'api-key-row', rowKey: (k) => k.id, columns: COLUMNS }}
      removal={REVOKE}
      create={{ label: 'Create API key', dialog: CreateApiKeyDialog }}
    />
  );
}

function CreateApiKeyDialog(props: CreateDialogProps) {
  const [name, setName] = useState('');
  const [indices, setIndices] = useState('');
  const [ingest, setIngest] = useState(true);
  const [read, setRead] = useState(false);
  const [expiresIn, setExpiresIn] = useState('');
  const patterns = indices
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const actions = [...(ingest ? ['ingest' as const] : []), ...(read ? ['read' as const] : [])];
  return (
    <CreateSecretDialog
      {...props}
      title="Create API key"
      createdTitle="API key created"
      secretLabel="New API key"
      hint={
        <p className="muted small">
          Send it as <code>Authorization: ApiKey …</code>, or put it in an agent&apos;s <code>output.auth.api_key</code>.
        </p>
      }
      ready={name.trim() !== '' && patterns.length > 0 && actions.length > 0}
      create={async () => (await client.createApiKey({ name: name.trim(), privileges: [{ indices: patterns, actions }], expires_in: expiresIn === '' ? null : expiresIn })).encoded}
    >
      <TextField label="Name" autoFocus value={name} maxLength={200} onChange={setName} placeholder="web servers' agents" />
      <TextField label="Index patterns" mono value={indices} onChange={setIndices} placeholder="web-*, nginx" />
      <fieldset>
        <legend>Actions</legend>
        <label className="check">
          <input type="checkbox" checked={ingest} onChange={(e) => setIngest(e.target.checked)} /> ingest
        </label>
        <label className="check">
          <input type="checkbox" checked={read} onChange={(e) => setRead(e.target.checked)} /> read
        </label>
      </fieldset>
      <SelectField label="Expires" value={expiresIn} options={EXPIRIES} onChange={setExpiresIn} />
    </CreateSecretDialog>
  );
}
