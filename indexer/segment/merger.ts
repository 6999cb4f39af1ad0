import {
  BLOCK_DOCS,
  type FieldMeta,
  MAX_KEYWORD_VALUES,
  SEG_VERSION,
  type SegmentFooter,
  ZSTD_LEVEL_MERGE,
} from './layout.ts';
import { keepsTerm, mergedCommon } from './bigrams.ts';
import { mergeIdIndexes, writeIdIndex } from './id-section.ts';
import { isWord, patternsFit } from './patterns.ts';
import { GROUPED_MIN_DF, PatternDocs } from './grouped-postings.ts';
import type { SegmentReader } from './reader.ts';
import { asBytes, type FileOut, TermsWriter, footerBase, writeBlocks, writeKeyword, writePatterns, writeSegmentFile, writeTsSeq } from './segment-file.ts';

/**
 * Merges sealed segments into one without re-reading their text: a k-way merge of the inputs' (ts, seq) order
 * gives each input doc its new id, and dictionaries, postings, positions and columns are remapped. Stored docs are
 * copied as encoded (template and variables, never built into text) into blocks recompressed at a higher level: a
 * merged segment is written once and kept long. `bigrams` keeps the inputs' bigram terms that stay complete
 * (bigrams.ts); false drops them all. `groupedMinDf`: the doc count from which a patterned field's terms are
 * grouped by pattern (grouped-postings.ts).
 */
export function mergeSegments(path: string, inputs: readonly SegmentReader[], bigrams = true, level = ZSTD_LEVEL_MERGE, groupedMinDf = GROUPED_MIN_DF): SegmentFooter {
  return writeSegmentFile(path, level, (out) => mergeInto(out, inputs, bigrams, groupedMinDf));
}

function mergeInto(out: FileOut, inputs: readonly SegmentReader[], bigrams: boolean, groupedMinDf: number): SegmentFooter {
  const k = inputs.length;
  let n = 0;
  for (const r of inputs) n += r.docs;
  const ts = new Float64Array(n);
  const seq = new Float64Array(n);
  const srcSeg = new Uint16Array(n);
  const srcDoc = new Uint32Array(n);
  const maps = inputs.map((r) => new Uint32Array(r.docs));
  const heads = new Uint32Array(k);
  for (let o = 0; o < n; o++) {
    let best = -1;
    for (let i = 0; i < k; i++) {
      const h = heads[i];
      const r = inputs[i];
      if (h >= r.docs) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = inputs[best];
      const hb = heads[best];
      if (r.ts[h] < b.ts[hb] || (r.ts[h] === b.ts[hb] && r.seq[h] < b.seq[hb])) best = i;
    }
    const d = heads[best]++;
    maps[best][d] = o;
    srcSeg[o] = best;
    srcDoc[o] = d;
    ts[o] = inputs[best].ts[d];
    seq[o] = inputs[best].seq[d];
  }

  const stored = writeBlocks(out, n, (o, w) => inputs[srcSeg[o]].copyStored(srcDoc[o], w));
  const cols = writeTsSeq(out, ts, seq);

  const names = new Set<string>();
  for (const r of inputs) for (const f of r.fieldNames()) names.add(f);
  const fields: Record<string, FieldMeta> = {};
  for (const name of [...names].sort()) fields[name] = mergeField(out, inputs, maps, n, name, bigrams, groupedMinDf);
  const footer: SegmentFooter = { version: SEG_VERSION, ...footerBase(ts, seq), blockDocs: BLOCK_DOCS, ...stored, ts: cols.ts, seq: cols.seq, fields };
  const ids = mergeIdIndexes(inputs.map((r) => r.idIndex()), maps, n);
  if (ids) footer.ids = writeIdIndex(out, ids);
  return footer;
}

