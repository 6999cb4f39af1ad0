import { ByteReader, ByteWriter, skipPositionsEntry } from './bytes.ts';
import type { FileOut } from './segment-file.ts';
import type { SectionRef } from './layout.ts';

/**
 * Postings and positions of frequent tokens coded relative to the docs' patterns (segment version 6).
 *
 * In a field with patterns, a token with digits that is in many docs is mostly one slot's usual value: a port, a
 * first octet, a date. Its docs are then most or all of a few patterns' docs, at the same position in each. So
 * such a term is stored per pattern it occurs in (a *group*): which of the pattern's docs hold it (all of them,
 * all but a listed few, or a listed few, as ranks among the pattern's docs), and its usual single position there,
 * with the docs that differ flagged and their entries kept whole. A segment reader writes a grouped term out as
 * plain postings the first time a query reads it, so queries see one format; merges read the groups directly.
 *
 * Four streams, each its own section:
 * - **head**, per term: four varints, the byte lengths of its groups below and of its bytes in `docs`, `flags`
 *   and `exc` (so that a reader finds any term's bytes without decoding the ones before); then varint groups; per
 *   group: varint ordinal delta, varint `3 × docMode + posMode`, a varint count when docMode ≠ 0 (the docs left
 *   out for 1, the docs listed for 2), and varint P when posMode ≠ 2.
 *   docMode 0: every doc of the pattern; 1: all but the ranks in `docs`; 2: the ranks in `docs`.
 *   posMode 0: every doc's only position is P; 1: a byte per doc in `flags`, 0 for "only position P", 1 for an
 *   entry in `exc`; 2: every doc's entry is in `exc`.
 * - **docs**: ranks among the pattern's docs (in doc order), ascending, each as `rank − (previous rank + 1)`.
 * - **flags**: bytes as above, per group doc in doc order.
 * - **exc**: positions entries in the packed form of bytes.ts, as the plain positions stream has them.
 */
export interface GroupedRef {
  head: SectionRef;
  docs: SectionRef;
  flags: SectionRef;
  exc: SectionRef;
}

/**
 * Terms in at least this many docs of a field with patterns are grouped. Estimated on a 200k-line seal of the bench
 * corpus (zstd 1 over each stream): the postings and positions of the terms in at least 65 docs take 2.38 MB plain
 * and 1.02 MB grouped; from df 2 on, 1.42 MB would be saved in all, but each term grouped costs a header and a
 * read through the patterns.
 *
 * Only merges group. The pool's seals write every term plain (writer.ts, groupedMinDf null): grouping was 9% of a
 * seal's CPU (100k bench lines, alternated in one process: 5.2 against 4.7 µs a line), for 14% more bytes in a
 * sealed file, which a merge or compaction rewrites (merge/policy.ts); and a plain term reads faster.
 */
export const GROUPED_MIN_DF = 64;

/** Each pattern ordinal's docs, ascending: ordinal o's are `docs[start[o] .. start[o + 1])`. */
export interface PatternLists {
  readonly start: Uint32Array;
  readonly docs: Uint32Array;
}

/** A field's pattern ordinal per doc, with each doc's rank among its pattern's docs: what the writer groups by. */
export class PatternDocs {
  /** Docs per ordinal. */
  readonly count: Uint32Array;
  /** A doc's index among its ordinal's docs. */
  readonly rank: Uint32Array;
  constructor(readonly ords: ArrayLike<number>, readonly ordinals: number) {
    const n = ords.length;
    this.count = new Uint32Array(ordinals);
    this.rank = new Uint32Array(n);
    for (let d = 0; d < n; d++) this.rank[d] = this.count[ords[d]]++;
  }

  /** Each ordinal's docs (a reader gets these from the segment's patterns). */
  lists(): PatternLists {
    const start = new Uint32Array(this.ordinals + 1);
    for (let o = 0; o < this.ordinals; o++) start[o + 1] = start[o] + this.count[o];
    const docs = new Uint32Array(this.rank.length);
    for (let d = 0; d < docs.length; d++) docs[start[this.ords[d]] + this.rank[d]] = d;
    return { start, docs };
  }
}

/** A packed entry's header when the entry is one position (it is then `2p`), else -1. */
function singleHeader(b: Uint8Array, p: number): number {
  let x = b[p];
  if (x < 0x80) return x % 2 === 0 ? x : -1;
  let h = 0;
  let mul = 1;
  do {
    x = b[p++];
    h += (x & 0x7f) * mul;
    mul *= 128;
  } while (x >= 0x80);
  return h % 2 === 0 ? h : -1;
}

