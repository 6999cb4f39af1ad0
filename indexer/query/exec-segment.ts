import { TIMESTAMP_FIELD } from '../../lib/record.ts';
import type { PositionSource, SegmentReader } from '../segment/reader.ts';
import type { Query, RangeQuery, TextQuery } from './ast.ts';
import { Bitset } from './bitset.ts';
import { matchText } from './match-record.ts';

/**
 * Evaluates a query over a sealed segment into the set of matching doc ids. Only bits in [lo, hi) are meaningful
 * (the caller's time range): leaves decode just that part of their postings, and callers never read outside it.
 * Single tokens and prefixes come straight from postings; phrases and multi-token words (`10.0.0.1`) from
 * positions (see DESIGN.md). The bitset lives in scratch memory (scratch.ts): valid until the caller releases it.
 */
export function evalSegment(seg: SegmentReader, q: Query, lo = 0, hi = seg.docs): Bitset {
  const n = seg.docs;
  switch (q.type) {
    case 'all':
      return Bitset.full(n);
    case 'text':
      return textBits(seg, q, lo, hi);
    case 'range':
      return rangeBits(seg, q, lo, hi);
    case 'exists': {
      if (q.field === TIMESTAMP_FIELD) return Bitset.full(n);
      const p = seg.presenceOf(q.field);
      return p ? p.clone() : Bitset.scratch(n);
    }
    case 'and': {
      // Cheapest first would be better still; positive clauses before negations at least avoids complementing.
      const pos = q.clauses.filter((c) => c.type !== 'not');
      const neg = q.clauses.filter((c) => c.type === 'not') as Extract<Query, { type: 'not' }>[];
      const acc = pos.length > 0 ? evalSegment(seg, pos[0], lo, hi) : Bitset.full(n);
      for (let i = 1; i < pos.length; i++) acc.and(evalSegment(seg, pos[i], lo, hi));
      for (const c of neg) acc.andNot(evalSegment(seg, c.clause, lo, hi));
      return acc;
    }
    case 'or': {
      const acc = evalSegment(seg, q.clauses[0], lo, hi);
      for (let i = 1; i < q.clauses.length; i++) acc.or(evalSegment(seg, q.clauses[i], lo, hi));
      return acc;
    }
    case 'not':
      return evalSegment(seg, q.clause, lo, hi).not();
  }
}

function textBits(seg: SegmentReader, q: TextQuery, lo: number, hi: number): Bitset {
  const n = seg.docs;
  const out = Bitset.scratch(n);
  const fields = q.field === null ? seg.textFieldNames() : [q.field];
  for (const f of fields) {
    if (seg.field(f)?.text) {
      if (q.tokens.length === 1) {
        if (q.prefix) seg.prefixDocs(f, q.tokens[0], out, lo, hi);
        else seg.termInto(f, q.tokens[0], out, lo, hi);
      } else {
        phraseInto(seg, f, q, out, lo, hi);
      }
    }
  }
  if (q.field !== null && q.number !== undefined) {
    const col = seg.numberColumn(q.field);
    if (col) for (let i = lo; i < hi; i++) if (col[i] === q.number) out.set(i);
  }
  return out;
}

/**
 * A phrase of whole tokens that all store positions is answered from positions alone: intersect the tokens'
 * docs, then, for each common doc, a position p of the first token must have p + j among token j's positions.
 * Positions of docs outside the intersection are skipped undecoded. Returns false when some token has none.
 */
