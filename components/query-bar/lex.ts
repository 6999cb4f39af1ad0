/**
 * Colours for the query bar: the query text cut into spans by kind, following the parser's rules (see
 * indexer/query/parser.ts), without parsing. A query that does not parse is still coloured up to and past its
 * error, which the bar underlines separately.
 */

export type SpanKind = 'space' | 'field' | 'op' | 'keyword' | 'not' | 'phrase' | 'number' | 'wild' | 'word' | 'paren' | 'range';
export interface Span {
  start: number;
  end: number;
  kind: SpanKind;
}

const FIELD_OP = /([A-Za-z_@][A-Za-z0-9_.@\-]*)(:>=|:<=|:>|:<|>=|<=|:|>|<)/y;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function lexQuery(s: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  const push = (end: number, kind: SpanKind) => {
    if (end > i) out.push({ start: i, end, kind });
    i = end;
  };
  const keywordAt = (kw: string) => {
    if (!s.startsWith(kw, i)) return false;
    const after = s[i + kw.length];
    return after === undefined || /[\s()]/.test(after) || (kw === 'NOT' && after === '"');
  };
  const quotedEnd = (from: number) => {
    let j = from + 1;
    while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
    return Math.min(j + 1, s.length);
  };
  const bareEnd = (from: number) => {
    let j = from;
    while (j < s.length && !/[\s()"]/.test(s[j])) j++;
    return j;
  };
  const word = (end: number) => {
    const w = s.slice(i, end);
    push(end, w.endsWith('*') ? 'wild' : NUMBER.test(w) ? 'number' : 'word');
  };
  let atClauseStart = true;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      let j = i;
      while (j < s.length && /\s/.test(s[j])) j++;
      push(j, 'space');
      atClauseStart = true;
      continue;
    }
    if (c === '(' || c === ')') {
      push(i + 1, 'paren');
      atClauseStart = true;
      continue;
    }
    if (atClauseStart && (keywordAt('AND') || keywordAt('OR') || keywordAt('NOT'))) {
      push(i + (s.startsWith('OR', i) ? 2 : 3), 'keyword');
      continue;
    }
    if (atClauseStart && c === '-' && i + 1 < s.length && !/[\s)]/.test(s[i + 1])) {
      push(i + 1, 'not');
      continue;
    }
    atClauseStart = false;
    if (c === '"') {
      push(quotedEnd(i), 'phrase');
      continue;
    }
    FIELD_OP.lastIndex = i;
    const m = FIELD_OP.exec(s);
    if (m) {
      push(i + m[1].length, 'field');
      push(i + m[2].length, 'op');
      const v = s[i];
      if (v === '"') push(quotedEnd(i), 'phrase');
      else if (v === '[' || v === '{') {
        const close = s.slice(i).search(/[\]}]/);
        push(close < 0 ? s.length : i + close + 1, 'range');
      } else if (v !== undefined && v !== '(' && !/\s/.test(v)) word(bareEnd(i));
      continue;
    }
    word(Math.max(bareEnd(i), i + 1));
  }
  return out;
}

/** Where the word being typed at `caret` starts, and whether it is a field's value (`field:val|`). */
export function wordAt(s: string, caret: number): { start: number; field: string | null; prefix: string } {
  let start = caret;
  while (start > 0 && !/[\s()]/.test(s[start - 1])) start--;
  let text = s.slice(start, caret);
  if (text.startsWith('-')) {
    start++;
    text = text.slice(1);
  }
  const m = /^([A-Za-z_@][A-Za-z0-9_.@\-]*):(.*)$/.exec(text);
  if (m) return { start: start + m[1].length + 1, field: m[1], prefix: m[2] };
  return { start, field: null, prefix: text };
}

/** A value as the query language reads it back exactly: bare when safe, otherwise quoted with escapes. */
export function quoteValue(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  if (/^[\p{L}\p{N}_][\p{L}\p{N}_.\-@/]*$/u.test(v) && !/^(AND|OR|NOT|TO)$/.test(v) && !v.endsWith('-')) return v;
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** `query` with `field:value` (or `-field:value`) added as an AND clause. */
export function addFilter(query: string, field: string, value: string | number | boolean, negate: boolean): string {
  const clause = `${negate ? '-' : ''}${field}:${quoteValue(value)}`;
  const q = query.trim();
  if (q === '' || q === '*') return clause;
  return /\bOR\b/.test(q) ? `(${q}) ${clause}` : `${q} ${clause}`;
}
