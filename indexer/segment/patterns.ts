/**
 * Patterns of a text field (format.md, "patterns"). A doc's pattern is its value's token sequence with every token
 * that holds an ASCII digit replaced by a slot: `received block blk_1 of size 67108864` has the pattern
 * `received block ∎ of size ∎`. Log lines are printed by a few thousand statements, so a segment holds few patterns
 * (about 3,000 in 200k bench lines) while its docs number hundreds of thousands. A token without a digit (a *word*)
 * is indexed once per pattern it is in, with its positions there; each doc stores only its pattern's id. Tokens with
 * digits (ids, counters, addresses) are indexed per doc as before. On the bench corpus this took a 1M-line merged
 * segment from 0.607× to 0.430× of the raw text (DESIGN.md): the words' postings, positions and bigram terms gave
 * way to a two-byte column, and a phrase of words is answered by looking at patterns alone.
 */
import type { Bitset } from '../query/bitset.ts';
import { ByteWriter, writePositionsEntry } from './bytes.ts';
import type { TermTable } from './term-table.ts';
import { native, type NativePatterns } from '../native/index.ts';

/** How a digit token is spelled inside a stored pattern: no token can hold it. */
export const SLOT = '\u0001';
/** A slot's term id in a pattern given as term ids. */
const NONE = 0xffffffff;
/** Pattern ordinals fit in two bytes per doc. */
export const MAX_PATTERNS = 65535;

/** Whether the token is a word (indexed through patterns) rather than a token indexed per doc. */
export function isWord(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return false;
  }
  return true;
}

/**
 * Whether a field with `count` patterns over `docs` docs is indexed through them. A pattern costs its words once;
 * a doc's words cost a posting and a position each; with fewer than four docs per pattern (free text) the patterns
 * would save little and cost a scan per query, so such a field keeps per-doc postings for every token.
 */
export function patternsFit(count: number, docs: number): boolean {
  return count <= MAX_PATTERNS && (count <= 256 || count * 4 <= docs);
}

/** Per term id of the table, 1 when the term is a word. */
export function wordFlags(terms: readonly string[]): Uint8Array {
  const word = new Uint8Array(terms.length);
  for (let t = 0; t < terms.length; t++) word[t] = isWord(terms[t]) ? 1 : 0;
  return word;
}

/**
 * A seal's patterns of one field, from its term table (`word`: its wordFlags): doc d's tokens are pairs [from[d],
 * to[d]), in position order. Returns the patterns (ordinal i + 1 is `values[i]`) and each doc's ordinal (0: no
 * word), or null when the field does not fit (patternsFit). Docs whose tokens are all digit tokens get ordinal 0.
 */
export function buildPatterns(tt: TermTable, word: Uint8Array, from: Uint32Array, to: Uint32Array, n: number): { values: string[]; ords: Uint32Array } | null {
  if (native.patterns !== null) return nativePatterns(native.patterns, tt, word, from, to, n);
  const terms = tt.terms;
  const ords = new Uint32Array(n);
  // Patterns as term-id sequences (NONE for a slot) in one pool; equal hashes chain through `next`.
  let pool = new Uint32Array(1 << 12);
  const start: number[] = [0];
  const next: number[] = [];
  const byHash = new Map<number, number>();
  const pt = tt.pairTerm;
  for (let d = 0; d < n; d++) {
    const a = from[d];
    const b = to[d];
    let h = 0x811c9dc5;
    let words = 0;
    for (let i = a; i < b; i++) {
      const t = pt[i];
      if (word[t] === 1) words++;
      h = Math.imul(h ^ (word[t] === 1 ? t : NONE), 0x01000193);
    }
    if (words === 0) continue;
    h >>>= 0;
    const first = byHash.get(h);
    let p = first ?? -1;
    while (p >= 0) {
      const s = start[p];
      if (start[p + 1] - s === b - a) {
        let i = 0;
        while (i < b - a && pool[s + i] === (word[pt[a + i]] === 1 ? pt[a + i] : NONE)) i++;
        if (i === b - a) break;
      }
      p = next[p];
    }
    if (p < 0) {
      p = next.length;
      if (p >= MAX_PATTERNS) return null;
      const s = start[p];
      if (s + (b - a) > pool.length) {
        const g = new Uint32Array(Math.max(pool.length * 2, s + (b - a)));
        g.set(pool);
        pool = g;
      }
      for (let i = a; i < b; i++) pool[s + i - a] = word[pt[i]] === 1 ? pt[i] : NONE;
      start.push(s + (b - a));
      next.push(first ?? -1);
      byHash.set(h, p);
    }
    ords[d] = p + 1;
  }
  if (!patternsFit(next.length, n)) return null;
  return { values: patternStrings(terms, pool, start, next.length), ords };
}

