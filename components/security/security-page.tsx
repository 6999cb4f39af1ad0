'use client';
import { useMay } from '../session/session.tsx';
import { ApiKeysPanel } from './api-keys-panel.tsx';
import { UsersPanel } from './users-panel.tsx';

/** Users and API keys, for those who hold `manage_security`. */
export function SecurityPage() {
  if (!useMay('manage_security')) {
    return (
      <div className="state" role="alert">
        <h2>Not allowed</h2>
        Managing users and API keys needs the <code>manage_security</code> privilege (the admin role has it).
      </div>
    );
  }
  return (
    <div className="security">
      <UsersPanel />
      <ApiKeysPanel />
    </div>
  );
}
