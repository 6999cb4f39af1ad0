'use client';
import type { InputHTMLAttributes } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'className'>;

/** A labelled text input (the label wraps it, so the label text is its accessible name). */
export function TextField({ label, value, onChange, mono = false, ...input }: { label: string; value: string; onChange(value: string): void; mono?: boolean } & InputProps) {
  return (
    <label>
      {label}
      <input className={mono ? 'input mono' : 'input'} value={value} onChange={(e) => onChange(e.target.value)} {...input} />
    </label>
  );
}

export interface SelectOption {
  value: string;
  label: string;
}

/** A labelled select of fixed options. */
export function SelectField({ label, value, options, onChange }: { label: string; value: string; options: readonly SelectOption[]; onChange(value: string): void }) {
  return (
    <label>
      {label}
      <select className="select" value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A form's error, announced as it appears. */
export function FormError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="state error formerror" role="alert">
      {error}
    </p>
  );
}
