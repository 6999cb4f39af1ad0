import { hashId, type IdHasher } from '../../lib/id-hash.ts';
import { writeIdIndex } from './id-section.ts';
import { collectFields, type DocBytes } from './doc-fields.ts';
import { addBigrams } from './bigrams.ts';
import { buildPatterns, wordFlags } from './patterns.ts';
import { GROUPED_MIN_DF, PatternDocs } from './grouped-postings.ts';
import { docU32 } from './scratch.ts';
import { writeTerms } from './write-terms.ts';
import {
  BLOCK_DOCS,
  GROUPED_POSTINGS_VERSION,
  GROUPED_VARIABLES_VERSION,
  type FieldMeta,
  JOINED_BLOCKS_VERSION,
  PACKED_POSITIONS_VERSION,
  SEG_VERSION,
  type SegmentFooter,
  ZSTD_LEVEL_SEAL,
  ZSTD_LEVEL_SEAL_TEMPLATES,
} from './layout.ts';
import { asBytes, type FileOut, footerBase, writeBlocks, writeJoinedBlocks, writeKeyword, writePatterns, writeSegmentFile, writeTsSeq } from './segment-file.ts';

export type { DocBytes } from './doc-fields.ts';

/**
 * Records to seal, already sorted by (ts, seq). `json` holds the stored text of each doc's fields: as strings, or
 * as the UTF-8 bytes they arrived in (a seal's payload).
 */
export interface SegmentSource {
  ts: Float64Array;
  seq: Float64Array;
  json: string[] | DocBytes;
}

/**
 * Builds a segment from records (a seal) and writes it to `path` (see segment-file.ts for the crash-safe write).
 * Runs in a pool worker: it allocates freely per segment, never per token. `bigrams` (default true) adds the
 * bigram terms of common tokens (bigrams.ts) to fields that are not indexed through patterns. `patterns` (default
 * true) indexes a field's words through its patterns when they fit (patterns.ts); false never does (the index
 * setting `word_patterns: false`, and tests). `idHash` is a seam for tests that force hash collisions; segments on disk always use
 * `hashId`. `olderVersion` is a seam for tests that rewrite the segment as that version: its positions entries are
 * counted up to version 3 (see TermsWriter), its stored variables in doc order up to version 4, its postings all
 * plain up to version 5, its stored records always templates up to version 6 (from 7 on a seal joins them: see
 * ZSTD_LEVEL_SEAL). `groupedMinDf` (default GROUPED_MIN_DF): the doc count from which a patterned field's
 * terms are grouped by pattern (grouped-postings.ts); null groups none, as the pool's seals do (GROUPED_MIN_DF).
 */
export function writeSegment(
  path: string,
  src: SegmentSource,
  opts: { bigrams?: boolean; patterns?: boolean; groupedMinDf?: number | null; idHash?: IdHasher; olderVersion?: 3 | 4 | 5 | 6 } = {},
): SegmentFooter {
  const older = opts.olderVersion ?? SEG_VERSION;
  return writeSegmentFile(path, ZSTD_LEVEL_SEAL_TEMPLATES, (out) =>
    buildInto(out, src, opts.idHash ?? hashId, opts.bigrams ?? true, opts.patterns ?? true, older < PACKED_POSITIONS_VERSION, older < GROUPED_VARIABLES_VERSION, older < GROUPED_POSTINGS_VERSION ? null : opts.groupedMinDf === undefined ? GROUPED_MIN_DF : opts.groupedMinDf, older >= JOINED_BLOCKS_VERSION),
  );
}

function buildInto(
  out: FileOut,
  src: SegmentSource,
  idHash: IdHasher,
  bigrams: boolean,
  patterns: boolean,
  counted: boolean,
  ungrouped: boolean,
  groupedMinDf: number | null,
  joined: boolean,
): SegmentFooter {
  const n = src.ts.length;
  const docs = src.json;
  const stored = joined
    ? writeJoinedBlocks(out, n, Array.isArray(docs) ? utf8Docs(docs) : docs, ZSTD_LEVEL_SEAL)
    : Array.isArray(docs)
      ? writeBlocks(out, n, (i, w) => w.text(docs[i]), !ungrouped)
      : writeBlocks(out, n, (i, w) => w.textBytes(docs.bufs[docs.buf[i]], docs.start[i], docs.end[i]), !ungrouped);
  const { ts, seq } = writeTsSeq(out, src.ts, src.seq);

  const { builders, ids } = collectFields(docs, n, idHash);

  const fields: Record<string, FieldMeta> = {};
  for (const [name, fb] of [...builders].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const meta: FieldMeta = { presence: out.writeCompressed(asBytes(fb.presence)), strings: fb.strings };
    if (fb.numbers !== null) meta.number = out.writeCompressed(asBytes(fb.numbers));
    // Keyword ordinals first: a field's patterns are stored per keyword value when it has a keyword column.
    let kwOrds: Uint32Array | null = null;
    if (fb.keyword !== null && fb.keyword.size > 0) {
      const values = [...fb.keyword.keys()];
      // Ordinals re-numbered in sorted value order, so results list values in a stable order.
      const order = values.map((_, i) => i).sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));
      const remap = new Uint32Array(values.length + 1);
      order.forEach((old, k) => (remap[old + 1] = k + 1));
      kwOrds = docU32.takeExact(n);
      for (let i = 0; i < n; i++) kwOrds[i] = remap[fb.keywordOrds[i]];
      meta.keyword = writeKeyword(out, order.map((i) => values[i]), kwOrds, n);
    }
    if (fb.terms.size > 0) {
      const word = patterns ? wordFlags(fb.terms.terms) : null;
      const pats = word ? buildPatterns(fb.terms, word, fb.from, fb.to, n) : null;
      if (pats) {
        // Words live in the patterns: only tokens with digits keep postings, and no bigram is needed.
        const pd = groupedMinDf === null ? null : new PatternDocs(pats.ords, pats.values.length + 1);
        meta.text = writeTerms(out, fb.terms, fb.terms.size, word, counted, pd, groupedMinDf ?? undefined);
        meta.text.patterns = writePatterns(out, pats.values, pats.ords, kwOrds, n);
      } else {
        const { common, firstBigram } = bigrams ? addBigrams(fb.terms, n) : { common: [], firstBigram: fb.terms.size };
        meta.text = writeTerms(out, fb.terms, firstBigram, null, counted);
        if (common.length > 0) meta.text.common = common;
      }
    }
    fields[name] = meta;
    fb.release();
    if (kwOrds !== null) docU32.give(kwOrds);
  }
  const footer: SegmentFooter = { version: SEG_VERSION, ...footerBase(src.ts, src.seq), blockDocs: BLOCK_DOCS, ...stored, ts, seq, fields };
  const idIndex = ids.finish();
  if (idIndex) footer.ids = writeIdIndex(out, idIndex);
  return footer;
}

/** Docs given as strings (tests, replays) as the UTF-8 bytes a seal's payload holds. */
function utf8Docs(docs: readonly string[]): DocBytes {
  const n = docs.length;
  const out: DocBytes = { bufs: [], buf: new Uint32Array(n), start: new Uint32Array(n), end: new Uint32Array(n) };
  for (let i = 0; i < n; i++) {
    out.buf[i] = out.bufs.push(Buffer.from(docs[i], 'utf8')) - 1;
    out.end[i] = out.bufs[out.buf[i]].length;
  }
  return out;
}
