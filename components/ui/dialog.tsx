'use client';
import { type ReactNode, useEffect, useRef } from 'react';

/** A modal dialog: Escape or the close button closes it, focus moves into it and back out. */
export function Dialog({ title, onClose, children, narrow = false }: { title: string; onClose(): void; children: ReactNode; narrow?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  // The latest onClose, without re-running the focus effect: a parent that re-renders (and passes a new
  // function) must not pull focus out of the field being typed in.
  const close = useRef(onClose);
  close.current = onClose;
  // Taken at the first render, before an autofocused field inside takes focus.
  const opener = useRef(typeof document === 'undefined' ? null : (document.activeElement as HTMLElement | null));
  useEffect(() => {
    const before = opener.current;
    if (!box.current?.contains(document.activeElement)) box.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close.current();
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`dialog${narrow ? ' narrow' : ''}`} role="dialog" aria-modal="true" aria-label={title} ref={box} tabIndex={-1}>
        <header>
          <h2>{title}</h2>
          <button className="btn" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        <div className="body">{children}</div>
      </div>
    </div>
  );
}
