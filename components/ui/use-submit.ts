'use client';
import { type FormEvent, useState } from 'react';

/** A form's submit handler with the state every form shows while it runs: busy (to disable the button) and the error. */
export interface Submit {
  busy: boolean;
  error: string | null;
  onSubmit(e: FormEvent): Promise<void>;
}

/**
 * Runs `action` on submit instead of the browser's own navigation; a thrown error's message becomes `error` (the
 * typed client's errors carry messages a user can act on), and the next submit clears it.
 */
export function useSubmit(action: () => Promise<void>): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, onSubmit };
}
