'use client';
import { type ReactNode, useState } from 'react';
import { Dialog } from './dialog.tsx';

/** Asks before an action that cannot be undone; the action's error shows in the dialog. */
export function ConfirmDialog({ title, action, children, onConfirm, onClose }: { title: string; action: string; children: ReactNode; onConfirm(): Promise<void>; onClose(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={title} onClose={onClose} narrow>
      <div className="confirm">{children}</div>
      {error && (
        <p className="state error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button className="btn" onClick={onClose}>
          Cancel
        </button>
        <button
          className="btn danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
              onClose();
            } catch (e) {
              setError((e as Error).message);
              setBusy(false);
            }
          }}
        >
          {action}
        </button>
      </div>
    </Dialog>
  );
}
