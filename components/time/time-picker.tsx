'use client';
import { useEffect, useRef, useState } from 'react';
import { describeRange, QUICK_RANGES, resolveRange, type TimeRange, TimeError } from './time-range.ts';

/** Quick ranges, and a from/to pair taking date math (`now-2h`, `now/d`) or absolute times. */
export function TimePicker({ value, onChange }: { value: TimeRange; onChange(r: TimeRange): void }) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(value.from);
  const [to, setTo] = useState(value.to);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setFrom(value.from);
    setTo(value.to);
  }, [value.from, value.to]);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  const apply = () => {
    try {
      resolveRange({ from, to }, Date.now());
      setError(null);
      onChange({ from: from.trim(), to: to.trim() });
      setOpen(false);
    } catch (e) {
      setError(e instanceof TimeError ? e.message : String(e));
    }
  };

  return (
    <div className="timepicker" ref={box}>
      <button className="btn" aria-label="Time range" aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen((o) => !o)}>
        <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" style={{ marginRight: 6, verticalAlign: -1 }}>
          <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
        {describeRange(value)}
      </button>
      {open && (
        <div className="panel" role="dialog" aria-label="Choose a time range" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <div className="quick">
            <strong>Quick ranges</strong>
            {QUICK_RANGES.map((q) => (
              <button
                key={q.label}
                onClick={() => {
                  onChange({ from: q.from, to: q.to });
                  setOpen(false);
                }}
              >
                {q.label}
              </button>
            ))}
          </div>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              apply();
            }}
          >
            <strong>Range</strong>
            <label htmlFor="tp-from">From (now-2h, now-1d/d, 2026-11-29T08:00:00Z)</label>
            <input id="tp-from" className="input mono" value={from} onChange={(e) => setFrom(e.target.value)} />
            <label htmlFor="tp-to">To</label>
            <input id="tp-to" className="input mono" value={to} onChange={(e) => setTo(e.target.value)} />
            <label htmlFor="tp-abs-from">Absolute start (local time)</label>
            <input id="tp-abs-from" className="input" type="datetime-local" step="1" onChange={(e) => e.target.value && setFrom(localToIso(e.target.value))} />
            <label htmlFor="tp-abs-to">Absolute end (local time)</label>
            <input id="tp-abs-to" className="input" type="datetime-local" step="1" onChange={(e) => e.target.value && setTo(localToIso(e.target.value))} />
            {error && (
              <p className="err" role="alert">
                {error}
              </p>
            )}
            <p>
              <button type="submit" className="btn primary">
                Apply
              </button>
            </p>
          </form>
        </div>
      )}
    </div>
  );
}

/** A `datetime-local` value (local wall time, no zone) as an ISO instant. */
function localToIso(v: string): string {
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}
