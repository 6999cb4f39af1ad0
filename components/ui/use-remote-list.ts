'use client';
import { useCallback, useEffect, useRef, useState } from 'react';

/** A list the node answers, as a panel shows it: `items` is null until the first answer. */
export interface RemoteList<T> {
  items: T[] | null;
  /** The last load's error; the items of an earlier answer stay shown beside it. */
  error: string | null;
  /** Loads again (after a create or a delete); settles when this load has answered or a newer one replaced it, and never rejects. */
  reload(): Promise<void>;
}

/**
 * Loads a list on mount and on `reload()`. Only the latest load may answer: a reload aborts the one before it, so
 * a slow, older answer cannot overwrite a newer one (a delete's reload racing the first load), and leaving the page
 * aborts what is still running. `load` should keep its identity (a module-level function): a new one loads again.
 */
export function useRemoteList<T>(load: (signal: AbortSignal) => Promise<T[]>): RemoteList<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = useRef<AbortController | null>(null);
  const reload = useCallback(async () => {
    running.current?.abort();
    const abort = new AbortController();
    running.current = abort;
    try {
      const answer = await load(abort.signal);
      if (abort.signal.aborted) return;
      setItems(answer);
      setError(null);
    } catch (e) {
      if (!abort.signal.aborted) setError((e as Error).message);
    }
  }, [load]);
  useEffect(() => {
    void reload();
    return () => running.current?.abort();
  }, [reload]);
  return { items, error, reload };
}