function mergeField(out: FileOut, inputs: readonly SegmentReader[], maps: Uint32Array[], n: number, name: string, bigrams: boolean, groupedMinDf: number): FieldMeta {
  const presence = new Uint32Array((n + 31) >>> 5);
  let numbers: Float64Array | null = null;
  let strings = false;
  let keywordOk = true;
  const kwValues = new Set<string>();
  inputs.forEach((r, i) => {
    const meta = r.field(name);
    if (!meta) return;
    const map = maps[i];
    r.presenceOf(name)!.forEachAsc((d) => {
      const o = map[d];
      presence[o >>> 5] |= 1 << (o & 31);
      return true;
    });
    const col = r.numberColumn(name);
    if (col) {
      if (!numbers) numbers = new Float64Array(n).fill(NaN);
      for (let d = 0; d < col.length; d++) if (!Number.isNaN(col[d])) numbers[map[d]] = col[d];
    }
    // Older segments lack the flag; a text index implies strings.
    const hasStrings = meta.strings ?? meta.text !== undefined;
    if (hasStrings || meta.keyword) {
      strings = true;
      const kw = r.keywordColumn(name);
      if (!kw) keywordOk = false;
      else for (const v of kw.values) kwValues.add(v);
    }
  });
  const meta: FieldMeta = { presence: out.writeCompressed(asBytes(presence)), strings };
  if (numbers) meta.number = out.writeCompressed(asBytes(numbers));
  let kwOrds: Uint32Array | null = null;
  if (strings && keywordOk && kwValues.size > 0 && kwValues.size <= MAX_KEYWORD_VALUES) {
    const values = [...kwValues].sort();
    const ordOf = new Map(values.map((v, i) => [v, i + 1]));
    const ords = new Uint32Array(n);
    inputs.forEach((r, i) => {
      const kw = r.keywordColumn(name);
      if (!kw) return;
      const remap = kw.values.map((v) => ordOf.get(v)!);
      const map = maps[i];
      for (let d = 0; d < kw.ords.length; d++) {
        const o = kw.ords[d];
        if (o !== 0) ords[map[d]] = remap[o - 1];
      }
    });
    meta.keyword = writeKeyword(out, values, ords, n);
    kwOrds = ords;
  }
  const pats = mergePatterns(inputs, maps, n, name);
  const text = mergeTerms(out, inputs, maps, name, bigrams && pats === null, pats && new PatternDocs(pats.ords, pats.values.length + 1), groupedMinDf);
  if (text) {
    if (pats) text.patterns = writePatterns(out, pats.values, pats.ords, kwOrds, n);
    meta.text = text;
  }
  return meta;
}

/**
 * A term's parts, one per input that holds it, in parallel arrays reused for every term (a merge walks millions of
 * terms, most of them in one input): the input, the term's index in its dictionary, its docs (remapped to the
 * merged segment's ids, in that input's scratch) and its encoded positions (null when the input stores none).
 */
class Parts {
  n = 0;
  input: Int32Array;
  k: Int32Array;
  docs: Uint32Array[];
  positions: (Uint8Array | null)[];
  /** Per input, where its part's docs are decoded; grown as needed. */
  private scratch: Uint32Array[];
  /** Where parts' docs are joined. */
  private joined = new Uint32Array(1024);
  constructor(inputs: number) {
    this.input = new Int32Array(inputs);
    this.k = new Int32Array(inputs);
    this.docs = new Array<Uint32Array>(inputs);
    this.positions = new Array<Uint8Array | null>(inputs);
    this.scratch = Array.from({ length: inputs }, () => new Uint32Array(256));
  }
  add(r: SegmentReader, input: number, field: string, k: number, map: Uint32Array): void {
    const df = r.dfAt(field, k);
    if (this.scratch[input].length < df) this.scratch[input] = new Uint32Array(Math.max(df, this.scratch[input].length * 2));
    const docs = r.postingsAt(field, k, this.scratch[input]);
    for (let j = 0; j < docs.length; j++) docs[j] = map[docs[j]];
    const p = this.n++;
    this.input[p] = input;
    this.k[p] = k;
    this.docs[p] = docs;
    this.positions[p] = r.positionBytesAt(field, k);
  }
  /** Room for the docs of all parts, `df` in all. */
  join(df: number): Uint32Array {
    if (this.joined.length < df) this.joined = new Uint32Array(Math.max(df, this.joined.length * 2));
    return this.joined;
  }
}

/**
 * The union of the inputs' patterns of a field, each doc's ordinal remapped; null when some input holding the field's
 * text indexes it without patterns, or when the union does not fit (then every word is merged per doc, from the
 * patterned inputs' words as their readers spell them out).
 */
function mergePatterns(inputs: readonly SegmentReader[], maps: Uint32Array[], n: number, field: string): { values: string[]; ords: Uint32Array } | null {
  const values: string[] = [];
  const ordOf = new Map<string, number>();
  const remaps: (Uint32Array | null)[] = [];
  for (const r of inputs) {
    if (!r.field(field)?.text) {
      remaps.push(null);
      continue;
    }
    const pi = r.patternsOf(field);
    if (!pi) return null;
    const remap = new Uint32Array(pi.values.length + 1);
    for (let p = 0; p < pi.values.length; p++) {
      let o = ordOf.get(pi.values[p]);
      if (o === undefined) {
        values.push(pi.values[p]);
        ordOf.set(pi.values[p], (o = values.length));
      }
      remap[p + 1] = o;
    }
    remaps.push(remap);
  }
  if (values.length === 0 && remaps.every((m) => m === null)) return null;
  if (!patternsFit(values.length, n)) return null;
  const ords = new Uint32Array(n);
  inputs.forEach((r, i) => {
    const remap = remaps[i];
    if (!remap) return;
    const src = r.patternsOf(field)!.ords;
    const map = maps[i];
    for (let d = 0; d < src.length; d++) ords[map[d]] = remap[src[d]];
  });
  return { values, ords };
}

/**
 * `patterns`: the output indexes the field's words through these patterns, so only tokens with digits are merged,
 * and the frequent ones grouped by pattern.
 */
