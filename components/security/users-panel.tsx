'use client';
import { useEffect, useState } from 'react';
import type { RoleInfo, UserInfo } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { useSession } from '../session/session.tsx';
import { FormError, SelectField, TextField } from '../ui/form-fields.tsx';
import { type Column, ListPanel } from '../ui/list-panel.tsx';
import { useRemoteList } from '../ui/use-remote-list.ts';
import { useSubmit } from '../ui/use-submit.ts';

/** Offered while the node's roles are unknown (their list failed): the built-in ones. */
const BUILT_IN_ROLES = ['admin', 'editor', 'viewer'];

const loadUsers = (signal: AbortSignal) => client.users(signal);

const COLUMNS: Column<UserInfo>[] = [
  { header: 'Username', cell: (u) => u.username },
  { header: 'Role', cell: (u) => u.role },
  { header: 'Created', title: (u) => u.created_at, cell: (u) => u.created_at.slice(0, 10) },
];

/** The node's users: who may sign in, with which role. New users are added here; passwords never show. */
export function UsersPanel() {
  const me = useSession();
  const list = useRemoteList(loadUsers);
  const [roles, setRoles] = useState<RoleInfo[]>([]);
  useEffect(() => {
    client.roles().then(setRoles, () => setRoles([]));
  }, []);
  return (
    <ListPanel
      headingId="users-h"
      title="Users"
      list={list}
      loading="Loading users…"
      empty={<div className="state">No users yet.</div>}
      table={{ label: 'Users', rowTestId: 'user-row', rowKey: (u) => u.username, columns: COLUMNS }}
      removal={{
        button: 'Delete',
        buttonLabel: (u) => `Delete user ${u.username}`,
        // Deleting yourself would end the session this page runs in.
        allowed: (u) => u.username !== me?.name,
        title: 'Delete user',
        action: 'Delete user',
        question: (u) => (
          <>
            Delete the user <strong>{u.username}</strong>? Their sessions end at once.
          </>
        ),
        remove: (u) => client.deleteUser(u.username),
      }}
      form={<NewUserForm roles={roles} onCreated={() => void list.reload()} />}
    />
  );
}

function NewUserForm({ roles, onCreated }: { roles: RoleInfo[]; onCreated(): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('viewer');
  const [notice, setNotice] = useState<string | null>(null);
  const submit = useSubmit(async () => {
    setNotice(null);
    const u = await client.createUser({ username: username.trim(), password, role });
    setNotice(`Created user “${u.username}” (${u.role})`);
    setUsername('');
    setPassword('');
    onCreated();
  });
  const roleNames = roles.length > 0 ? roles.map((r) => r.name) : BUILT_IN_ROLES;
  return (
    <form className="inlineform" aria-label="New user" onSubmit={submit.onSubmit}>
      <TextField label="Username" autoComplete="off" value={username} maxLength={64} onChange={setUsername} />
      <TextField label="Password" type="password" autoComplete="new-password" value={password} onChange={setPassword} />
      <SelectField label="Role" value={role} options={roleNames.map((r) => ({ value: r, label: r }))} onChange={setRole} />
      <button className="btn primary" type="submit" disabled={submit.busy || username.trim() === '' || password === ''}>
        Create user
      </button>
      {notice && (
        <span className="muted" role="status">
          {notice}
        </span>
      )}
      <FormError error={submit.error} />
    </form>
  );
}
