'use client';
import { useState } from 'react';
import type { EnrollmentTokenInfo } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { type CreateDialogProps, CreateSecretDialog } from '../ui/create-secret-dialog.tsx';
import { SelectField, TextField } from '../ui/form-fields.tsx';
import { type Column, ListPanel, type RowRemoval } from '../ui/list-panel.tsx';
import { useRemoteList } from '../ui/use-remote-list.ts';

const EXPIRIES = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '', label: 'Never' },
];

const loadTokens = (signal: AbortSignal) => client.enrollmentTokens(signal);

const COLUMNS: Column<EnrollmentTokenInfo>[] = [
  { header: 'Name', cell: (t) => t.name },
  { header: 'State', cell: (t) => <span className={`health ${t.state === 'active' ? 'healthy' : 'stale'}`}>{t.state.replace('_', ' ')}</span> },
  {
    header: 'Uses',
    numeric: true,
    cell: (t) => (
      <>
        {t.uses}
        {t.max_uses !== null ? ` / ${t.max_uses}` : ''}
      </>
    ),
  },
  { header: 'Expires', cell: (t) => (t.expires_at ? t.expires_at.slice(0, 16).replace('T', ' ') : 'never') },
];

const REVOKE: RowRemoval<EnrollmentTokenInfo> = {
  button: 'Revoke',
  buttonLabel: (t) => `Revoke token ${t.name}`,
  title: 'Revoke enrollment token',
  action: 'Revoke',
  question: (t) => (
    <>
      Revoke the enrollment token <strong>{t.name}</strong>? Hosts can no longer enroll with it; agents already enrolled keep running.
    </>
  ),
  remove: (t) => client.revokeEnrollmentToken(t.id),
};

/**
 * Enrollment tokens (for holders of `manage_agents`): each hands an agent config to the hosts that present it
 * with `strata agent enroll`. The dashboard builds the simple config (files into an index); richer configs go
 * through the API.
 */
export function EnrollmentTokens() {
  const list = useRemoteList(loadTokens);
  return (
    <ListPanel
      headingId="tokens-h"
      title="Enrollment tokens"
      list={list}
      loading="Loading enrollment tokens…"
      empty={
        <p className="muted pad">
          No enrollment tokens. Create one to enroll hosts with <code>strata agent enroll</code>.
        </p>
      }
      table={{ label: 'Enrollment tokens', rowTestId: 'token-row', rowKey: (t) => t.id, columns: COLUMNS }}
      removal={REVOKE}
      create={{ label: 'Create enrollment token', dialog: CreateTokenDialog }}
    />
  );
}

function CreateTokenDialog(props: CreateDialogProps) {
  const [name, setName] = useState('');
  const [index, setIndex] = useState('');
  const [paths, setPaths] = useState('');
  const [expiresIn, setExpiresIn] = useState('24h');
  const [maxUses, setMaxUses] = useState('');
  const pathList = paths
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return (
    <CreateSecretDialog
      {...props}
      title="Create enrollment token"
      createdTitle="Enrollment token created"
      secretLabel="New enrollment token"
      hint={
        <p className="muted small">
          On each host, with the node&apos;s URL: <code>strata agent enroll --url http://NODE:9400 --token …</code>
        </p>
      }
      ready={name.trim() !== '' && index.trim() !== '' && pathList.length > 0}
      create={async () => {
        const created = await client.createEnrollmentToken({
          name: name.trim(),
          config: { inputs: [{ type: 'file', paths: pathList }], output: { index: index.trim() } },
          expires_in: expiresIn === '' ? null : expiresIn,
          max_uses: maxUses === '' ? null : Number(maxUses),
        });
        return created.token;
      }}
    >
      <TextField label="Name" autoFocus value={name} maxLength={200} onChange={setName} placeholder="web servers" />
      <TextField label="Index" mono value={index} onChange={setIndex} placeholder="app" />
      <label>
        Files to ship (one pattern a line)
        <textarea className="input mono" rows={3} value={paths} onChange={(e) => setPaths(e.target.value)} placeholder="/var/log/app/*.log" />
      </label>
      <SelectField label="Expires" value={expiresIn} options={EXPIRIES} onChange={setExpiresIn} />
      <TextField label="Maximum uses (empty: any)" type="number" min={1} value={maxUses} onChange={setMaxUses} />
    </CreateSecretDialog>
  );
}