function mergeTerms(
  out: FileOut,
  inputs: readonly SegmentReader[],
  maps: Uint32Array[],
  field: string,
  bigrams: boolean,
  patterns: PatternDocs | null,
  groupedMinDf: number,
): FieldMeta['text'] | undefined {
  const skipWords = patterns !== null;
  const dicts = inputs.map((r) => r.termsOf(field));
  if (dicts.every((d) => d === null)) return undefined;
  let totalTerms = 0;
  for (const d of dicts) totalTerms += d?.length ?? 0;
  const w = new TermsWriter(1 << 20, totalTerms, false, patterns, groupedMinDf);
  const common = bigrams ? mergedCommon(inputs.map((r, i) => ({ common: r.commonTokens(field), has: (t: string) => dicts[i] !== null && r.termDf(field, t) > 0 }))) : [];
  const commonSet = new Set(common);
  const cursor = new Uint32Array(inputs.length);
  const parts = new Parts(inputs.length);
  for (;;) {
    // The smallest next term across the inputs' sorted dictionaries.
    let term: string | null = null;
    for (let i = 0; i < dicts.length; i++) {
      const d = dicts[i];
      if (d && cursor[i] < d.length && (term === null || d[cursor[i]] < term)) term = d[cursor[i]];
    }
    if (term === null) break;
    // A bigram stays only when both its tokens stay common: then every input holds all of its docs.
    const keep = skipWords ? !isWord(term) : keepsTerm(term, commonSet);
    parts.n = 0;
    for (let i = 0; i < dicts.length; i++) {
      const d = dicts[i];
      if (!d || cursor[i] >= d.length || d[cursor[i]] !== term) continue;
      const k = cursor[i]++;
      if (keep) parts.add(inputs[i], i, field, k, maps[i]);
    }
    if (keep) writeTerm(w, inputs, field, term, parts);
  }
  const meta = w.finish(out);
  if (common.length > 0) meta.common = common;
  return meta;
}

function writeTerm(w: TermsWriter, inputs: readonly SegmentReader[], field: string, term: string, parts: Parts): void {
  // Segments written by this version keep positions for every term; if an input lacks them, so does the merge
  // (phrases then verify candidates against the stored text).
  let positioned = true;
  for (let j = 0; j < parts.n; j++) if (parts.positions[j] === null) positioned = false;
  if (parts.n === 1) {
    const docs = parts.docs[0];
    // One input: its docs were remapped in order, so its encoded positions still hold as they are.
    if (positioned) w.addEncodedPositions(term, docs, docs.length, parts.positions[0]!);
    else w.add(term, docs, docs.length, null, null);
    return;
  }
  let df = 0;
  for (let j = 0; j < parts.n; j++) df += parts.docs[j].length;
  // Inputs sealed one after another cover consecutive times, so a term's parts usually do not interleave and
  // simply concatenate, positions included; otherwise a k-way merge by doc id.
  const order = Array.from({ length: parts.n }, (_, j) => j).sort((a, b) => parts.docs[a][0] - parts.docs[b][0]);
  let disjoint = true;
  for (let j = 1; j < order.length && disjoint; j++) {
    const prev = parts.docs[order[j - 1]];
    disjoint = prev[prev.length - 1] < parts.docs[order[j]][0];
  }
  if (disjoint) {
    const docs = parts.join(df);
    let o = 0;
    for (const j of order) {
      docs.set(parts.docs[j], o);
      o += parts.docs[j].length;
    }
    if (positioned) w.addEncodedPositions(term, docs, df, ...order.map((j) => parts.positions[j]!));
    else w.add(term, docs, df, null, null);
    return;
  }
  const docs = new Uint32Array(df);
  const from = new Uint16Array(df);
  const idx = new Uint32Array(df);
  const heads = new Uint32Array(parts.n);
  for (let o = 0; o < df; o++) {
    let best = -1;
    for (let j = 0; j < parts.n; j++) {
      if (heads[j] >= parts.docs[j].length) continue;
      if (best < 0 || parts.docs[j][heads[j]] < parts.docs[best][heads[best]]) best = j;
    }
    from[o] = best;
    idx[o] = heads[best];
    docs[o] = parts.docs[best][heads[best]++];
  }
  if (!positioned) {
    w.add(term, docs, df, null, null);
    return;
  }
  const decoded = Array.from({ length: parts.n }, (_, j) => inputs[parts.input[j]].positionsAt(field, parts.k[j], parts.docs[j].length)!);
  let total = 0;
  for (const d of decoded) total += d.pos.length;
  const start = new Uint32Array(df + 1);
  const pos = new Uint32Array(total);
  let at = 0;
  for (let o = 0; o < df; o++) {
    start[o] = at;
    const d = decoded[from[o]];
    for (let m = d.start[idx[o]]; m < d.start[idx[o] + 1]; m++) pos[at++] = d.pos[m];
  }
  start[df] = at;
  w.add(term, docs, df, start, pos);
}
