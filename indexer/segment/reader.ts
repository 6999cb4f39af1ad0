import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decompress } from 'zstd-napi';
import { StrataError } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import { crc32c } from '../log/crc.ts';
import { Bitset } from '../query/bitset.ts';
import { MAX_PREFIX_TERMS } from '../query/parser.ts';
import { ByteReader, decodeDeltas, packPositions, readPositionsEntry, unzigzag } from './bytes.ts';
import { SKIP_EVERY, TermsWriter } from './segment-file.ts';
import { scratch } from '../query/scratch.ts';
import { TermDict, expandFrontCoded } from './term-dict.ts';
import { bigramTerm } from './bigrams.ts';
import { bucketIds, type IdBuckets, type IdIndex, lowerBound, readIdIndex } from './id-section.ts';
import { StoredBlock, type StoredBlocksWriter, StoredTemplates } from './stored-blocks.ts';
import { JoinedBlock } from './joined-blocks.ts';
import { MAX_PATTERNS, PatternCursor, PatternIndex, isWord } from './patterns.ts';
import { GroupedPostingsReader } from './grouped-postings.ts';
import { type FieldMeta, GROUPED_VARIABLES_VERSION, JOINED_BLOCKS_VERSION, PACKED_POSITIONS_VERSION, SEG_MAGIC_PREFIX, SEG_MAGIC_TAIL, SEG_READABLE_VERSIONS, type SectionRef, type SegmentFooter } from './layout.ts';

interface TextIndex {
  field: string;
  terms: TermDict;
  postings: Uint8Array;
  /** Byte offset of each term's postings, plus the end: term k spans [offsets[k], offsets[k + 1]). */
  offsets: Uint32Array;
  positions: Uint8Array;
  /** Same for positions; an empty span means the term stores none. */
  posOffsets: Uint32Array;
  /** Docs per term. */
  df: Uint32Array;
  skips: Uint8Array;
  skipOffsets: Uint32Array;
  /** Decoded skip lists of long terms, by term (see blocksOf). */
  blockCache: Map<number, Blocks>;
  /** Terms stored grouped by pattern (version 6), read through `span`; null when the field has none. */
  grouped: GroupedTerms | null;
}

interface GroupedTerms {
  /** Term id → its number among the grouped terms, which is its place in `index`. */
  nth: Map<number, number>;
  index: Float64Array;
  sections: NonNullable<NonNullable<FieldMeta['text']>['grouped']>;
  head: Uint8Array;
  /** Built when the first grouped term is read: it needs the field's patterns' doc lists. */
  reader: GroupedPostingsReader | null;
  /** Grouped terms read so far, written out plain. */
  plain: Map<number, PlainTerm>;
  /** The grouped term a merge read last (see mergeRead). */
  last: { k: number; docs: Uint32Array; entries: Uint8Array } | null;
}

interface PlainTerm {
  postings: Uint8Array;
  positions: Uint8Array;
  skips: Uint8Array;
}

/** One term's bytes (see SegmentReader.span). */
interface Span {
  postings: Uint8Array;
  p0: number;
  p1: number;
  positions: Uint8Array;
  q0: number;
  q1: number;
  skips: Uint8Array;
  s0: number;
}

/**
 * Skip lists of at least this many blocks are kept decoded once read: a page of the newest hits of a frequent term
 * decoded its whole skip list (thousands of varints per segment) to start from the end, a sixth of that query's time
 * at 5M lines. A decoded entry takes 12 bytes and an encoded one at least 3, so the cache never holds more than 4×
 * the field's skips section (at 5M lines, `message` holds 5.9 MiB of skips, so at most 24 MiB, beside 216 MiB of
 * postings).
 */
const CACHED_SKIP_BLOCKS = 16;

/** Where each SKIP_EVERY-posting block of a term starts: the doc before it, and byte offsets in both streams. */
interface Blocks {
  count: number;
  prevDoc: Uint32Array;
  pOff: Uint32Array;
  qOff: Uint32Array;
}

/** A term's docs with, per doc, its token positions: doc i's positions are pos[start[i]] .. pos[start[i + 1]). */
export interface PositionalPostings {
  docs: Uint32Array;
  start: Uint32Array;
  pos: Uint32Array;
}

export interface KeywordColumn {
  values: string[];
  ords: Uint8Array | Uint16Array | Uint32Array;
}

/** Decompressed blocks kept per segment: enough for paging and phrase verification to reuse recent reads. */
const BLOCK_CACHE = 4;

/**
 * An open sealed segment. The timestamp and sequence columns are loaded at open (every query needs them); term
 * dictionaries, columns and stored blocks are read on first use and cached. The reads a query makes (`termDocs`,
 * `termDocsDesc`/`Asc`, `prefixDocs`, `positionCursor`) borrow their arrays from the query scratch arena
 * (query/scratch.ts): what they return is valid until the evaluating code calls `scratch.release()`.
 */
export class SegmentReader {
  readonly ts: Float64Array;
  readonly seq: Float64Array;
  private text = new Map<string, TextIndex>();
  private readonly spanOut: Span = { postings: new Uint8Array(0), p0: 0, p1: 0, positions: new Uint8Array(0), q0: 0, q1: 0, skips: new Uint8Array(0), s0: 0 };
  private patterns = new Map<string, PatternIndex | null>();
  /** Per patterned field, its dictionary with the words merged in (termsOf), and where each entry comes from. */
  private virtual = new Map<string, { terms: string[]; from: Int32Array }>();
  private common = new Map<string, Set<string>>();
  private textFields: string[] | undefined;
  private numbers = new Map<string, Float64Array>();
  private keywords = new Map<string, KeywordColumn>();
  private presence = new Map<string, Bitset>();
  private blockRefs: Float64Array;
  private blockCache: { block: number; docs: StoredBlock | JoinedBlock }[] = [];
  /** Version 2: the shared templates of stored blocks, once a block is read. */
  private templates: StoredTemplates | undefined;
  /** The id section once read; undefined until then. */
  private ids: IdIndex | null | undefined;
  private idBuckets: IdBuckets | undefined;
  private closed = false;
  /** Whether the positions entries are packed (version 4 on) or counted (bytes.ts). */
  private readonly packed: boolean;

