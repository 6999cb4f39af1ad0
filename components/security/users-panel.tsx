'use client';
import { useCallback, useEffect, useState } from 'react';
import type { RoleInfo, UserInfo } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { useSession } from '../session/session.tsx';
import { ConfirmDialog } from '../ui/confirm-dialog.tsx';

/** The node's users: who may sign in, with which role. New users are added here; passwords never show. */
export function UsersPanel() {
  const me = useSession();
  const [users, setUsers] = useState<UserInfo[] | null>(null);
  const [roles, setRoles] = useState<RoleInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<UserInfo | null>(null);
  const load = useCallback(() => client.users().then((u) => (setUsers(u), setError(null)), (e: Error) => setError(e.message)), []);
  useEffect(() => {
    void load();
    client.roles().then(setRoles, () => setRoles([]));
  }, [load]);

  return (
    <section className="panel" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <NewUserForm roles={roles} onCreated={load} />
      {error && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
      {users === null && !error && <p className="muted pad">Loading users…</p>}
      {users?.length === 0 && <div className="state">No users yet.</div>}
      {users && users.length > 0 && (
        <table className="grid" aria-label="Users">
          <thead>
            <tr>
              <th>Username</th>
              <th>Role</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.username} data-testid="user-row">
                <td>{u.username}</td>
                <td>{u.role}</td>
                <td title={u.created_at}>{u.created_at.slice(0, 10)}</td>
                <td className="num">
                  {u.username !== me?.name && (
                    <button className="btn small" aria-label={`Delete user ${u.username}`} onClick={() => setDeleting(u)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete user"
          action="Delete user"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await client.deleteUser(deleting.username);
            await load();
          }}
        >
          Delete the user <strong>{deleting.username}</strong>? Their sessions end at once.
        </ConfirmDialog>
      )}
    </section>
  );
}

function NewUserForm({ roles, onCreated }: { roles: RoleInfo[]; onCreated(): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('viewer');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inlineform"
      aria-label="New user"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setNotice(null);
        try {
          const u = await client.createUser({ username: username.trim(), password, role });
          setNotice(`Created user “${u.username}” (${u.role})`);
          setUsername('');
          setPassword('');
          onCreated();
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <label>
        Username
        <input className="input" autoComplete="off" value={username} maxLength={64} onChange={(e) => setUsername(e.target.value)} />
      </label>
      <label>
        Password
        <input className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <label>
        Role
        <select className="select" value={role} onChange={(e) => setRole(e.target.value)}>
          {(roles.length > 0 ? roles.map((r) => r.name) : ['admin', 'editor', 'viewer']).map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button className="btn primary" type="submit" disabled={busy || username.trim() === '' || password === ''}>
        Create user
      </button>
      {notice && (
        <span className="muted" role="status">
          {notice}
        </span>
      )}
      {error && (
        <p className="state error formerror" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
