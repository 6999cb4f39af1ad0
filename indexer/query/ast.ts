/**
 * The parsed query. `text` covers words, phrases and prefixes alike: its tokens must appear consecutively in one
 * field, and with `prefix` the last token only needs to start with the given text. A word that tokenizes into
 * several tokens (`10.0.0.1`) is therefore the same as a phrase of them.
 */
export type Query =
  | { type: 'all' }
  | {
      type: 'text';
      /** null: any string field. */
      field: string | null;
      tokens: string[];
      prefix: boolean;
      /** Set when the value was a number literal: it also matches that number in a numeric field. */
      number?: number;
    }
  | { type: 'range'; field: string; min: number; max: number; minInclusive: boolean; maxInclusive: boolean }
  | { type: 'exists'; field: string }
  | { type: 'and'; clauses: Query[] }
  | { type: 'or'; clauses: Query[] }
  | { type: 'not'; clause: Query };

export type TextQuery = Extract<Query, { type: 'text' }>;
export type RangeQuery = Extract<Query, { type: 'range' }>;

/** A short canonical form, for logs, tests and cache keys. */
export function formatQuery(q: Query): string {
  switch (q.type) {
    case 'all':
      return '*';
    case 'text': {
      const body = q.tokens.join(' ') + (q.prefix ? '*' : '');
      const f = q.field === null ? '' : q.field + ':';
      return q.tokens.length > 1 ? `${f}"${body}"` : f + body;
    }
    case 'range':
      return `${q.field}:${q.minInclusive ? '[' : '{'}${q.min} TO ${q.max}${q.maxInclusive ? ']' : '}'}`;
    case 'exists':
      return `${q.field}:*`;
    case 'and':
      return '(' + q.clauses.map(formatQuery).join(' AND ') + ')';
    case 'or':
      return '(' + q.clauses.map(formatQuery).join(' OR ') + ')';
    case 'not':
      return 'NOT ' + formatQuery(q.clause);
  }
}