  private constructor(readonly path: string, private fd: number, readonly footer: SegmentFooter, readonly bytes: number) {
    this.packed = footer.version >= PACKED_POSITIONS_VERSION;
    this.ts = new Float64Array(footer.docs);
    this.seq = new Float64Array(footer.docs);
    const tr = new ByteReader(this.section(footer.ts));
    const sr = new ByteReader(this.section(footer.seq));
    let t = 0;
    let s = 0;
    for (let i = 0; i < footer.docs; i++) {
      t = i === 0 ? unzigzag(tr.varint()) : t + tr.varint();
      s += unzigzag(sr.varint());
      this.ts[i] = t;
      this.seq[i] = s;
    }
    this.blockRefs = new Float64Array(this.sectionBuffer(footer.blocks));
  }

  static open(path: string): SegmentReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const head = readAt(fd, 0, 8);
      const magic = Buffer.from(head).toString('latin1');
      if (size < 24 || !magic.startsWith(SEG_MAGIC_PREFIX)) throw corrupt(path, 'bad header magic');
      const version = magic.charCodeAt(SEG_MAGIC_PREFIX.length);
      const tail = Buffer.from(readAt(fd, size - 16, 16));
      if (tail.toString('latin1', 8, 16) !== SEG_MAGIC_TAIL) throw corrupt(path, 'bad tail magic (incomplete write?)');
      const flen = tail.readUInt32LE(0);
      if (flen > size - 24) throw corrupt(path, 'footer length out of range');
      const fbytes = readAt(fd, size - 16 - flen, flen);
      if (crc32c(fbytes) !== tail.readUInt32LE(4)) throw corrupt(path, 'footer CRC mismatch');
      const footer = JSON.parse(Buffer.from(fbytes).toString('utf8')) as SegmentFooter;
      if (!SEG_READABLE_VERSIONS.includes(version)) throw corrupt(path, `unsupported segment version ${version}`);
      if (footer.version !== version) throw corrupt(path, `footer says version ${footer.version}, header ${version}`);
      // From version 7 on, a segment without templates stores its records joined (a seal's output).
      if (version >= 2 && version < JOINED_BLOCKS_VERSION && !footer.templates) throw corrupt(path, 'no templates section');
      return new SegmentReader(path, fd, footer, size);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get docs(): number {
    return this.footer.docs;
  }
  get minTs(): number {
    return this.footer.minTs;
  }
  get maxTs(): number {
    return this.footer.maxTs;
  }
  fieldNames(): string[] {
    return Object.keys(this.footer.fields);
  }
  field(name: string): FieldMeta | undefined {
    return this.footer.fields[name];
  }
  /** The fields with an inverted index (the footer never changes, so the list is built once). */
  textFieldNames(): readonly string[] {
    return (this.textFields ??= Object.keys(this.footer.fields).filter((f) => this.footer.fields[f].text !== undefined));
  }

