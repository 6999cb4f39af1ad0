'use client';
import { type KeyboardEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { FieldInfo, FieldValue } from '../../lib/client/index.ts';
import { loadHistory } from './history.ts';
import { lexQuery, quoteValue, wordAt } from './lex.ts';
import type { QueryProblem } from './validate.ts';

interface Suggestion {
  /** Replaces the word being typed, or with `whole` the whole query. */
  insert: string;
  label: string;
  kind: string;
  whole?: boolean;
}

export interface QueryBarProps {
  value: string;
  onChange(q: string): void;
  onSubmit(q: string): void;
  fields: FieldInfo[];
  /** Frequent values of a field (for `field:` completion). */
  suggestValues(field: string): Promise<FieldValue[]>;
  /** The syntax error to show: found in the browser while typing, or answered by the node. */
  problem: QueryProblem | null;
  placeholder?: string;
}

const KEYWORDS = ['AND', 'OR', 'NOT'];
const TYPE_LABEL: Record<string, string> = { string: 'text', number: 'number', boolean: 'bool', date: 'date', mixed: 'mixed' };

/**
 * The query input: a textarea whose text is transparent over a coloured copy of itself (so the caret, selection
 * and undo stay the browser's), the failing position underlined, and completion of field names, keywords, a
 * field's frequent values and recent queries. `/` anywhere on the page focuses it; Enter searches.
 */
export function QueryBar({ value, onChange, onSubmit, fields, suggestValues, problem, placeholder }: QueryBarProps) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [caret, setCaret] = useState(0);
  const [values, setValues] = useState<{ field: string; list: FieldValue[] } | null>(null);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      e.preventDefault();
      ref.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // A long query wraps: the box grows with it, so the coloured copy underneath stays aligned.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [value]);

  const word = useMemo(() => wordAt(value, caret), [value, caret]);

  useEffect(() => {
    if (!open || word.field === null || values?.field === word.field) return;
    let live = true;
    suggestValues(word.field).then(
      (list) => live && setValues({ field: word.field!, list }),
      () => live && setValues({ field: word.field!, list: [] }),
    );
    return () => {
      live = false;
    };
  }, [open, word.field, values?.field, suggestValues]);

  const suggestions = useMemo<Suggestion[]>(() => {
    if (!open) return [];
    const p = word.prefix.toLowerCase();
    const out: Suggestion[] = [];
    if (word.field !== null) {
      const list = values?.field === word.field ? values.list : [];
      for (const v of list.map((x) => quoteValue(x))) {
        if (out.length < 10 && v.toLowerCase().replace(/^"/, '').startsWith(p.replace(/^"/, ''))) out.push({ insert: v, label: v, kind: 'value' });
      }
    } else if (p !== '') {
      for (const f of fields) if (f.name.toLowerCase().startsWith(p)) out.push({ insert: `${f.name}:`, label: f.name, kind: TYPE_LABEL[f.type] ?? f.type });
      for (const k of KEYWORDS) if (k.toLowerCase().startsWith(p) && k.toLowerCase() !== p) out.push({ insert: `${k} `, label: k, kind: 'operator' });
    }
    // Recent queries that continue what is typed, whole: picking one replaces the query.
    if (caret === value.length) {
      const whole = value.trim().toLowerCase();
      for (const h of loadHistory()) if (h.toLowerCase().startsWith(whole) && h !== value.trim()) out.push({ insert: h, label: h, kind: 'recent', whole: true });
    }
    return out.slice(0, 14);
  }, [open, word, values, fields, caret, value]);

  useEffect(() => setActive(0), [suggestions.length]);

  const accept = (s: Suggestion) => {
    let next: string;
    let at: number;
    if (s.whole) {
      next = s.insert;
      at = next.length;
    } else {
      next = value.slice(0, word.start) + s.insert + value.slice(caret);
      at = word.start + s.insert.length;
    }
    onChange(next);
    setCaret(at);
    requestAnimationFrame(() => {
      ref.current?.setSelectionRange(at, at);
      ref.current?.focus();
    });
    if (!s.insert.endsWith(':')) setOpen(false);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    const showing = open && suggestions.length > 0;
    if (e.key === 'ArrowDown' && showing) {
      e.preventDefault();
      setActive((a) => (a + 1) % suggestions.length);
    } else if (e.key === 'ArrowUp' && showing) {
      e.preventDefault();
      setActive((a) => (a - 1 + suggestions.length) % suggestions.length);
    } else if (e.key === 'Tab' && showing) {
      e.preventDefault();
      accept(suggestions[active]);
    } else if (e.key === 'Escape') {
      setOpen(false);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      setOpen(false);
      onSubmit(value);
    }
  };

  const spans = useMemo(() => lexQuery(value), [value]);
  const errAt = problem ? Math.min(problem.position, Math.max(0, value.length - 1)) : -1;
  const listId = 'query-suggestions';

  return (
    <div className={`qbar${problem ? ' invalid' : ''}`}>
      <div className="qwrap">
        <div className="qhl" aria-hidden="true">
          {spans.map((s) => {
            const text = value.slice(s.start, s.end);
            const cls = s.kind === 'space' || s.kind === 'word' ? '' : `q-${s.kind === 'not' ? 'keyword' : s.kind === 'range' ? 'number' : s.kind}`;
            if (errAt >= s.start && errAt < s.end) {
              const k = errAt - s.start;
              return (
                <span key={s.start} className={cls}>
                  {text.slice(0, k)}
                  <span className="q-error">{text.slice(k)}</span>
                </span>
              );
            }
            return (
              <span key={s.start} className={cls}>
                {text}
              </span>
            );
          })}
          {'\u200b'}
        </div>
        <textarea
          ref={ref}
          aria-label="Query"
          role="combobox"
          aria-expanded={open && suggestions.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-invalid={problem !== null}
          aria-describedby={problem ? 'query-error' : undefined}
          spellCheck={false}
          autoComplete="off"
          rows={1}
          value={value}
          placeholder={placeholder ?? 'Search: level:error "connection refused" status>=500   (press / to focus)'}
          onChange={(e) => {
            onChange(e.target.value.replace(/\n/g, ' '));
            setCaret(e.target.selectionStart);
            setOpen(true);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
        />
      </div>
      {open && suggestions.length > 0 && (
        <ul className="suggest" role="listbox" id={listId} aria-label="Suggestions">
          {suggestions.map((s, i) => (
            <li
              key={`${s.kind}:${s.label}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(s);
              }}
            >
              <span>{s.label}</span>
              <span className="kind">{s.kind}</span>
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <div className="qerror" id="query-error" role="alert">
          {problem.reason} (at position {problem.position})
        </div>
      )}
    </div>
  );
}