/** Writes a field's grouped terms, in dictionary order, into the four streams. */
export class GroupedPostingsWriter {
  private readonly head = new ByteWriter(1 << 16);
  /** The groups of the term being added, before its lengths go to `head`. */
  private readonly groups = new ByteWriter(1 << 12);
  private readonly docsOut = new ByteWriter(1 << 16);
  private readonly flags = new ByteWriter(1 << 16);
  private readonly exc = new ByteWriter(1 << 16);
  /** Group index of each ordinal for the term being added; -1 when none. */
  private readonly groupOf: Int32Array;
  terms = 0;
  constructor(private readonly pd: PatternDocs) {
    this.groupOf = new Int32Array(pd.ordinals).fill(-1);
  }

  /**
   * Adds one term: `docs[0..n)` ascending, doc i's packed positions entry at `entries[at[i] .. at[i + 1])`, each
   * holding at least one position.
   */
  add(docs: ArrayLike<number>, n: number, entries: Uint8Array, at: Uint32Array): void {
    const { ords, rank, count } = this.pd;
    const groupOf = this.groupOf;
    const touched: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = ords[docs[i]];
      if (groupOf[o] < 0) {
        groupOf[o] = 0;
        touched.push(o);
      }
    }
    touched.sort((a, b) => a - b);
    const g = touched.length;
    const gStart = new Uint32Array(g + 1);
    for (let j = 0; j < g; j++) groupOf[touched[j]] = j;
    for (let i = 0; i < n; i++) gStart[groupOf[ords[docs[i]]] + 1]++;
    for (let j = 0; j < g; j++) gStart[j + 1] += gStart[j];
    const fill = gStart.slice(0, g);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[fill[groupOf[ords[docs[i]]]]++] = i;
    for (const o of touched) groupOf[o] = -1;

    const head = this.groups;
    head.len = 0;
    const docs0 = this.docsOut.len;
    const flags0 = this.flags.len;
    const exc0 = this.exc.len;
    head.varint(g);
    let prevOrd = 0;
    for (let j = 0; j < g; j++) {
      const o = touched[j];
      head.varint(o - prevOrd);
      prevOrd = o;
      const lo = gStart[j];
      const hi = gStart[j + 1];
      const k = hi - lo;
      // The usual position: a majority vote, then a count to confirm it.
      let cand = -1;
      let votes = 0;
      for (let m = lo; m < hi; m++) {
        const h = singleHeader(entries, at[order[m]]);
        if (votes === 0) (cand = h), (votes = 1);
        else votes += h === cand ? 1 : -1;
      }
      let agree = 0;
      if (cand >= 0) for (let m = lo; m < hi; m++) if (singleHeader(entries, at[order[m]]) === cand) agree++;
      const posMode = cand >= 0 && agree === k ? 0 : cand >= 0 && agree * 2 >= k ? 1 : 2;
      const np = count[o];
      const docMode = k === np ? 0 : k * 2 > np ? 1 : 2;
      head.varint(docMode * 3 + posMode);
      if (docMode === 1) head.varint(np - k);
      else if (docMode === 2) head.varint(k);
      if (posMode !== 2) head.varint(cand / 2);

      const out = this.docsOut;
      if (docMode === 2) {
        let prev = 0;
        for (let m = lo; m < hi; m++) {
          const r = rank[docs[order[m]]];
          out.varint(r - prev);
          prev = r + 1;
        }
      } else if (docMode === 1) {
        // The pattern's ranks that the term's docs skip over.
        let prev = 0;
        let x = 0;
        for (let m = lo; m <= hi; m++) {
          const r = m < hi ? rank[docs[order[m]]] : np;
          for (; x < r; x++) {
            out.varint(x - prev);
            prev = x + 1;
          }
          x = r + 1;
        }
      }
      if (posMode === 0) continue;
      for (let m = lo; m < hi; m++) {
        const i = order[m];
        if (posMode === 1) {
          const usual = singleHeader(entries, at[i]) === cand;
          this.flags.byte(usual ? 0 : 1);
          if (usual) continue;
        }
        this.exc.range(entries, at[i], at[i + 1]);
      }
    }
    this.head.varint(head.len);
    this.head.varint(this.docsOut.len - docs0);
    this.head.varint(this.flags.len - flags0);
    this.head.varint(this.exc.len - exc0);
    this.head.bytes(head.result());
    this.terms++;
  }

  finish(out: FileOut): GroupedRef {
    return {
      head: out.writeCompressed(this.head.result()),
      docs: out.writeCompressed(this.docsOut.result()),
      flags: out.writeCompressed(this.flags.result()),
      exc: out.writeCompressed(this.exc.result()),
    };
  }
}

/**
 * Reads grouped terms back as docs and packed positions entries: in the order they were added (`next`), or any
 * one through an index of where each starts (`seek`).
 */
