'use client';
import { useState } from 'react';
import { safeNextPath } from '../session/next-path.ts';
import { signIn } from '../session/session-api.ts';

/** The sign-in form. On success the browser goes where it was headed (a path of this dashboard only). */
export function LoginForm({ next }: { next: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="loginbox"
      aria-label="Log in to Strata"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const r = await signIn(username, password);
        if (r.ok) {
          // A full load, so that the signed-in layout asks the node afresh who this is.
          window.location.assign(safeNextPath(next));
          return;
        }
        setError(r.message);
        setBusy(false);
      }}
    >
      <h1>Strata</h1>
      <p className="muted">Log in to search and tail your logs.</p>
      <label htmlFor="login-username">Username</label>
      <input id="login-username" className="input" name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
      <label htmlFor="login-password">Password</label>
      <input id="login-password" className="input" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      {error && (
        <p className="state error" role="alert">
          {error}
        </p>
      )}
      <button className="btn primary" type="submit" disabled={busy || username === '' || password === ''}>
        {busy ? 'Logging in…' : 'Log in'}
      </button>
    </form>
  );
}
