'use client';
import { type ReactNode, useState } from 'react';
import { Dialog } from './dialog.tsx';
import { FormError } from './form-fields.tsx';
import { SecretOnce } from './secret-once.tsx';
import { useSubmit } from './use-submit.ts';

/** What a list panel hands its create dialog. */
export interface CreateDialogProps {
  onClose(): void;
  /** The list has something new: load it again. */
  onCreated(): void;
}

/**
 * A create form whose answer is a secret shown once (an API key, an enrollment token): the fields, then, in the
 * same dialog, the secret with `hint` on how to use it. The dialog stays open on the secret until Done, so
 * closing it is a choice made after the secret was seen.
 */
export function CreateSecretDialog({
  title,
  createdTitle,
  secretLabel,
  hint,
  ready,
  create,
  onClose,
  onCreated,
  children,
}: CreateDialogProps & {
  title: string;
  createdTitle: string;
  /** The secret's region and text box name. */
  secretLabel: string;
  hint: ReactNode;
  /** Whether the fields make a request worth sending (the Create button is disabled otherwise). */
  ready: boolean;
  /** Sends the request; answers the secret. */
  create(): Promise<string>;
  children: ReactNode;
}) {
  const [secret, setSecret] = useState<string | null>(null);
  const submit = useSubmit(async () => {
    setSecret(await create());
    onCreated();
  });
  return (
    <Dialog title={secret === null ? title : createdTitle} onClose={onClose} narrow>
      {secret === null ? (
        <form className="stackform" onSubmit={submit.onSubmit}>
          {children}
          <FormError error={submit.error} />
          <button className="btn primary" type="submit" disabled={submit.busy || !ready}>
            Create
          </button>
        </form>
      ) : (
        <SecretOnce label={secretLabel} value={secret} onDone={onClose}>
          {hint}
        </SecretOnce>
      )}
    </Dialog>
  );
}
