import type { PatternIndex } from '../segment/patterns.ts';
import type { SegmentReader } from '../segment/reader.ts';
import type { Query, TextQuery } from './ast.ts';

/** A query's matches in a segment as a set of one field's pattern ordinals (0, no word, included when it matches). */
export interface PatternMatch {
  pi: PatternIndex;
  pats: Uint32Array;
}

/**
 * Answers a query of words per pattern, when it can be: every leaf a text clause that one field's patterns answer
 * (segment/patterns.ts; SegmentReader.patternSet), the same field for all leaves that match anything in the
 * segment. A doc's truth for such a query then depends on its pattern in that field alone, so the query is
 * evaluated once per pattern instead of per doc: `user AND root`, `failed -password`, `"received block"`.
 * Returns null when it cannot be (ranges, existence, tokens with digits, words matched in two fields, or no
 * field matching at all), and the evaluator falls back to bitsets.
 */
export function matchPatterns(seg: SegmentReader, q: Query): PatternMatch | null {
  const leaves: TextQuery[] = [];
  if (!collectLeaves(q, leaves)) return null;
  let field: string | null = null;
  const sets = new Map<TextQuery, Uint32Array>();
  for (const leaf of leaves) {
    if (leaf.field !== null && leaf.number !== undefined && seg.numberColumn(leaf.field)) return null;
    for (const f of leaf.field === null ? seg.textFieldNames() : [leaf.field]) {
      if (!seg.field(f)?.text) continue;
      const set = seg.patternSet(f, leaf.tokens, leaf.prefix);
      if (set === null) return null;
      if (set.length === 0) continue;
      if (field !== null && field !== f) return null;
      field = f;
      sets.set(leaf, set);
    }
  }
  if (field === null) return null;
  const pi = seg.patternsOf(field)!;
  // One clause (the commonest query): its set, ascending, as it is.
  if (q.type === 'text') return { pi, pats: sets.get(q)! };
  const truth = evalMarks(q, sets, pi.values.length + 1);
  let n = 0;
  for (let p = 0; p < truth.length; p++) n += truth[p];
  const pats = new Uint32Array(n);
  for (let p = 0, k = 0; p < truth.length; p++) if (truth[p] === 1) pats[k++] = p;
  return { pi, pats };
}

function collectLeaves(q: Query, out: TextQuery[]): boolean {
  switch (q.type) {
    case 'text':
      out.push(q);
      return true;
    case 'and':
    case 'or':
      return q.clauses.every((c) => collectLeaves(c, out));
    case 'not':
      return collectLeaves(q.clause, out);
    default:
      return false;
  }
}

/** The query's truth per pattern ordinal (1 or 0); a leaf without a set here matches no doc of the segment. */
function evalMarks(q: Query, sets: Map<TextQuery, Uint32Array>, m: number): Uint8Array {
  switch (q.type) {
    case 'text': {
      const t = new Uint8Array(m);
      const set = sets.get(q);
      if (set) for (let i = 0; i < set.length; i++) t[set[i]] = 1;
      return t;
    }
    case 'and':
    case 'or': {
      const acc = evalMarks(q.clauses[0], sets, m);
      for (let c = 1; c < q.clauses.length; c++) {
        const x = evalMarks(q.clauses[c], sets, m);
        if (q.type === 'and') for (let p = 0; p < m; p++) acc[p] &= x[p];
        else for (let p = 0; p < m; p++) acc[p] |= x[p];
      }
      return acc;
    }
    case 'not': {
      const x = evalMarks(q.clause, sets, m);
      for (let p = 0; p < m; p++) x[p] ^= 1;
      return x;
    }
    default:
      throw new Error(`matchPatterns: ${q.type} has no pattern evaluation`);
  }
}
