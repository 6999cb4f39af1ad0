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
  const r = evalSet(q, sets);
  return { pi, pats: r.not ? complement(r.set, pi.values.length + 1) : r.set };
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

/**
 * A set of ordinals, ascending, or (`not`) every ordinal but those. Kept as sorted lists so that evaluating costs
 * what the words' pattern lists hold, not the number of patterns (a pass over thousands of ordinals per segment and
 * query measured 11 µs here, more than the rest of a query's work); only a negated result is expanded, at the end.
 */
interface OrdSet {
  set: Uint32Array;
  not: boolean;
}

function evalSet(q: Query, sets: Map<TextQuery, Uint32Array>): OrdSet {
  switch (q.type) {
    case 'text':
      return { set: sets.get(q) ?? EMPTY, not: false };
    case 'not': {
      const x = evalSet(q.clause, sets);
      return { set: x.set, not: !x.not };
    }
    case 'and':
    case 'or': {
      let acc = evalSet(q.clauses[0], sets);
      for (let c = 1; c < q.clauses.length; c++) acc = q.type === 'and' ? and(acc, evalSet(q.clauses[c], sets)) : or(acc, evalSet(q.clauses[c], sets));
      return acc;
    }
    default:
      throw new Error(`matchPatterns: ${q.type} has no pattern evaluation`);
  }
}

const EMPTY = new Uint32Array(0);

function and(a: OrdSet, b: OrdSet): OrdSet {
  if (!a.not && !b.not) return { set: merge(a.set, b.set, 'both'), not: false };
  if (!a.not) return { set: merge(a.set, b.set, 'first'), not: false };
  if (!b.not) return { set: merge(b.set, a.set, 'first'), not: false };
  return { set: merge(a.set, b.set, 'either'), not: true };
}

/** A ∪ B = ¬(¬A ∩ ¬B). */
function or(a: OrdSet, b: OrdSet): OrdSet {
  const r = and({ set: a.set, not: !a.not }, { set: b.set, not: !b.not });
  return { set: r.set, not: !r.not };
}

/** Ordinals in both lists, in the first only, or in either: one merge of the two ascending lists. */
function merge(a: Uint32Array, b: Uint32Array, keep: 'both' | 'first' | 'either'): Uint32Array {
  const out = new Uint32Array(keep === 'either' ? a.length + b.length : a.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) {
      if (keep !== 'both') out[n++] = a[i];
      i++;
    } else if (i >= a.length || b[j] < a[i]) {
      if (keep === 'either') out[n++] = b[j];
      j++;
    } else {
      if (keep !== 'first') out[n++] = a[i];
      i++;
      j++;
    }
  }
  return out.subarray(0, n);
}

/** Every ordinal below m but those of the ascending list. */
function complement(set: Uint32Array, m: number): Uint32Array {
  const out = new Uint32Array(m - set.length);
  let n = 0;
  let j = 0;
  for (let p = 0; p < m; p++) {
    if (j < set.length && set[j] === p) j++;
    else out[n++] = p;
  }
  return out;
}