function phraseByPositions(seg: SegmentReader, field: string, tokens: readonly string[], out: Bitset, lo: number, hi: number): boolean {
  const k = tokens.length;
  const cursors: PositionSource[] = [];
  for (const t of tokens) {
    const c = seg.positionCursor(field, t, lo, hi);
    if (c === 'no-positions') return false;
    if (c === null) return true; // a token the field never has: no doc matches
    cursors.push(c);
  }
  // Walk the shortest list; a bitset of each other list answers "is this doc there" without walking it, and
  // only for common docs is the doc's index in that list found, by galloping forward from the last one.
  let driver = 0;
  for (let j = 1; j < k; j++) if (cursors[j].docs.length < cursors[driver].docs.length) driver = j;
  const others: number[] = [];
  for (let j = 0; j < k; j++) if (j !== driver) others.push(j);
  const member = others.map((j) => {
    const b = Bitset.scratch(hi);
    b.setAll(cursors[j].docs);
    return b.words;
  });
  const idx = new Uint32Array(k);
  const at = new Uint32Array(k);
  const posOf = Array.from({ length: k }, () => ({ buf: new Uint32Array(16), n: 0 }));
  const dd = cursors[driver].docs;
  outer: for (let i = 0; i < dd.length; i++) {
    const doc = dd[i];
    for (let m = 0; m < member.length; m++) if ((member[m][doc >>> 5] & (1 << (doc & 31))) === 0) continue outer;
    at[driver] = i;
    for (const j of others) at[j] = idx[j] = gallop(cursors[j].docs, idx[j], doc);
    for (let j = 0; j < k; j++) cursors[j].positions(at[j], posOf[j]);
    const first = posOf[0];
    for (let a = 0; a < first.n; a++) {
      const p0 = first.buf[a];
      let all = true;
      for (let j = 1; j < k && all; j++) {
        const sj = posOf[j];
        let found = false;
        for (let b = 0; b < sj.n && !found; b++) found = sj.buf[b] === p0 + j;
        all = found;
      }
      if (all) {
        out.set(doc);
        break;
      }
    }
  }
  return true;
}

/** Index of `doc` in the sorted `docs`, searching forward from `from` (the doc is known to be there). */
function gallop(docs: Uint32Array, from: number, doc: number): number {
  let step = 1;
  let lo = from;
  let hi = from;
  while (hi < docs.length && docs[hi] < doc) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi >= docs.length) hi = docs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid] < doc) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function phraseInto(seg: SegmentReader, field: string, q: TextQuery, out: Bitset, lo: number, hi: number): void {
  // Words only: the field's patterns answer it (segment/patterns.ts).
  if (!q.prefix && seg.phraseInto(field, q.tokens, out, lo, hi)) return;
  if (!q.prefix && q.tokens.length === 2) {
    // Two common tokens: their pair's own postings (segment/bigrams.ts), shorter than either token's.
    const docs = seg.bigramDocs(field, q.tokens[0], q.tokens[1], lo, hi);
    if (docs !== null) {
      out.setAll(docs);
      return;
    }
  }
  if (!q.prefix && phraseByPositions(seg, field, q.tokens, out, lo, hi)) return;
  const n = seg.docs;
  const k = q.tokens.length;
  let cand: Bitset | null = null;
  for (let i = 0; i < k; i++) {
    const b = Bitset.scratch(n);
    if (i === k - 1 && q.prefix) {
      if (seg.prefixDocs(field, q.tokens[i], b, lo, hi) === 0) return;
    } else {
      const docs = seg.termDocs(field, q.tokens[i], lo, hi);
      if (!docs) return;
      b.setAll(docs);
    }
    cand = cand === null ? b : cand.and(b);
  }
  const fieldQuery: TextQuery = { ...q, field };
  cand!.forEachAsc((doc) => {
    if (matchText(fieldQuery, seg.doc(doc)[field])) out.set(doc);
    return true;
  });
}

function rangeBits(seg: SegmentReader, q: RangeQuery, lo: number, hi: number): Bitset {
  const n = seg.docs;
  if (q.field === TIMESTAMP_FIELD) {
    const a = q.minInclusive ? seg.lowerBoundKey(q.min) : seg.lowerBoundKey(q.min, Infinity);
    const z = q.maxInclusive ? seg.lowerBoundKey(q.max, Infinity) : seg.lowerBoundKey(q.max);
    return Bitset.range(n, a, Math.max(a, z));
  }
  const out = Bitset.scratch(n);
  const col = seg.numberColumn(q.field);
  if (!col) return out;
  const { min, max, minInclusive, maxInclusive } = q;
  for (let i = lo; i < hi; i++) {
    const x = col[i];
    if ((minInclusive ? x >= min : x > min) && (maxInclusive ? x <= max : x < max)) out.set(i);
  }
  return out;
}