  private section(ref: SectionRef): Uint8Array {
    const raw = this.rawSection(ref);
    return decompress(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  }

  /** A section's bytes, decompressed, in an ArrayBuffer of their own (aligned for any typed array over it). */
  private sectionBuffer(ref: SectionRef): ArrayBuffer {
    const raw = this.section(ref);
    return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  }

  /** A section holding JSON (keyword values, patterns). */
  private jsonSection<T>(ref: SectionRef): T {
    return JSON.parse(Buffer.from(this.section(ref)).toString('utf8')) as T;
  }

  /** A section's bytes as stored, CRC checked. */
  private rawSection(ref: SectionRef): Uint8Array {
    const raw = readAt(this.fd, ref[0], ref[1]);
    if (crc32c(raw) !== ref[2]) throw corrupt(this.path, `section CRC mismatch at byte ${ref[0]}`);
    return raw;
  }

  /** A field's dictionary as TermDict takes it: version 2 stores it front coded, version 1 joined by newlines. */
  private dictBytes(field: string, dict: Uint8Array, n: number): Buffer {
    if (this.footer.version < 2) return Buffer.from(dict.buffer, dict.byteOffset, dict.byteLength);
    try {
      return expandFrontCoded(dict, n);
    } catch (e) {
      throw corrupt(this.path, `dictionary of ${field}: ${(e as Error).message}`);
    }
  }

  private textIndex(field: string): TextIndex | null {
    let ti = this.text.get(field);
    if (ti) return ti;
    const meta = this.footer.fields[field]?.text;
    if (!meta) return null;
    const dict = this.section(meta.dict);
    const n = meta.terms;
    const lengths = new ByteReader(this.section(meta.offsets));
    const offsets = new Uint32Array(n + 1);
    const posOffsets = new Uint32Array(n + 1);
    const df = new Uint32Array(n);
    const skipOffsets = new Uint32Array(n + 1);
    for (let k = 0; k < n; k++) {
      offsets[k + 1] = offsets[k] + lengths.varint();
      posOffsets[k + 1] = posOffsets[k] + lengths.varint();
      df[k] = lengths.varint();
      skipOffsets[k + 1] = skipOffsets[k] + lengths.varint();
    }
    ti = {
      field,
      terms: new TermDict(this.dictBytes(field, dict, n), n),
      postings: this.section(meta.postings),
      offsets,
      positions: this.section(meta.positions),
      posOffsets,
      df,
      skips: this.section(meta.skips),
      skipOffsets,
      blockCache: new Map(),
      grouped: meta.grouped ? this.groupedTerms(field, meta.grouped, offsets, df) : null,
    };
    this.text.set(field, ti);
    return ti;
  }

  /** The field's grouped terms (grouped-postings.ts): which they are and where each starts; none read yet. */
  private groupedTerms(field: string, g: NonNullable<NonNullable<FieldMeta['text']>['grouped']>, offsets: Uint32Array, df: Uint32Array): GroupedTerms {
    const nth = new Map<number, number>();
    for (let k = 0; k < df.length; k++) if (offsets[k] === offsets[k + 1] && df[k] > 0) nth.set(k, nth.size);
    const head = this.section(g.head);
    try {
      return { nth, index: GroupedPostingsReader.index(head, nth.size), sections: g, head, reader: null, plain: new Map(), last: null };
    } catch (e) {
      throw corrupt(this.path, `${field}: ${(e as Error).message}`);
    }
  }

  /**
   * Where term k's bytes are: postings [p0, p1), positions [q0, q1), skip entries from s0. A plain term's are in
   * the field's streams; a grouped term's are written out plain the first time it is read, and kept. The object
   * is reused: read it (destructure it) before the next call.
   */
  private span(ti: TextIndex, k: number): Span {
    const s = this.spanOut;
    if (ti.grouped !== null && ti.offsets[k] === ti.offsets[k + 1] && ti.df[k] > 0) {
      const t = this.groupedPlain(ti, ti.grouped, k);
      s.postings = t.postings;
      s.positions = t.positions;
      s.skips = t.skips;
      s.p0 = s.q0 = s.s0 = 0;
      s.p1 = t.postings.length;
      s.q1 = t.positions.length;
      return s;
    }
    s.postings = ti.postings;
    s.positions = ti.positions;
    s.skips = ti.skips;
    s.p0 = ti.offsets[k];
    s.p1 = ti.offsets[k + 1];
    s.q0 = ti.posOffsets[k];
    s.q1 = ti.posOffsets[k + 1];
    s.s0 = ti.skipOffsets[k];
    return s;
  }

  private groupedPlain(ti: TextIndex, g: GroupedTerms, k: number): PlainTerm {
    const hit = g.plain.get(k);
    if (hit) return hit;
    const df = ti.df[k];
    const r = this.groupedReader(ti, g, k);
    const w = new TermsWriter(df * 2 + 16, 1);
    w.addEncodedPositions('', r.docs, df, r.entries.result());
    const out = w.plainStreams();
    const t = { postings: out.postings.slice(), positions: out.positions.slice(), skips: out.skips.slice() };
    g.plain.set(k, t);
    return t;
  }

  /** The field's grouped-postings reader, having just read grouped term k. */
  private groupedReader(ti: TextIndex, g: GroupedTerms, k: number): GroupedPostingsReader {
    try {
      if (g.reader === null) {
        const pi = this.patternsOf(ti.field);
        if (!pi) throw new Error('grouped postings in a field without patterns');
        g.reader = new GroupedPostingsReader(pi.docLists(), g.head, this.section(g.sections.docs), this.section(g.sections.flags), this.section(g.sections.exc));
      }
      g.reader.seek(g.index, g.nth.get(k)!, ti.df[k]);
      return g.reader;
    } catch (e) {
      throw corrupt(this.path, `${ti.field}: ${(e as Error).message}`);
    }
  }

  /** A term's whole postings, into `out` (ti.df[k] long) when given. */
  private postingsOf(ti: TextIndex, k: number, out?: Uint32Array): Uint32Array {
    const { postings, p0, p1 } = this.span(ti, k);
    return decodeDeltas(postings, p0, p1, 0, out);
  }

  private find(field: string, token: string): { ti: TextIndex; k: number } | null {
    const ti = this.textIndex(field);
    if (!ti) return null;
    const k = ti.terms.indexOf(token);
    return k < 0 ? null : { ti, k };
  }

  /** The field's common tokens, whose adjacent pairs this segment indexes as bigram terms (bigrams.ts). */
  commonTokens(field: string): readonly string[] | undefined {
    return this.footer.fields[field]?.text?.common;
  }

  /**
   * Docs in [lo, hi) that have token `b` right after token `a` in the field, from the pair's bigram term; null when
   * the segment does not index that pair (then positions answer it). In scratch memory: for queries only.
   */
  bigramDocs(field: string, a: string, b: string, lo = 0, hi = this.docs): Uint32Array | null {
    let common = this.common.get(field);
    if (common === undefined) this.common.set(field, (common = new Set(this.commonTokens(field) ?? [])));
    if (!common.has(a) || !common.has(b)) return null;
    return this.termDocs(field, bigramTerm(a, b), lo, hi) ?? new Uint32Array(0);
  }

  /** The field's patterns (patterns.ts), or null when its words are indexed per doc. */
  patternsOf(field: string): PatternIndex | null {
    let pi = this.patterns.get(field);
    if (pi !== undefined) return pi;
    const meta = this.footer.fields[field]?.text?.patterns;
    pi = null;
    if (meta) {
      const values = this.jsonSection<string[]>(meta.values);
      if (values.length > MAX_PATTERNS) throw corrupt(this.path, `patterns of ${field}: more than ${MAX_PATTERNS}`);
      let ords: Uint8Array | Uint16Array;
      if (meta.byKeyword) {
        // Stored per keyword value: each doc's pattern is its value's.
        const byKw = new Uint16Array(this.sectionBuffer(meta.byKeyword));
        const kw = this.keywordColumn(field);
        if (!kw) throw corrupt(this.path, `patterns of ${field} refer to a keyword column it lacks`);
        ords = new Uint16Array(this.docs);
        for (let d = 0; d < ords.length; d++) {
          if (kw.ords[d] >= byKw.length) throw corrupt(this.path, `patterns of ${field}: keyword ordinal ${kw.ords[d]} has no pattern`);
          ords[d] = byKw[kw.ords[d]];
        }
      } else if (meta.ords) {
        const ab = this.sectionBuffer(meta.ords);
        ords = meta.width === 1 ? new Uint8Array(ab) : new Uint16Array(ab);
      } else throw corrupt(this.path, `patterns of ${field} have no ordinals`);
      if (ords.length !== this.docs) throw corrupt(this.path, `patterns of ${field} cover ${ords.length} docs, not ${this.docs}`);
      for (let d = 0; d < ords.length; d++) if (ords[d] > values.length) throw corrupt(this.path, `patterns of ${field}: ordinal ${ords[d]} of doc ${d} is past the last`);
      pi = new PatternIndex(values, ords);
    }
    this.patterns.set(field, pi);
    return pi;
  }

  /** When the field indexes the token through its patterns: those holding it (possibly none). Else null. */
  private wordPats(field: string, token: string): { pi: PatternIndex; pats: Uint32Array } | null {
    const pi = isWord(token) ? this.patternsOf(field) : null;
    return pi && { pi, pats: pi.patsOf(token) };
  }

  /** How many docs of the segment have the token in the field. */
  termDf(field: string, token: string): number {
    const w = this.wordPats(field, token);
    if (w) return w.pi.total(w.pats);
    const f = this.find(field, token);
    return f ? f.ti.df[f.k] : 0;
  }

  /** How many docs in [lo, hi) have the token in the field. */
  termCount(field: string, token: string, lo = 0, hi = this.docs): number {
    const w = this.wordPats(field, token);
    if (w) return w.pi.count(w.pats, lo, hi);
    if (lo <= 0 && hi >= this.docs) return this.termDf(field, token);
    return this.termDocs(field, token, lo, hi)?.length ?? 0;
  }

  /** Sets the bits of the token's docs in [lo, hi); false when the field never has it. */
  termInto(field: string, token: string, out: Bitset, lo = 0, hi = this.docs): boolean {
    const w = this.wordPats(field, token);
    if (w) {
      w.pi.setInto(w.pats, out, lo, hi);
      return w.pats.length > 0;
    }
    const docs = this.termDocs(field, token, lo, hi);
    if (docs) out.setAll(docs);
    return docs !== null;
  }

  /**
   * The patterns whose docs are exactly those matching a text clause (a word, a phrase of words, or a one-token
   * prefix) in the field; null when patterns alone cannot say (no patterns, a token with a digit, a phrase ending
   * in a prefix, or a prefix that also reaches tokens with digits in the dictionary).
   */
  patternSet(field: string, tokens: readonly string[], prefix: boolean): Uint32Array | null {
    const pi = tokens.every(isWord) ? this.patternsOf(field) : null;
    if (!pi) return null;
    if (!prefix) return tokens.length === 1 ? pi.patsOf(tokens[0]) : pi.phrasePats(tokens);
    if (tokens.length !== 1) return null;
    const ti = this.textIndex(field)!;
    const k = ti.terms.lowerBound(tokens[0]);
    if (k < ti.terms.size && ti.terms.startsWith(k, tokens[0])) return null;
    const wp = pi.patsWithPrefix(tokens[0]);
    if (wp.words > MAX_PREFIX_TERMS) throw tooManyTerms(field, tokens[0]);
    return wp.pats;
  }

  /**
   * Sets the bits of docs in [lo, hi) that have the phrase of whole tokens, when the field answers it from its
   * patterns (every token a word); false when it does not (then positions answer it).
   */
  phraseInto(field: string, tokens: readonly string[], out: Bitset, lo = 0, hi = this.docs): boolean {
    const pats = this.patternSet(field, tokens, false);
    if (pats === null) return false;
    this.patternsOf(field)!.setInto(pats, out, lo, hi);
    return true;
  }

  private blocksOf(ti: TextIndex, k: number): Blocks {
    const count = Math.max(1, Math.ceil(ti.df[k] / SKIP_EVERY));
    const cache = count >= CACHED_SKIP_BLOCKS;
    if (cache) {
      const hit = ti.blockCache.get(k);
      if (hit) return hit;
    }
    // Short lists are lent by the query arena: read only while a query evaluates this segment.
    const prevDoc = cache ? new Uint32Array(count) : scratch.u32(count);
    const pOff = cache ? new Uint32Array(count) : scratch.u32(count);
    const qOff = cache ? new Uint32Array(count) : scratch.u32(count);
    prevDoc[0] = pOff[0] = qOff[0] = 0;
    const { skips, s0 } = this.span(ti, k);
    const r = new ByteReader(skips);
    r.pos = s0;
    for (let b = 1; b < count; b++) {
      prevDoc[b] = prevDoc[b - 1] + r.varint();
      pOff[b] = pOff[b - 1] + r.varint();
      qOff[b] = qOff[b - 1] + r.varint();
    }
    const bl = { count, prevDoc, pOff, qOff };
    if (cache) ti.blockCache.set(k, bl);
    return bl;
  }

  /** The block to start from for docs >= lo: the last whose preceding doc is below lo. */
  private startBlock(bl: Blocks, lo: number): number {
    let a = 0;
    let z = bl.count - 1;
    while (a < z) {
      const m = (a + z + 1) >>> 1;
      if (bl.prevDoc[m] < lo) a = m;
      else z = m - 1;
    }
    return a;
  }

  /** Docs in [lo, hi) of an exact token in a field, or null when the field never has it. */
  termDocs(field: string, token: string, lo = 0, hi = this.docs): Uint32Array | null {
    const w = this.wordPats(field, token);
    if (w) return w.pats.length === 0 ? null : w.pi.docsOf(w.pats, lo, hi, lend);
    const f = this.find(field, token);
    return f ? this.docsInRange(f.ti, f.k, lo, hi) : null;
  }

  /** In scratch memory: for queries only. */
  private docsInRange(ti: TextIndex, k: number, lo: number, hi: number): Uint32Array {
    if (lo <= 0 && hi >= this.docs) return this.postingsOf(ti, k, scratch.u32(ti.df[k]));
    const bl = this.blocksOf(ti, k);
    const b = this.startBlock(bl, lo);
    const out = scratch.u32(Math.min(ti.df[k] - b * SKIP_EVERY, hi - lo));
    const { postings: buf, p0, p1: end } = this.span(ti, k);
    let p = p0 + bl.pOff[b];
    let prev = bl.prevDoc[b];
    let n = 0;
    while (p < end) {
      let x = buf[p++];
      let v = x & 0x7f;
      let shift = 7;
      while (x >= 0x80) {
        x = buf[p++];
        v |= (x & 0x7f) << shift;
        shift += 7;
      }
      prev += v >>> 0;
      if (prev >= hi) break;
      if (prev >= lo) out[n++] = prev;
    }
    return out.subarray(0, n);
  }

  /**
   * Calls fn for the token's docs below `hi`, newest (highest) first, while it returns true: decodes one skip
   * block at a time, so the latest hits of a long list cost a block, not the list.
   */
  termDocsDesc(field: string, token: string, hi: number, fn: (doc: number) => boolean): void {
    const w = this.wordPats(field, token);
    if (w) return w.pi.eachDesc(w.pats, hi, fn, lend);
    const f = this.find(field, token);
    if (!f) return;
    const { ti, k } = f;
    const bl = this.blocksOf(ti, k);
    const { postings, p0, p1 } = this.span(ti, k);
    const buf = scratch.u32(SKIP_EVERY);
    for (let b = this.startBlock(bl, hi); b >= 0; b--) {
      const start = p0 + bl.pOff[b];
      const end = b + 1 < bl.count ? p0 + bl.pOff[b + 1] : p1;
      const docs = decodeDeltas(postings, start, end, bl.prevDoc[b], buf);
      for (let i = docs.length - 1; i >= 0; i--) if (docs[i] < hi && !fn(docs[i])) return;
    }
  }

  /** Calls `fn` with the token's docs from `lo` upwards, one skip block at a time, until it returns false. */
  termDocsAsc(field: string, token: string, lo: number, fn: (doc: number) => boolean): void {
    const w = this.wordPats(field, token);
    if (w) return w.pi.eachAsc(w.pats, lo, fn, lend);
    const f = this.find(field, token);
    if (!f) return;
    const { ti, k } = f;
    const bl = this.blocksOf(ti, k);
    const { postings, p0, p1 } = this.span(ti, k);
    const buf = scratch.u32(SKIP_EVERY);
    for (let b = this.startBlock(bl, lo); b < bl.count; b++) {
      const start = p0 + bl.pOff[b];
      const end = b + 1 < bl.count ? p0 + bl.pOff[b + 1] : p1;
      const docs = decodeDeltas(postings, start, end, bl.prevDoc[b], buf);
      for (let i = 0; i < docs.length; i++) if (docs[i] >= lo && !fn(docs[i])) return;
    }
  }

  /**
   * The token's docs in [lo, hi) with their positions; null when the field lacks the token, 'no-positions' when
   * the segment stores none for it.
   */
  termPositions(field: string, token: string, lo = 0, hi = this.docs): PositionalPostings | null | 'no-positions' {
    const w = this.wordPats(field, token);
    if (w) {
      if (w.pats.length === 0) return null;
      const c = new PatternCursor(w.pi, token, w.pi.docsOf(w.pats, lo, hi, (n) => new Uint32Array(n)));
      const start = new Uint32Array(c.docs.length + 1);
      const pos: number[] = [];
      const one = { buf: new Uint32Array(16), n: 0 };
      for (let i = 0; i < c.docs.length; i++) {
        start[i] = pos.length;
        c.positions(i, one);
        for (let j = 0; j < one.n; j++) pos.push(one.buf[j]);
      }
      start[c.docs.length] = pos.length;
      return { docs: c.docs, start, pos: Uint32Array.from(pos) };
    }
    const f = this.find(field, token);
    if (!f) return null;
    const { ti, k } = f;
    const whole = lo <= 0 && hi >= this.docs;
    const bl = whole ? null : this.blocksOf(ti, k);
    const { postings, p0, p1, positions, q0, q1 } = this.span(ti, k);
    if (q0 === q1) return 'no-positions';
    const b = bl ? this.startBlock(bl, lo) : 0;
    const from = bl ? p0 + bl.pOff[b] : p0;
    const all = decodeDeltas(postings, from, p1, bl ? bl.prevDoc[b] : 0);
    // Positions of docs before `lo` in the start block are decoded and skipped; past `hi` decoding stops.
    let stop = all.length;
    while (stop > 0 && all[stop - 1] >= hi) stop--;
    const r = new ByteReader(positions);
    r.pos = q0 + (bl ? bl.qOff[b] : 0);
    const docs = new Uint32Array(stop);
    const start = new Uint32Array(stop + 1);
    let pos = new Uint32Array(Math.max(16, q1 - r.pos));
    let n = 0;
    let at = 0;
    for (let i = 0; i < stop; i++) {
      const end = readPositionsEntry(r, this.packed, pos, at);
      if (all[i] < lo) continue;
      docs[n] = all[i];
      start[n++] = at;
      at = end;
    }
    start[n] = at;
    if (at < pos.length) pos = pos.subarray(0, at);
    return { docs: docs.subarray(0, n), start: start.subarray(0, n + 1), pos };
  }

  /**
   * A cursor over the token's docs in [lo, hi) and their positions, for phrases: `docs` are decoded up front;
   * `positions(i, out)` must be called with increasing i and skips the positions of the docs in between without
   * decoding them. Null when the field lacks the token, 'no-positions' when the segment stores none for it.
   */
  positionCursor(field: string, token: string, lo = 0, hi = this.docs): PositionSource | null | 'no-positions' {
    const w = this.wordPats(field, token);
    if (w) return w.pats.length === 0 ? null : new PatternCursor(w.pi, token, w.pi.docsOf(w.pats, lo, hi, lend));
    const f = this.find(field, token);
    if (!f) return null;
    const { ti, k } = f;
    const whole = lo <= 0 && hi >= this.docs;
    const bl = whole ? null : this.blocksOf(ti, k);
    const { postings, p0, p1, positions, q0, q1 } = this.span(ti, k);
    if (q0 === q1) return 'no-positions';
    const b = bl ? this.startBlock(bl, lo) : 0;
    const all = decodeDeltas(postings, bl ? p0 + bl.pOff[b] : p0, p1, bl ? bl.prevDoc[b] : 0, scratch.u32(ti.df[k] - b * SKIP_EVERY));
    let first = 0;
    while (first < all.length && all[first] < lo) first++;
    let stop = all.length;
    while (stop > first && all[stop - 1] >= hi) stop--;
    return new PositionCursor(all.subarray(first, stop), first, positions, q0 + (bl ? bl.qOff[b] : 0), this.packed);
  }

  /**
   * Decodes n docs' position entries (packed or counted, as `packed` says) from bytes[from, to); null when the span
   * is empty (no positions stored).
   */
  private positionsOf(bytes: Uint8Array, from: number, to: number, n: number, packed: boolean): { start: Uint32Array; pos: Uint32Array } | null {
    if (from === to) return null;
    const start = new Uint32Array(n + 1);
    const r = new ByteReader(bytes);
    r.pos = from;
    // Each position takes at least one byte, so the span's length bounds how many there are.
    let pos = new Uint32Array(to - from);
    let at = 0;
    for (let i = 0; i < n; i++) {
      start[i] = at;
      at = readPositionsEntry(r, packed, pos, at);
    }
    start[n] = at;
    if (at < pos.length) pos = pos.subarray(0, at);
    return { start, pos };
  }

  /**
   * The field's sorted term dictionary, for merging and tests. A patterned field's words are merged in, so that
   * the k-th term's docs and positions (postingsAt, positionBytesAt, …) read the same whichever way it is indexed.
   */
  termsOf(field: string): readonly string[] | null {
    const ti = this.textIndex(field);
    if (!ti) return null;
    const v = this.virtualDict(field);
    return v ? v.terms : ti.terms.all();
  }

  /** A patterned field's dictionary with its words: from[k] ≥ 0 is a dictionary index, -1 - w the w-th word. */
  private virtualDict(field: string): { terms: string[]; from: Int32Array } | null {
    const pi = this.patternsOf(field);
    if (!pi) return null;
    let v = this.virtual.get(field);
    if (v) return v;
    const a = this.textIndex(field)!.terms.all();
    const b = pi.sortedWords;
    const terms = new Array<string>(a.length + b.length);
    const from = new Int32Array(a.length + b.length);
    let i = 0;
    let j = 0;
    for (let k = 0; k < terms.length; k++) {
      if (j >= b.length || (i < a.length && a[i] < b[j])) {
        terms[k] = a[i];
        from[k] = i++;
      } else {
        terms[k] = b[j];
        from[k] = -1 - j++;
      }
    }
    this.virtual.set(field, (v = { terms, from }));
    return v;
  }

  /** The k-th term of termsOf: its dictionary index, or, for a word of a patterned field, the word. */
  private entryAt(field: string, k: number): { ti: TextIndex; k: number; word: null } | { ti: TextIndex; k: -1; word: string; pi: PatternIndex } {
    const ti = this.textIndex(field)!;
    const v = this.virtualDict(field);
    if (!v) return { ti, k, word: null };
    const f = v.from[k];
    return f >= 0 ? { ti, k: f, word: null } : { ti, k: -1, word: v.terms[k], pi: this.patternsOf(field)! };
  }

  /** Docs of the k-th term of termsOf, for merging: in `out` when it is long enough (see dfAt). */
  postingsAt(field: string, k: number, out?: Uint32Array): Uint32Array {
    const e = this.entryAt(field, k);
    if (e.word !== null) {
      const pats = e.pi.patsOf(e.word);
      const n = e.pi.total(pats);
      return e.pi.docsOf(pats, 0, this.docs, (m) => (out && out.length >= n ? out.subarray(0, m) : new Uint32Array(m)));
    }
    const raw = this.mergeRead(e.ti, e.k);
    if (raw) {
      const into = out && out.length >= raw.docs.length ? out.subarray(0, raw.docs.length) : new Uint32Array(raw.docs.length);
      into.set(raw.docs);
      return into;
    }
    return this.postingsOf(e.ti, e.k, out && out.length >= e.ti.df[e.k] ? out : undefined);
  }

  /**
   * A grouped term not yet read by a query, as docs and packed entries, for a merge: it reads every term once, so
   * writing each out plain and keeping it would cost time and hold the whole field in memory. The last one is
   * kept, because a merge asks for a term's docs and then its positions.
   */
  private mergeRead(ti: TextIndex, k: number): { docs: Uint32Array; entries: Uint8Array } | null {
    const g = ti.grouped;
    if (g === null || !g.nth.has(k) || g.plain.has(k)) return null;
    if (g.last?.k === k) return g.last;
    const r = this.groupedReader(ti, g, k);
    g.last = { k, docs: r.docs.slice(0, ti.df[k]), entries: r.entries.result().slice() };
    return g.last;
  }

  /** How many docs hold the k-th term of termsOf. */
  dfAt(field: string, k: number): number {
    const e = this.entryAt(field, k);
    return e.word !== null ? e.pi.total(e.pi.patsOf(e.word)) : e.ti.df[e.k];
  }

  /**
   * The encoded positions of the k-th term of termsOf (every doc's entry, in doc order), or null when it has none:
   * packed, as this build writes them, whatever the segment's version (a merge copies them).
   */
  positionBytesAt(field: string, k: number): Uint8Array | null {
    const e = this.entryAt(field, k);
    if (e.word !== null) return e.pi.encodedPositions(e.word, this.postingsAt(field, k));
    const raw = this.mergeRead(e.ti, e.k);
    if (raw) return raw.entries;
    const { positions, q0, q1 } = this.span(e.ti, e.k);
    if (q0 === q1) return null;
    return this.packed ? positions.subarray(q0, q1) : packPositions(positions.subarray(q0, q1), e.ti.df[e.k]);
  }

  /** Positions of the k-th term of termsOf (per doc of its postings), or null when the segment stores none for it. */
  positionsAt(field: string, k: number, docCount: number): { start: Uint32Array; pos: Uint32Array } | null {
    const e = this.entryAt(field, k);
    if (e.word === null) {
      const raw = this.mergeRead(e.ti, e.k);
      if (raw) return this.positionsOf(raw.entries, 0, raw.entries.length, docCount, true);
      const { positions, q0, q1 } = this.span(e.ti, e.k);
      return this.positionsOf(positions, q0, q1, docCount, this.packed);
    }
    const bytes = this.positionBytesAt(field, k)!;
    return this.positionsOf(bytes, 0, bytes.length, docCount, true);
  }

  /** ORs into `into` the docs in [lo, hi) of every token of the field that starts with `prefix`; returns how many terms. */
  prefixDocs(field: string, prefix: string, into: Bitset, lo = 0, hi = this.docs): number {
    const ti = this.textIndex(field);
    if (!ti) return 0;
    const k = ti.terms.lowerBound(prefix);
    let end = k;
    let words = 0;
    // A patterned field's words with the prefix are in its patterns; its dictionary holds the tokens with digits.
    const pi = this.patternsOf(field);
    const wp = pi ? pi.patsWithPrefix(prefix) : null;
    if (wp) words = wp.words;
    while (end < ti.terms.size && ti.terms.startsWith(end, prefix)) {
      // Bigram terms (`conn refused`) share the prefix but are not words of the field.
      if (!ti.terms.isBigram(end++) && ++words > MAX_PREFIX_TERMS) throw tooManyTerms(field, prefix);
    }
    if (words > MAX_PREFIX_TERMS) throw tooManyTerms(field, prefix);
    for (let t = k; t < end; t++) if (!ti.terms.isBigram(t)) into.setAll(this.docsInRange(ti, t, lo, hi));
    if (pi && wp) pi.setInto(wp.pats, into, lo, hi);
    return words;
  }

  numberColumn(field: string): Float64Array | null {
    let c = this.numbers.get(field);
    if (c) return c;
    const ref = this.footer.fields[field]?.number;
    if (!ref) return null;
    c = new Float64Array(this.sectionBuffer(ref));
    this.numbers.set(field, c);
    return c;
  }

  keywordColumn(field: string): KeywordColumn | null {
    let c = this.keywords.get(field);
    if (c) return c;
    const meta = this.footer.fields[field]?.keyword;
    if (!meta) return null;
    const values = this.jsonSection<string[]>(meta.values);
    const ab = this.sectionBuffer(meta.ords);
    const ords = meta.width === 1 ? new Uint8Array(ab) : meta.width === 2 ? new Uint16Array(ab) : new Uint32Array(ab);
    c = { values, ords };
    this.keywords.set(field, c);
    return c;
  }

  /** The distinct string values of a field's keyword column (sorted), without reading its per-doc ordinals. */
  keywordValues(field: string): readonly string[] | null {
    const cached = this.keywords.get(field);
    if (cached) return cached.values;
    const meta = this.footer.fields[field]?.keyword;
    if (!meta) return null;
    return this.jsonSection<string[]>(meta.values);
  }

  presenceOf(field: string): Bitset | null {
    let b = this.presence.get(field);
    if (b) return b;
    const ref = this.footer.fields[field]?.presence;
    if (!ref) return null;
    b = new Bitset(this.docs, new Uint32Array(this.sectionBuffer(ref)));
    this.presence.set(field, b);
    return b;
  }

  /** The stored JSON text of a doc's fields. */
  docJson(doc: number): string {
    const bd = this.footer.blockDocs;
    const block = Math.floor(doc / bd);
    return this.cachedBlock(block).doc(doc - block * bd);
  }

  /**
   * Adds a doc's stored record to a segment being written: copied as encoded from template blocks, split into a
   * template and variables from joined ones (its UTF-8 bytes as they are stored, no string made).
   */
  copyStored(doc: number, w: StoredBlocksWriter): void {
    const bd = this.footer.blockDocs;
    const block = Math.floor(doc / bd);
    const b = this.cachedBlock(block);
    if (b instanceof StoredBlock) w.copy(b, doc - block * bd);
    else b.copyTo(doc - block * bd, w);
  }

  /** Whether the stored records are joined JSON, as a seal writes them: a merge would rewrite them compact. */
  get storedJoined(): boolean {
    return this.footer.templates === undefined;
  }

  private cachedBlock(block: number): StoredBlock | JoinedBlock {
    let hit = this.blockCache.find((c) => c.block === block);
    if (!hit) {
      hit = { block, docs: this.readBlock(block) };
      this.blockCache.unshift(hit);
      if (this.blockCache.length > BLOCK_CACHE) this.blockCache.pop();
    }
    return hit.docs;
  }

  private readBlock(block: number): StoredBlock | JoinedBlock {
    const ref: SectionRef = [this.blockRefs[block * 3], this.blockRefs[block * 3 + 1], this.blockRefs[block * 3 + 2]];
    const tref = this.footer.templates;
    if (!tref) {
      const docs = Math.min(this.footer.blockDocs, this.docs - block * this.footer.blockDocs);
      const joined = JoinedBlock.split(this.section(ref), docs);
      if (joined === null) throw corrupt(this.path, `stored block ${block} does not hold its ${docs} docs`);
      return joined;
    }
    const raw = this.rawSection(ref);
    try {
      this.templates ??= StoredTemplates.parse(this.section(tref));
      return new StoredBlock(raw, this.templates, this.footer.version >= GROUPED_VARIABLES_VERSION);
    } catch (e) {
      throw corrupt(this.path, `stored block ${block} does not decode: ${(e as Error).message}`);
    }
  }

  doc(doc: number): Fields {
    return JSON.parse(this.docJson(doc)) as Fields;
  }

  /** The segment's `_id` hashes and their docs (read on first use), or null when it has no id section. */
  idIndex(): IdIndex | null {
    if (this.ids !== undefined) return this.ids;
    const meta = this.footer.ids;
    if (!meta || meta.count === 0) return (this.ids = null);
    const raw = this.section(meta.entries);
    if (raw.byteLength !== meta.count * 12) throw corrupt(this.path, `id section holds ${raw.byteLength} bytes for ${meta.count} entries`);
    this.ids = readIdIndex(raw, meta.count);
    this.idBuckets = bucketIds(this.ids);
    return this.ids;
  }

  /**
   * The doc whose `_id` is `id`, or -1. `hi`/`lo` are the id's hash (lib/id-hash.ts), computed once by the caller
   * for all segments. Every doc with that hash is checked against its stored `_id`: a hash collision must never
   * make a new record look like a duplicate.
   */
  findId(id: string, hi: number, lo: number): number {
    const ix = this.idIndex();
    if (ix === null) return -1;
    const n = ix.hi.length;
    for (let k = lowerBound(ix, hi, lo, this.idBuckets); k < n && ix.hi[k] === hi && ix.lo[k] === lo; k++) {
      if (this.doc(ix.docs[k])._id === id) return ix.docs[k];
    }
    return -1;
  }

  /** First doc with (ts, seq) >= the given key; docs are sorted by that pair. */
  lowerBoundKey(ts: number, seq = -Infinity): number {
    let lo = 0;
    let hi = this.docs;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] < ts || (this.ts[mid] === ts && this.seq[mid] < seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** A token's docs in a range, and each one's positions: `positions(i, out)` is called with increasing i. */
export interface PositionSource {
  readonly docs: Uint32Array;
  positions(i: number, out: { buf: Uint32Array; n: number }): void;
}

/** Query scratch memory (query/scratch.ts), for docs a query reads while it evaluates a segment. */
const lend = (n: number): Uint32Array => scratch.u32(n);

function tooManyTerms(field: string, prefix: string): StrataError {
  return new StrataError('invalid_query', `"${prefix.slice(0, 100)}*" matches more than ${MAX_PREFIX_TERMS} different words in field ${field.slice(0, 100)}: make the prefix longer`, { reason: 'too_many_terms' });
}

/** See SegmentReader.positionCursor. */
export class PositionCursor implements PositionSource {
  private at = -1;
  private p: number;
  constructor(
    readonly docs: Uint32Array,
    /** Docs decoded before docs[0] whose positions must be skipped first. */
    private skipFirst: number,
    private buf: Uint8Array,
    start: number,
    /** Packed entries (version 4 on) or counted ones (bytes.ts). */
    private packed: boolean,
  ) {
    this.p = start;
  }
  /** Writes doc i's positions into `out.buf` (grown if needed) and their count into `out.n`. */
  positions(i: number, out: { buf: Uint32Array; n: number }): void {
    const b = this.buf;
    const packed = this.packed;
    let p = this.p;
    // Entries of the docs in between are skipped in this loop: skipPositionsEntry's steps written out here, since
    // calling it per entry measured slower (a 5M-line phrase: 16–23 vs 27–28 ms at best, A/B in turn). Most
    // entries are one position below 64 (packed: one even byte) or 128 (counted: two bytes `01 0x`): stepping over
    // those first measured 5.3 → 3.0 ms for the 555k entries of that phrase's two lists.
    let c = 0;
    let shift = 0;
    let x: number;
    for (let skip = this.skipFirst + i - 1 - this.at; skip > 0; skip--) {
      if (packed ? (b[p] & 0x81) === 0 : b[p] === 1 && b[p + 1] < 0x80) {
        p += packed ? 1 : 2;
        continue;
      }
      c = 0;
      shift = 0;
      do {
        x = b[p++];
        c |= (x & 0x7f) << shift;
        shift += 7;
      } while (x >= 0x80);
      if (packed) {
        if ((c & 1) === 0) continue;
        c >>>= 1;
      }
      while (c > 0) if (b[p++] < 0x80) c--;
    }
    this.skipFirst = 0;
    c = 0;
    shift = 0;
    do {
      x = b[p++];
      c |= (x & 0x7f) << shift;
      shift += 7;
    } while (x >= 0x80);
    if (packed) {
      if ((c & 1) === 0) {
        if (out.buf.length === 0) out.buf = new Uint32Array(16);
        out.buf[0] = c >>> 1;
        out.n = 1;
        this.p = p;
        this.at = i;
        return;
      }
      c >>>= 1;
    }
    if (out.buf.length < c) out.buf = new Uint32Array(c * 2);
    let pos = 0;
    for (let j = 0; j < c; j++) {
      let v = 0;
      shift = 0;
      do {
        x = b[p++];
        v |= (x & 0x7f) << shift;
        shift += 7;
      } while (x >= 0x80);
      pos += v;
      out.buf[j] = pos;
    }
    out.n = c;
    this.p = p;
    this.at = i;
  }
}

function readAt(fd: number, pos: number, len: number): Uint8Array {
  const b = Buffer.allocUnsafe(len);
  let done = 0;
  while (done < len) {
    const r = readSync(fd, b, done, len - done, pos + done);
    if (r === 0) throw new StrataError('storage_corrupt', `unexpected end of segment file at byte ${pos + done}`);
    done += r;
  }
  return b;
}

function corrupt(path: string, why: string): StrataError {
  return new StrataError('storage_corrupt', `segment ${path} is unreadable: ${why}`, { path });
}