/** buildPatterns through the compiled finder (native/patterns.cc), which finds the same patterns in the same order. */
function nativePatterns(np: NativePatterns, tt: TermTable, word: Uint8Array, from: Uint32Array, to: Uint32Array, n: number): { values: string[]; ords: Uint32Array } | null {
  const ords = new Uint32Array(n);
  const count = np.patterns(tt.pairTerm, word, from, to, n, ords);
  if (count < 0 || !patternsFit(count, n)) return null;
  const [pool, start] = np.patternTerms();
  return { values: patternStrings(tt.terms, pool, start, count), ords };
}

/** The stored spelling of `count` patterns given as term ids (NONE for a slot) in `pool`, split at `start`. */
function patternStrings(terms: readonly string[], pool: Uint32Array, start: ArrayLike<number>, count: number): string[] {
  const values = new Array<string>(count);
  const toks: string[] = [];
  for (let p = 0; p < count; p++) {
    toks.length = 0;
    for (let i = start[p]; i < start[p + 1]; i++) toks.push(pool[i] === NONE ? SLOT : terms[pool[i]]);
    values[p] = toks.join(' ');
  }
  return values;
}

/** A word's patterns (ascending ordinals) and its positions in each: pattern i's are pos[posStart[i] .. posStart[i + 1]). */
interface WordEntry {
  /** The word's number in tokenIds. */
  id: number;
  pats: Uint32Array;
  posStart: Uint32Array;
  pos: Uint32Array;
}

const EMPTY = new Uint32Array(0);
/**
 * Sets whose docs are under a third of the range read per-pattern doc lists; denser ones scan the column. Measured on
 * a 4M-doc segment, `conn*` (109 patterns, 267k docs): 14.8 ms scanning, 2.9 ms from the lists; a scan costs about
 * 3.7 ns a doc, the lists about 10 ns a matching doc.
 */
const LISTS_BELOW = 3;
/** Sparse sets of at most this many patterns are walked in order by merging their lists (see eachDesc). */
const MERGE_WAYS = 32;

/**
 * A sealed segment's patterns of one field, as loaded: each doc's ordinal (the stored column) and, built at load,
 * the words with their patterns and positions, and each pattern's doc count. Sets of patterns (ascending ordinals)
 * are what words, prefixes and phrases resolve to; their docs come from scanning the column, or, when they are few,
 * from per-pattern doc lists built on first need.
 */
export class PatternIndex {
  /**
   * Each pattern's tokens as word ids (-1 for a slot), one pattern after another: ordinal p's are
   * tokenIds[tokenStart[p] .. tokenStart[p + 1]). Phrases compare these numbers, not strings.
   */
  private tokenIds: Int32Array;
  private tokenStart: Uint32Array;
  private words = new Map<string, WordEntry>();
  /** The words in dictionary (JavaScript string) order, for prefixes. */
  readonly sortedWords: string[];
  /** Docs per ordinal. */
  readonly docCount: Uint32Array;
  /** Per-pattern doc lists (ordinal p's docs are csrDocs[csrStart[p] .. csrStart[p + 1])), once needed. */
  private csrStart: Uint32Array | null = null;
  private csrDocs: Uint32Array | null = null;
  /** Marks of the ordinals in the set being scanned for; cleared after every scan. */
  private mark: Uint8Array;
  /** Each doc's ordinal: always two bytes here (at most MAX_PATTERNS), so that the loops over it see one array type. */
  readonly ords: Uint16Array;
  /** Where docsOf gathers the docs of several patterns' lists, in doc order; all zero between calls. */
  private gather: Uint32Array | null = null;

