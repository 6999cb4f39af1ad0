import type { FieldValue, Fields } from '../../lib/record.ts';
import { TIMESTAMP_FIELD } from '../../lib/record.ts';
import { tokenize } from '../text/tokenize.ts';
import type { Query, TextQuery } from './ast.ts';

export type RecordMatcher = (ts: number, fields: Fields) => boolean;

/** Booleans are searched as the words `true` and `false`, in the index and in scans alike. */
export function textOf(v: FieldValue): string | null {
  return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'true' : 'false') : null;
}

/** Do `want`'s tokens appear consecutively in `text` (the last only as a prefix when `prefix`)? */
export function textContains(text: string, want: readonly string[], prefix: boolean): boolean {
  // Cheap rejection before tokenizing: every whole token must occur as a substring of the lower-cased text.
  const lower = text.toLowerCase();
  for (let i = 0; i < want.length; i++) if (!lower.includes(want[i])) return false;
  const toks = tokenize(text);
  const k = want.length;
  outer: for (let i = 0; i + k <= toks.length; i++) {
    for (let j = 0; j < k - 1; j++) if (toks[i + j] !== want[j]) continue outer;
    const last = toks[i + k - 1];
    if (prefix ? last.startsWith(want[k - 1]) : last === want[k - 1]) return true;
  }
  return false;
}

export function matchText(q: TextQuery, v: FieldValue | undefined): boolean {
  if (v === undefined) return false;
  if (typeof v === 'number') return q.field !== null && q.number !== undefined && v === q.number;
  return textContains(textOf(v)!, q.tokens, q.prefix);
}

/** Compiles a query into a predicate over one record: the head's search, and the reference for segments. */
export function compileMatcher(q: Query): RecordMatcher {
  switch (q.type) {
    case 'all':
      return () => true;
    case 'text':
      if (q.field === null) {
        return (_ts, f) => {
          for (const k in f) {
            const v = f[k];
            if (typeof v !== 'number' && matchText(q, v)) return true;
          }
          return false;
        };
      }
      return (_ts, f) => matchText(q, f[q.field!]);
    case 'range': {
      const inRange = (x: number) =>
        (q.minInclusive ? x >= q.min : x > q.min) && (q.maxInclusive ? x <= q.max : x < q.max);
      if (q.field === TIMESTAMP_FIELD) return (ts) => inRange(ts);
      return (_ts, f) => {
        const v = f[q.field];
        return typeof v === 'number' && inRange(v);
      };
    }
    case 'exists':
      if (q.field === TIMESTAMP_FIELD) return () => true;
      return (_ts, f) => f[q.field] !== undefined;
    case 'and': {
      const ms = q.clauses.map(compileMatcher);
      return (ts, f) => ms.every((m) => m(ts, f));
    }
    case 'or': {
      const ms = q.clauses.map(compileMatcher);
      return (ts, f) => ms.some((m) => m(ts, f));
    }
    case 'not': {
      const m = compileMatcher(q.clause);
      return (ts, f) => !m(ts, f);
    }
  }
}
