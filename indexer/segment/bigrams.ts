import type { TermTable } from './term-table.ts';

/**
 * Bigram terms for common tokens, as Lucene's common-grams filter does: a phrase of two frequent tokens (`"received
 * block"`) would otherwise intersect two long postings lists and walk their positions, while the pair itself is
 * rarer than either token. A segment indexes, next to the tokens, each adjacent pair of its common tokens as one
 * term `a b` (a space, which no token holds), with postings only. `common` in the field's footer lists the common
 * tokens; a pair of them is answered from its bigram term (absent: no doc has the pair), any other pair from
 * positions.
 *
 * A merge keeps the bigrams it can keep complete: a token stays common when every input either counts it common
 * or does not have it at all, since then every input holds all the docs of each pair of such tokens.
 */

/**
 * A token is common in a segment when at least this share of its docs have it (at least one doc). Measured on a
 * 200k-line seal of the bench corpus: 1% made 356 tokens common and the segment 15% larger; 2% 242 tokens, +13%;
 * 5% 141 tokens, +10% but `failed` (4.6% of lines) fell out.
 */
export const COMMON_SHARE = 0.02;

export const bigramTerm = (a: string, b: string): string => `${a} ${b}`;

/**
 * Adds the bigram terms of the table's common tokens, one posting per doc that has the pair; returns the common
 * tokens and the first bigram term's id. Runs once every doc's text was added: bigram occurrences then come after
 * the tokens', in doc order, as the writer's sort by term expects.
 */
export function addBigrams(tt: TermTable, docs: number): { common: string[]; firstBigram: number } {
  const nTerms = tt.size;
  const pairs = tt.pairs;
  // Docs per token: occurrences come in doc order, so a token's doc changes at most once per doc.
  const df = new Uint32Array(nTerms);
  const lastDoc = new Int32Array(nTerms).fill(-1);
  for (let i = 0; i < pairs; i++) {
    const t = tt.pairTerm[i];
    const d = tt.pairDoc[i];
    if (lastDoc[t] !== d) {
      lastDoc[t] = d;
      df[t]++;
    }
  }
  const min = Math.max(1, Math.ceil(docs * COMMON_SHARE));
  const commonIdx = new Int32Array(nTerms).fill(-1);
  const common: string[] = [];
  for (let t = 0; t < nTerms; t++) if (df[t] >= min) commonIdx[t] = common.push(tt.terms[t]) - 1;
  if (common.length === 0) return { common, firstBigram: nTerms };
  const m = common.length;
  // Pair key (ci(a) * m + ci(b)) → bigram term id. Bigram ids follow the tokens' in order of creation, so the
  // last doc posted for each is kept by id.
  const ids = new Map<number, number>();
  const lastPosted: number[] = [];
  for (let i = 0; i + 1 < pairs; i++) {
    const d = tt.pairDoc[i];
    if (tt.pairDoc[i + 1] !== d || tt.pairPos[i + 1] !== tt.pairPos[i] + 1) continue;
    const a = commonIdx[tt.pairTerm[i]];
    if (a < 0) continue;
    const b = commonIdx[tt.pairTerm[i + 1]];
    if (b < 0) continue;
    const key = a * m + b;
    let id = ids.get(key);
    if (id === undefined) {
      id = tt.internWhole(bigramTerm(common[a], common[b]));
      ids.set(key, id);
    } else if (lastPosted[id - nTerms] === d) continue;
    lastPosted[id - nTerms] = d;
    tt.post(id, d, 0);
  }
  return { common: common.sort(), firstBigram: nTerms };
}

/** Tokens that stay common in a merge (see above): `common` per input, and whether the input has a token at all. */
export function mergedCommon(inputs: readonly { common: readonly string[] | undefined; has: (token: string) => boolean }[]): string[] {
  const candidates = new Set<string>();
  for (const i of inputs) for (const t of i.common ?? []) candidates.add(t);
  const sets = inputs.map((i) => new Set(i.common ?? []));
  const out: string[] = [];
  for (const t of candidates) if (inputs.every((inp, j) => sets[j].has(t) || !inp.has(t))) out.push(t);
  return out.sort();
}

/** Whether a merge keeps the term: any token, and a bigram of two tokens that stay common (see mergedCommon). */
export function keepsTerm(term: string, common: ReadonlySet<string>): boolean {
  const sp = term.indexOf(' ');
  return sp < 0 || (common.has(term.slice(0, sp)) && common.has(term.slice(sp + 1)));
}

/** The two tokens of a bigram term, or null for a token. */
export function splitBigram(term: string): [string, string] | null {
  const sp = term.indexOf(' ');
  return sp < 0 ? null : [term.slice(0, sp), term.slice(sp + 1)];
}