  constructor(readonly values: readonly string[], ords: Uint8Array | Uint16Array) {
    this.ords = ords instanceof Uint16Array ? ords : Uint16Array.from(ords);
    const m = values.length + 1;
    // Per word, its id (the order of first sightings) and its (pattern, position) pairs.
    const lists = new Map<string, { id: number; l: number[] }>();
    const ids: number[] = [];
    this.tokenStart = new Uint32Array(m + 1);
    for (let p = 1; p < m; p++) {
      const toks = values[p - 1].split(' ');
      for (let j = 0; j < toks.length; j++) {
        if (toks[j] === SLOT) {
          ids.push(-1);
          continue;
        }
        let e = lists.get(toks[j]);
        if (e === undefined) lists.set(toks[j], (e = { id: lists.size, l: [] }));
        ids.push(e.id);
        e.l.push(p, j);
      }
      this.tokenStart[p + 1] = ids.length;
    }
    this.tokenIds = Int32Array.from(ids);
    for (const [w, { id, l }] of lists) {
      // Pairs (pattern, position) in pattern order, then position order within one.
      let np = 0;
      for (let i = 0; i < l.length; i += 2) if (i === 0 || l[i] !== l[i - 2]) np++;
      const pats = new Uint32Array(np);
      const posStart = new Uint32Array(np + 1);
      const pos = new Uint32Array(l.length / 2);
      let k = -1;
      for (let i = 0; i < l.length; i += 2) {
        if (i === 0 || l[i] !== l[i - 2]) {
          pats[++k] = l[i];
          posStart[k] = i / 2;
        }
        pos[i / 2] = l[i + 1];
      }
      posStart[np] = pos.length;
      this.words.set(w, { id, pats, posStart, pos });
    }
    this.sortedWords = [...lists.keys()].sort();
    this.docCount = new Uint32Array(m);
    for (let d = 0; d < this.ords.length; d++) this.docCount[this.ords[d]]++;
    this.mark = new Uint8Array(m);
  }

  get docs(): number {
    return this.ords.length;
  }

  /** The patterns holding the word (empty when none does). */
  patsOf(word: string): Uint32Array {
    return this.words.get(word)?.pats ?? EMPTY;
  }