export class GroupedPostingsReader {
  private readonly head: ByteReader;
  private readonly docsIn: ByteReader;
  private flagAt = 0;
  private excAt = 0;
  /** The last term read: docs ascending, and its positions entries in doc order. */
  docs = new Uint32Array(0);
  readonly entries = new ByteWriter(1 << 16);
  // Per doc of the term, before the merge into doc order: the doc, and its entry (even: the header `2p` of a
  // single position; odd: 1 + 2 × its offset in exc, which is below 2 GiB as a section).
  private gDocs = new Uint32Array(0);
  private gEnt = new Uint32Array(0);
  private order = new Uint32Array(0);
  private swap = new Uint32Array(0);
  private swapDocs = new Uint32Array(0);
  /** For dense terms: a bitset of the term's docs (all zero between terms), and each doc's index. */
  private bits: Uint32Array | null = null;
  private at: Uint32Array | null = null;
  constructor(
    private readonly pd: PatternLists,
    head: Uint8Array,
    docs: Uint8Array,
    private readonly flags: Uint8Array,
    private readonly exc: Uint8Array,
  ) {
    this.head = new ByteReader(head);
    this.docsIn = new ByteReader(docs);
  }

  /**
   * Where each grouped term starts in the four streams, from one walk over `head`: term i's at
   * `[4i, 4i + 4)` (head, docs, flags, exc). `count` terms; throws when the head holds another number.
   */
  static index(head: Uint8Array, count: number): Float64Array {
    const out = new Float64Array(count * 4);
    const r = new ByteReader(head);
    let docs = 0;
    let flags = 0;
    let exc = 0;
    for (let i = 0; i < count; i++) {
      if (r.pos >= head.length) throw new Error(`grouped postings: ${i} terms where the dictionary has ${count}`);
      out[4 * i] = r.pos;
      out[4 * i + 1] = docs;
      out[4 * i + 2] = flags;
      out[4 * i + 3] = exc;
      const hl = r.varint();
      docs += r.varint();
      flags += r.varint();
      exc += r.varint();
      r.pos += hl;
    }
    if (r.pos !== head.length) throw new Error(`grouped postings: more terms than the dictionary's ${count}`);
    return out;
  }

  /** Reads the term whose starts are `index[4i, 4i + 4)` (see index), of `df` docs. */
  seek(index: Float64Array, i: number, df: number): void {
    this.head.pos = index[4 * i];
    this.docsIn.pos = index[4 * i + 1];
    this.flagAt = index[4 * i + 2];
    this.excAt = index[4 * i + 3];
    this.next(df);
  }

  /** Reads the next term, of `df` docs; throws on streams that do not add up. */
  next(df: number): void {
    const { start, docs: patDocs } = this.pd;
    const headLen = this.head.varint();
    const docsEnd = this.docsIn.pos + this.head.varint();
    const flagsEnd = this.flagAt + this.head.varint();
    const excEnd = this.excAt + this.head.varint();
    const headEnd = this.head.pos + headLen;
    if (this.gDocs.length < df) {
      this.gDocs = new Uint32Array(Math.max(df, this.gDocs.length * 2));
      this.gEnt = new Uint32Array(this.gDocs.length);
    }
    const gDocs = this.gDocs;
    const gEnt = this.gEnt;
    const g = this.head.varint();
    const bounds = new Uint32Array(g + 1);
    let o = 0;
    let at = 0;
    for (let j = 0; j < g; j++) {
      o += this.head.varint();
      const code = this.head.varint();
      const docMode = Math.floor(code / 3);
      const posMode = code % 3;
      if (o + 1 >= start.length || docMode > 2) throw new Error(`grouped postings: group of ordinal ${o}, code ${code}`);
      const np = start[o + 1] - start[o];
      const base = start[o];
      const listed = docMode === 0 ? 0 : this.head.varint();
      const k = docMode === 0 ? np : docMode === 1 ? np - listed : listed;
      const usual = posMode === 2 ? -1 : this.head.varint() * 2;
      if (k <= 0 || k > np || at + k > df) throw new Error(`grouped postings: ${k} docs of a pattern of ${np}, term of ${df}`);
      if (docMode === 0) for (let r = 0; r < np; r++) gDocs[at + r] = patDocs[base + r];
      else if (docMode === 2) {
        let r = -1;
        for (let m = 0; m < k; m++) {
          r += 1 + this.docsIn.varint();
          if (r >= np) throw new Error('grouped postings: a rank past its pattern');
          gDocs[at + m] = patDocs[base + r];
        }
      } else {
        let r = 0;
        let m = 0;
        let skip = -1;
        for (let s = 0; s < listed; s++) {
          skip += 1 + this.docsIn.varint();
          for (; r < skip && r < np; r++) gDocs[at + m++] = patDocs[base + r];
          r = skip + 1;
        }
        for (; r < np; r++) gDocs[at + m++] = patDocs[base + r];
        if (m !== k) throw new Error('grouped postings: left-out ranks do not add up');
      }
      for (let m = 0; m < k; m++) {
        if (posMode === 1 && this.flagAt >= this.flags.length) throw new Error('grouped postings: flags run out');
        if (posMode === 0 || (posMode === 1 && this.flags[this.flagAt++] === 0)) gEnt[at + m] = usual;
        else {
          if (this.excAt >= this.exc.length) throw new Error('grouped postings: positions run out');
          gEnt[at + m] = 1 + 2 * this.excAt;
          this.excAt = skipPositionsEntry(this.exc, this.excAt);
        }
      }
      at += k;
      bounds[j + 1] = at;
    }
    if (at !== df) throw new Error(`grouped postings: ${at} docs where the dictionary says ${df}`);
    if (this.head.pos !== headEnd || this.docsIn.pos !== docsEnd || this.flagAt !== flagsEnd || this.excAt !== excEnd) throw new Error('grouped postings: a term\'s lengths do not match its groups');
    this.mergeGroups(g, bounds, df);
  }

