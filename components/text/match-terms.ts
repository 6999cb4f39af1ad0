/**
 * Which parts of a field's text the query matched, for highlighting: the text clauses of the parsed query (not
 * under a NOT), found as consecutive tokens with the indexer's own tokenizer, so a highlight means what a match
 * means. The result is a list of plain strings and marks: React renders both as text, never as HTML.
 */
import { parseQuery } from '../../indexer/query/parser.ts';
import type { Query } from '../../indexer/query/ast.ts';
import { forEachTokenSpan } from '../../indexer/text/tokenize.ts';

export interface Term {
  field: string | null;
  tokens: string[];
  prefix: boolean;
}

export type Piece = string | { mark: string };

/** The positive text terms of a query; none when it does not parse. */
export function termsOf(query: string): Term[] {
  let q: Query;
  try {
    q = parseQuery(query);
  } catch {
    return [];
  }
  const out: Term[] = [];
  const walk = (n: Query) => {
    if (n.type === 'text') out.push({ field: n.field, tokens: n.tokens, prefix: n.prefix });
    else if (n.type === 'and' || n.type === 'or') n.clauses.forEach(walk);
  };
  walk(q);
  return out;
}

/** `text` of `field` cut into plain pieces and marked matches of `terms`. */
export function markMatches(text: string, field: string, terms: readonly Term[]): Piece[] {
  const relevant = terms.filter((t) => t.field === null || t.field === field);
  if (relevant.length === 0 || text === '') return [text];
  const lower = text.toLowerCase();
  // Offsets of the lower-cased text are the text's only when lower-casing kept every length.
  if (lower.length !== text.length) return [text];
  const starts: number[] = [];
  const ends: number[] = [];
  forEachTokenSpan(lower, (s, e) => {
    starts.push(s);
    ends.push(e);
  });
  const marks: [number, number][] = [];
  for (const t of relevant) {
    const n = t.tokens.length;
    for (let i = 0; i + n <= starts.length; i++) {
      let ok = true;
      for (let k = 0; k < n && ok; k++) {
        const tok = lower.slice(starts[i + k], ends[i + k]);
        ok = t.prefix && k === n - 1 ? tok.startsWith(t.tokens[k]) : tok === t.tokens[k];
      }
      if (ok) marks.push([starts[i], ends[i + n - 1]]);
    }
  }
  if (marks.length === 0) return [text];
  marks.sort((a, b) => a[0] - b[0]);
  const out: Piece[] = [];
  let at = 0;
  for (const [s, e] of marks) {
    if (e <= at) continue;
    const from = Math.max(s, at);
    if (from > at) out.push(text.slice(at, from));
    out.push({ mark: text.slice(from, e) });
    at = e;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}
