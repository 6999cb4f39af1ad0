'use client';
import { type ReactNode, useRef, useState } from 'react';

/**
 * A secret the node shows this once (an API key, an enrollment token): shown as text to select, with a copy
 * button and a plain warning. Closing it is the last chance to copy.
 */
export function SecretOnce({ label, value, onDone, children }: { label: string; value: string; onDone(): void; children?: ReactNode }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied');
    } catch {
      // No clipboard API outside secure contexts (plain http to a remote host): select it for Ctrl+C instead.
      input.current?.select();
      setCopied('Selected: press Ctrl+C to copy');
    }
  };
  return (
    <div className="secret" role="region" aria-label={label}>
      <p className="warn" role="note">
        Copy it now: it is shown only this once. Strata keeps only a hash of it and cannot show it again.
      </p>
      <div className="row">
        <input ref={input} className="input mono" readOnly aria-label={label} value={value} onFocus={(e) => e.currentTarget.select()} />
        <button className="btn" onClick={copy}>
          Copy
        </button>
        {copied && (
          <span className="muted" role="status">
            {copied}
          </span>
        )}
      </div>
      {children}
      <button className="btn primary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