  /** The patterns holding a word that starts with `prefix`, and how many words that is. */
  patsWithPrefix(prefix: string): { pats: Uint32Array; words: number } {
    const ws = this.sortedWords;
    let a = 0;
    let z = ws.length;
    while (a < z) {
      const mid = (a + z) >>> 1;
      if (ws[mid] < prefix) a = mid + 1;
      else z = mid;
    }
    // The words' lists, gathered, sorted and deduplicated: proportional to what they hold, not to the patterns.
    const all: number[] = [];
    let words = 0;
    for (let i = a; i < ws.length && ws[i].startsWith(prefix); i++) {
      words++;
      for (const p of this.words.get(ws[i])!.pats) all.push(p);
    }
    if (words === 1) return { pats: this.words.get(ws[a])!.pats, words };
    const sorted = Uint32Array.from(all).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i];
    return { pats: sorted.subarray(0, n), words };
  }

  /**
   * The patterns where the words follow one another (position p, p + 1, …): a phrase of words, whole. The word in
   * the fewest patterns drives; the others are compared as word ids at their offsets from it.
   */
  phrasePats(tokens: readonly string[]): Uint32Array {
    const k = tokens.length;
    const want = new Int32Array(k);
    let driver: WordEntry | null = null;
    let at = 0;
    for (let j = 0; j < k; j++) {
      const e = this.words.get(tokens[j]);
      if (!e) return EMPTY;
      want[j] = e.id;
      if (driver === null || e.pats.length < driver.pats.length) {
        driver = e;
        at = j;
      }
    }
    const d = driver!;
    const ids = this.tokenIds;
    const out: number[] = [];
    for (let i = 0; i < d.pats.length; i++) {
      const p = d.pats[i];
      const a = this.tokenStart[p];
      const len = this.tokenStart[p + 1] - a;
      for (let m = d.posStart[i]; m < d.posStart[i + 1]; m++) {
        const s = d.pos[m] - at;
        if (s < 0 || s + k > len) continue;
        let j = 0;
        while (j < k && ids[a + s + j] === want[j]) j++;
        if (j === k) {
          out.push(p);
          break;
        }
      }
    }
    return Uint32Array.from(out);
  }

  /** Positions of the word in pattern `p` (which holds it), into `out`. */
  positionsIn(word: string, p: number, out: { buf: Uint32Array; n: number }): void {
    const e = this.words.get(word)!;
    const a = lowerBound(e.pats, 0, e.pats.length, p);
    const s = e.posStart[a];
    const c = e.posStart[a + 1] - s;
    if (out.buf.length < c) out.buf = new Uint32Array(c * 2);
    for (let j = 0; j < c; j++) out.buf[j] = e.pos[s + j];
    out.n = c;
  }

  /** An upper bound of the docs of the patterns (exact for the whole segment). */
  total(pats: Uint32Array): number {
    let t = 0;
    for (let i = 0; i < pats.length; i++) t += this.docCount[pats[i]];
    return t;
  }

  /** Docs in [lo, hi) whose pattern is in `pats`. */
  count(pats: Uint32Array, lo: number, hi: number): number {
    if (pats.length === 0) return 0;
    if (lo <= 0 && hi >= this.docs) return this.total(pats);
    const [start, docs] = this.csr();
    let c = 0;
    for (let i = 0; i < pats.length; i++) {
      const p = pats[i];
      c += lowerBound(docs, start[p], start[p + 1], hi) - lowerBound(docs, start[p], start[p + 1], lo);
    }
    return c;
  }

  /** Sets the bits of docs in [lo, hi) whose pattern is in `pats`. */
  setInto(pats: Uint32Array, out: Bitset, lo: number, hi: number): void {
    if (pats.length === 0 || hi <= lo) return;
    if (this.total(pats) * LISTS_BELOW < hi - lo) return this.listsInto(pats, out.words, lo, hi);
    const mark = this.markAll(pats);
    const ords = this.ords;
    const w = out.words;
    for (let d = lo; d < hi; d++) if (mark[ords[d]] === 1) w[d >>> 5] |= 1 << (d & 31);
    this.unmark(pats);
  }

  /** Sets the bits of the patterns' docs in [lo, hi) from their doc lists. */
  private listsInto(pats: Uint32Array, w: Uint32Array, lo: number, hi: number): void {
    const [start, docs] = this.csr();
    for (let i = 0; i < pats.length; i++) {
      const p = pats[i];
      const a = lowerBound(docs, start[p], start[p + 1], lo);
      const z = lowerBound(docs, a, start[p + 1], hi);
      for (let k = a; k < z; k++) w[docs[k] >>> 5] |= 1 << (docs[k] & 31);
    }
  }

  /** Docs in [lo, hi) whose pattern is in `pats`, ascending, written into `alloc(bound)`. */
  docsOf(pats: Uint32Array, lo: number, hi: number, alloc: (n: number) => Uint32Array): Uint32Array {
    if (pats.length === 0 || hi <= lo) return alloc(0);
    if (this.total(pats) * LISTS_BELOW < hi - lo) {
      const [start, docs] = this.csr();
      const out = alloc(Math.min(this.total(pats), hi - lo));
      if (pats.length === 1) {
        const a = lowerBound(docs, start[pats[0]], start[pats[0] + 1], lo);
        const z = lowerBound(docs, a, start[pats[0] + 1], hi);
        out.set(docs.subarray(a, z));
        return out.subarray(0, z - a);
      }
      // Several lists: their bits set in a bitset of the segment, read back in order (and cleared as read).
      const w = (this.gather ??= new Uint32Array((this.docs + 31) >>> 5));
      this.listsInto(pats, w, lo, hi);
      let n = 0;
      for (let i = lo >>> 5, end = (hi + 31) >>> 5; i < end; i++) {
        let x = w[i];
        if (x === 0) continue;
        w[i] = 0;
        while (x !== 0) {
          const b = 31 - Math.clz32(x & -x);
          out[n++] = (i << 5) | b;
          x &= x - 1;
        }
      }
      return out.subarray(0, n);
    }
    const out = alloc(Math.min(this.total(pats), hi - lo));
    const mark = this.markAll(pats);
    const ords = this.ords;
    let n = 0;
    for (let d = lo; d < hi; d++) if (mark[ords[d]] === 1) out[n++] = d;
    this.unmark(pats);
    return out.subarray(0, n);
  }

  /**
   * Calls fn with docs below `hi` whose pattern is in `pats`, highest first, while it returns true. The latest hits
   * are what this is for, so it reads no more than it must: dense sets scan the column down from `hi`; sparse ones
   * merge their patterns' doc lists from the top, or, past MERGE_WAYS patterns, collect and sort them.
   */
  eachDesc(pats: Uint32Array, hi: number, fn: (doc: number) => boolean, alloc: (n: number) => Uint32Array): void {
    if (pats.length === 0) return;
    if (this.sparse(pats, 0, hi)) {
      if (pats.length <= MERGE_WAYS) return this.mergeDesc(pats, hi, fn);
      const docs = this.docsOf(pats, 0, hi, alloc);
      for (let i = docs.length - 1; i >= 0; i--) if (!fn(docs[i])) return;
      return;
    }
    const mark = this.markAll(pats);
    const ords = this.ords;
    try {
      for (let d = hi - 1; d >= 0; d--) if (mark[ords[d]] === 1 && !fn(d)) return;
    } finally {
      this.unmark(pats);
    }
  }

  /** Calls fn with docs from `lo` up whose pattern is in `pats`, lowest first, while it returns true. */
  eachAsc(pats: Uint32Array, lo: number, fn: (doc: number) => boolean, alloc: (n: number) => Uint32Array): void {
    if (pats.length === 0) return;
    const n = this.docs;
    if (this.sparse(pats, lo, n)) {
      if (pats.length <= MERGE_WAYS) return this.mergeAsc(pats, lo, fn);
      const docs = this.docsOf(pats, lo, n, alloc);
      for (let i = 0; i < docs.length; i++) if (!fn(docs[i])) return;
      return;
    }
    const mark = this.markAll(pats);
    const ords = this.ords;
    try {
      for (let d = lo; d < n; d++) if (mark[ords[d]] === 1 && !fn(d)) return;
    } finally {
      this.unmark(pats);
    }
  }

  /** A word's positions in `docs`, encoded as a term's are in a segment of this version (packed: bytes.ts), for merges. */
  encodedPositions(word: string, docs: Uint32Array): Uint8Array {
    const e = this.words.get(word)!;
    const w = new ByteWriter(docs.length * 2 + 16);
    let last = -1;
    let k = 0;
    for (let i = 0; i < docs.length; i++) {
      const p = this.ords[docs[i]];
      if (p !== last) {
        k = lowerBound(e.pats, 0, e.pats.length, p);
        last = p;
      }
      writePositionsEntry(w, e.pos, e.posStart[k], e.posStart[k + 1]);
    }
    return w.result();
  }

  /** The docs below `hi` of a few patterns' lists, highest first: one step per doc over every list's top. */
  private mergeDesc(pats: Uint32Array, hi: number, fn: (doc: number) => boolean): void {
    const [start, docs] = this.csr();
    const m = pats.length;
    // at[i]: the next doc of pattern i's list to give (its index in csrDocs), below start[pats[i]] once done.
    const at = new Int32Array(m);
    for (let i = 0; i < m; i++) at[i] = lowerBound(docs, start[pats[i]], start[pats[i] + 1], hi) - 1;
    for (;;) {
      let best = -1;
      for (let i = 0; i < m; i++) if (at[i] >= start[pats[i]] && (best < 0 || docs[at[i]] > docs[at[best]])) best = i;
      if (best < 0 || !fn(docs[at[best]--])) return;
    }
  }

  /** The docs from `lo` up of a few patterns' lists, lowest first. */
  private mergeAsc(pats: Uint32Array, lo: number, fn: (doc: number) => boolean): void {
    const [start, docs] = this.csr();
    const m = pats.length;
    const at = new Int32Array(m);
    for (let i = 0; i < m; i++) at[i] = lowerBound(docs, start[pats[i]], start[pats[i] + 1], lo);
    for (;;) {
      let best = -1;
      for (let i = 0; i < m; i++) if (at[i] < start[pats[i] + 1] && (best < 0 || docs[at[i]] < docs[at[best]])) best = i;
      if (best < 0 || !fn(docs[at[best]++])) return;
    }
  }

  /**
   * Whether a walk in doc order (eachDesc, eachAsc) should read per-pattern lists rather than the column: a walk
   * usually stops after a page of hits, so scanning stays cheaper down to a lower density than for a whole range
   * (LISTS_BELOW): a sixteenth of the docs finds 100 hits within 1,600 of them.
   */
  private sparse(pats: Uint32Array, lo: number, hi: number): boolean {
    return this.total(pats) * 16 < hi - lo;
  }

  private markAll(pats: Uint32Array): Uint8Array {
    for (let i = 0; i < pats.length; i++) this.mark[pats[i]] = 1;
    return this.mark;
  }

  private unmark(pats: Uint32Array): void {
    for (let i = 0; i < pats.length; i++) this.mark[pats[i]] = 0;
  }

  /** Each ordinal's docs, ascending: ordinal p's are `docs[start[p] .. start[p + 1])`. */
  docLists(): { start: Uint32Array; docs: Uint32Array } {
    const [start, docs] = this.csr();
    return { start, docs };
  }

  private csr(): [Uint32Array, Uint32Array] {
    if (this.csrStart === null || this.csrDocs === null) {
      const m = this.docCount.length;
      const start = new Uint32Array(m + 1);
      for (let p = 0; p < m; p++) start[p + 1] = start[p] + this.docCount[p];
      const at = start.slice(0, m);
      const docs = new Uint32Array(this.docs);
      const ords = this.ords;
      for (let d = 0; d < ords.length; d++) docs[at[ords[d]]++] = d;
      this.csrStart = start;
      this.csrDocs = docs;
    }
    return [this.csrStart, this.csrDocs];
  }
}

/** First index in a[from, to) whose value is at least v (a is ascending there). */
function lowerBound(a: Uint32Array, from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A word's docs in a range and its positions in each, for phrases mixing words with digit tokens. */
export class PatternCursor {
  constructor(
    private pi: PatternIndex,
    private word: string,
    readonly docs: Uint32Array,
  ) {}
  positions(i: number, out: { buf: Uint32Array; n: number }): void {
    this.pi.positionsIn(this.word, this.pi.ords[this.docs[i]], out);
  }
}
