import {
  BLOCK_DOCS,
  type FieldMeta,
  MAX_KEYWORD_VALUES,
  SEG_VERSION,
  type SegmentFooter,
  ZSTD_LEVEL_MERGE,
} from './layout.ts';
import { mergedCommon, splitBigram } from './bigrams.ts';
import { mergeIdIndexes, writeIdIndex } from './id-section.ts';
import type { SegmentReader } from './reader.ts';
import { asBytes, type FileOut, TermsWriter, footerBase, writeBlocks, writeKeyword, writeSegmentFile, writeTsSeq } from './segment-file.ts';

/**
 * Merges sealed segments into one without re-reading their text: a k-way merge of the inputs' (ts, seq) order
 * gives each input doc its new id, and dictionaries, postings, positions and columns are remapped. Only stored
 * blocks are recompressed (at a higher level: a merged segment is written once and kept long). `bigrams` keeps the
 * inputs' bigram terms that stay complete (bigrams.ts); false drops them all.
 */
export function mergeSegments(path: string, inputs: readonly SegmentReader[], bigrams = true, level = ZSTD_LEVEL_MERGE): SegmentFooter {
  return writeSegmentFile(path, level, (out) => mergeInto(out, inputs, bigrams));
}

function mergeInto(out: FileOut, inputs: readonly SegmentReader[], bigrams: boolean): SegmentFooter {
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

  const stored = writeBlocks(out, n, (o) => inputs[srcSeg[o]].docJson(srcDoc[o]));
  const cols = writeTsSeq(out, ts, seq);

  const names = new Set<string>();
  for (const r of inputs) for (const f of r.fieldNames()) names.add(f);
  const fields: Record<string, FieldMeta> = {};
  for (const name of [...names].sort()) fields[name] = mergeField(out, inputs, maps, n, name, bigrams);
  const footer: SegmentFooter = { version: SEG_VERSION, ...footerBase(ts, seq), blockDocs: BLOCK_DOCS, ...stored, ts: cols.ts, seq: cols.seq, fields };
  const ids = mergeIdIndexes(inputs.map((r) => r.idIndex()), maps, n);
  if (ids) footer.ids = writeIdIndex(out, ids);
  return footer;
}

function mergeField(out: FileOut, inputs: readonly SegmentReader[], maps: Uint32Array[], n: number, name: string, bigrams: boolean): FieldMeta {
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
  const text = mergeTerms(out, inputs, maps, name, bigrams);
  if (text) meta.text = text;
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
  }
  return meta;
}

interface Part {
  input: number;
  /** The term's index in that input's dictionary. */
  k: number;
  /** Doc ids: the input's while walking, the merged segment's once remapped. */
  docs: Uint32Array;
  /** The input's encoded positions for the term, or null when it stores none. */
  positions: Uint8Array | null;
}

function mergeTerms(out: FileOut, inputs: readonly SegmentReader[], maps: Uint32Array[], field: string, bigrams: boolean): FieldMeta['text'] | undefined {
  const dicts = inputs.map((r) => r.termsOf(field));
  if (dicts.every((d) => d === null)) return undefined;
  let totalTerms = 0;
  for (const d of dicts) totalTerms += d?.length ?? 0;
  const w = new TermsWriter(1 << 20, totalTerms);
  const common = bigrams ? mergedCommon(inputs.map((r, i) => ({ common: r.commonTokens(field), has: (t: string) => dicts[i] !== null && r.termDf(field, t) > 0 }))) : [];
  const commonSet = new Set(common);
  const cursor = new Uint32Array(inputs.length);
  const parts: Part[] = [];
  for (;;) {
    // The smallest next term across the inputs' sorted dictionaries.
    let term: string | null = null;
    for (let i = 0; i < dicts.length; i++) {
      const d = dicts[i];
      if (d && cursor[i] < d.length && (term === null || d[cursor[i]] < term)) term = d[cursor[i]];
    }
    if (term === null) break;
    // A bigram stays only when both its tokens stay common: then every input holds all of its docs.
    const pair = splitBigram(term);
    const keep = pair === null || (commonSet.has(pair[0]) && commonSet.has(pair[1]));
    parts.length = 0;
    for (let i = 0; i < dicts.length; i++) {
      const d = dicts[i];
      if (!d || cursor[i] >= d.length || d[cursor[i]] !== term) continue;
      const k = cursor[i]++;
      if (!keep) continue;
      const docs = inputs[i].postingsAt(field, k);
      const map = maps[i];
      for (let j = 0; j < docs.length; j++) docs[j] = map[docs[j]];
      parts.push({ input: i, k, docs, positions: inputs[i].positionBytesAt(field, k) });
    }
    if (keep) writeTerm(w, inputs, field, term, parts);
  }
  const meta = w.finish(out);
  if (common.length > 0) meta.common = common;
  return meta;
}

function writeTerm(w: TermsWriter, inputs: readonly SegmentReader[], field: string, term: string, parts: Part[]): void {
  // Segments written by this version keep positions for every term; if an input lacks them, so does the merge
  // (phrases then verify candidates against the stored text).
  const positioned = parts.every((p) => p.positions !== null);
  if (parts.length === 1) {
    const p = parts[0];
    // One input: its docs were remapped in order, so its encoded positions still hold as they are.
    if (positioned) w.addEncodedPositions(term, p.docs, p.docs.length, [p.positions!]);
    else w.add(term, p.docs, p.docs.length, null, null);
    return;
  }
  let df = 0;
  for (const p of parts) df += p.docs.length;
  const docs = new Uint32Array(df);
  // Inputs sealed one after another cover consecutive times, so a term's parts usually do not interleave and
  // simply concatenate, positions included; otherwise a k-way merge by doc id.
  parts.sort((a, b) => a.docs[0] - b.docs[0]);
  let disjoint = true;
  for (let j = 1; j < parts.length && disjoint; j++) disjoint = parts[j - 1].docs[parts[j - 1].docs.length - 1] < parts[j].docs[0];
  if (disjoint) {
    let o = 0;
    for (const p of parts) {
      docs.set(p.docs, o);
      o += p.docs.length;
    }
    if (positioned) w.addEncodedPositions(term, docs, df, parts.map((p) => p.positions!));
    else w.add(term, docs, df, null, null);
    return;
  }
  const from = new Uint16Array(df);
  const idx = new Uint32Array(df);
  const heads = new Uint32Array(parts.length);
  for (let o = 0; o < df; o++) {
    let best = -1;
    for (let j = 0; j < parts.length; j++) {
      if (heads[j] >= parts[j].docs.length) continue;
      if (best < 0 || parts[j].docs[heads[j]] < parts[best].docs[heads[best]]) best = j;
    }
    from[o] = best;
    idx[o] = heads[best];
    docs[o] = parts[best].docs[heads[best]++];
  }
  if (!positioned) {
    w.add(term, docs, df, null, null);
    return;
  }
  const decoded = parts.map((p) => inputs[p.input].positionsAt(field, p.k, p.docs.length)!);
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