  /**
   * Each group's docs are ascending: merged pairwise in rounds (a merge sort over runs already sorted), in tight
   * loops over typed arrays; a heap of groups cost several times as much per doc.
   */
  private mergeGroups(g: number, bounds: Uint32Array, df: number): void {
    if (this.docs.length < df) this.docs = new Uint32Array(Math.max(df, this.docs.length * 2));
    if (this.order.length < df) {
      this.order = new Uint32Array(Math.max(df, this.order.length * 2));
      this.swap = new Uint32Array(this.order.length);
      this.swapDocs = new Uint32Array(this.order.length);
    }
    let docs = this.gDocs;
    let idx = this.order;
    const n = this.pd.docs.length;
    if (g > 4 && df * 128 >= n) {
      // Dense: each doc's index in a doc-indexed table, then a walk over a bitset of the docs.
      if (this.bits === null) {
        this.bits = new Uint32Array((n >>> 5) + 1);
        this.at = new Uint32Array(n);
      }
      const bits = this.bits;
      const at = this.at!;
      for (let i = 0; i < df; i++) {
        const d = docs[i];
        bits[d >>> 5] |= 1 << (d & 31);
        at[d] = i;
      }
      let o = 0;
      for (let wi = 0; wi < bits.length; wi++) {
        let word = bits[wi];
        if (word === 0) continue;
        bits[wi] = 0;
        while (word !== 0) {
          const d = (wi << 5) | (31 - Math.clz32(word & -word));
          word &= word - 1;
          this.swapDocs[o] = d;
          idx[o++] = at[d];
        }
      }
      docs = this.swapDocs;
      g = 1;
    } else for (let i = 0; i < df; i++) idx[i] = i;
    let otherDocs = this.swapDocs;
    let otherIdx = this.swap;
    let runs = g;
    let b = bounds;
    while (runs > 1) {
      const nb = new Uint32Array(((runs + 1) >> 1) + 1);
      let r = 0;
      for (let j = 0; j < runs; j += 2) {
        const lo = b[j];
        const mid = b[j + 1];
        const hi = j + 1 < runs ? b[j + 2] : mid;
        let x = lo;
        let y = mid;
        let o = lo;
        while (x < mid && y < hi) {
          if (docs[x] < docs[y]) (otherDocs[o] = docs[x]), (otherIdx[o++] = idx[x++]);
          else (otherDocs[o] = docs[y]), (otherIdx[o++] = idx[y++]);
        }
        while (x < mid) (otherDocs[o] = docs[x]), (otherIdx[o++] = idx[x++]);
        while (y < hi) (otherDocs[o] = docs[y]), (otherIdx[o++] = idx[y++]);
        nb[++r] = hi;
      }
      [docs, otherDocs] = [otherDocs, docs];
      [idx, otherIdx] = [otherIdx, idx];
      b = nb;
      runs = r;
    }
    const out = this.docs;
    const w = this.entries;
    w.len = 0;
    w.reserve(df * 5);
    let buf = w.buf;
    let p = 0;
    const gEnt = this.gEnt;
    const exc = this.exc;
    for (let o = 0; o < df; o++) {
      out[o] = docs[o];
      let e = gEnt[idx[o]];
      if ((e & 1) === 0) {
        // A single position's header, written inline: the most common entry by far.
        while (e >= 0x80) {
          buf[p++] = (e & 0x7f) | 0x80;
          e >>>= 7;
        }
        buf[p++] = e;
      } else {
        const from = e >>> 1;
        w.len = p;
        w.range(exc, from, skipPositionsEntry(exc, from));
        w.reserve((df - o) * 5);
        buf = w.buf;
        p = w.len;
      }
    }
    w.len = p;
  }
}
