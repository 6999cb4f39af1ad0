/** Constants and the footer shape of a sealed segment file (see format.md). */
/** The head magic is this prefix and then the version's byte. */
export const SEG_MAGIC_PREFIX = 'STRSEG\u0000';
export const SEG_MAGIC_TAIL = 'STRSEGND';
/**
 * Version 7 lets a segment store its records as joined JSON (no templates section): seals do, and merges write
 * templates (see ZSTD_LEVEL_SEAL). Version 6 groups the postings and positions of a field's frequent tokens by
 * pattern (grouped-postings.ts); version 5 groups a stored block's variables by slot (variable-groups.ts); version 4 packs a doc's positions
 * entry when it holds one position (bytes.ts); version 3 indexes a field's words through its patterns
 * (patterns.ts); version 2 stores records as templates and variables (stored-blocks.ts); version 1 as
 * newline-joined JSON.
 */
export const SEG_VERSION = 7;
export const SEG_MAGIC_HEAD = SEG_MAGIC_PREFIX + String.fromCharCode(SEG_VERSION);
/** Versions this build reads. */
export const SEG_READABLE_VERSIONS: readonly number[] = [1, 2, 3, 4, 5, 6, 7];
/** The first version whose positions entries are packed (see bytes.ts). */
export const PACKED_POSITIONS_VERSION = 4;
/** The first version whose stored blocks group their variables by slot (see variable-groups.ts). */
export const GROUPED_VARIABLES_VERSION = 5;
/** The first version that may group a field's postings by pattern (see grouped-postings.ts). */
export const GROUPED_POSTINGS_VERSION = 6;
/** The first version whose stored blocks may be joined JSON while the segment has no templates section. */
export const JOINED_BLOCKS_VERSION = 7;
/**
 * Docs per stored block. Measured on the bench corpus as newline-joined JSON (version 1), against raw text: 1024 docs
 * 0.37× at level 3; 4096 docs 0.34× at level 3, 0.32× at 6; 16384 docs 0.29× at 9 but 4× the bytes to decompress for
 * a page of hits. Split into templates and variables (version 2): 0.176× at 4096 docs, level 3; 0.175× at 6.
 */
export const BLOCK_DOCS = 4096;
/** Above this many distinct values in a segment a string field gets no keyword column (terms aggs read docs). */
export const MAX_KEYWORD_VALUES = 4096;
/**
 * zstd level of stored blocks. A seal stores each block as its docs' JSON joined by newlines at level 1: splitting
 * docs into templates and variables (stored-blocks.ts) was a fifth of a seal's CPU, and a seal's speed is ingest's.
 * Measured on the bench corpus, seals of 100k lines alternated in one process: 7.1 µs a line with templates (level
 * 3) against 5.5 µs joined (level 1), for 1.42–1.48× the bytes of the sealed file. Merges, which rewrite every
 * stored record anyway, encode templates at level 6 (ZSTD_LEVEL_MERGE), and a segment left unmerged is rewritten
 * alone 30 s after its seal when nothing waits to be sealed (merge/policy.ts), so what stays on disk is the compact
 * form. Measured on a 4096-doc block of joined JSON: level 3 282 MB/s ×3.69, 6 116 MB/s ×3.89, 7 74 MB/s ×3.93.
 */
export const ZSTD_LEVEL_SEAL = 1;
/** Template blocks written by a seal: only as the older versions that had no joined form (a seam for tests). */
export const ZSTD_LEVEL_SEAL_TEMPLATES = 3;
export const ZSTD_LEVEL_MERGE = 6;
/**
 * zstd level of every other section (dictionaries, postings, positions, columns), sealed or merged. Measured on a
 * 1M-doc merged segment: level 1 compresses them as well as 3 and within 1–6% of 6 (dict 0.381× vs 0.380×,
 * postings 0.857× vs 0.841×, positions 0.271× vs 0.256×) in a fifth of 6's time (0.43 s vs 2.4 s a merge of 1M).
 */
export const ZSTD_LEVEL_INDEX = 1;
/**
 * Every term stores token positions, for phrases. Measured on the bench corpus: positions for all terms cost 1.3% of
 * raw size more than positions for terms in 16+ docs only (a rare term's `[1][pos]` compresses well), and spare
 * merges from re-tokenizing stored text for terms that were rare in one input but are frequent merged.
 */

/** A byte range of the file and the CRC32C of its bytes. */
export type SectionRef = [offset: number, length: number, crc: number];

export interface FieldMeta {
  /** Inverted index of the field's string (and boolean) values: sorted terms and their postings. */
  text?: {
    terms: number;
    dict: SectionRef;
    postings: SectionRef;
    offsets: SectionRef;
    positions: SectionRef;
    skips: SectionRef;
    /**
     * The field's common tokens (bigrams.ts): every adjacent pair of them is also indexed as a bigram term `a b`
     * (postings only), complete for this segment. Absent in segments written before bigrams: none are indexed.
     */
    common?: string[];
    /**
     * Version 3: the field's patterns (patterns.ts): the patterns as `values` (a JSON array), and each doc's
     * ordinal (0: no word), either per doc in `ords` (u8 or u16 by `width`) or, when the field has a keyword
     * column, per keyword ordinal in `byKeyword` (u16): a value's pattern is a function of the value. When
     * present, the dictionary holds only tokens with a digit; words are found in the patterns.
     */
    patterns?: { values: SectionRef; ords?: SectionRef; width?: 1 | 2; byKeyword?: SectionRef };
    /**
     * Version 6: the terms whose postings and positions are grouped by pattern (grouped-postings.ts): those with a
     * doc count and 0 postings bytes in `offsets`, in dictionary order. Only in fields with patterns.
     */
    grouped?: { head: SectionRef; docs: SectionRef; flags: SectionRef; exc: SectionRef };
  };
  /** Float64 per doc, NaN where the doc has no number in this field. */
  number?: SectionRef;
  /** Dictionary-encoded string values: ordinal per doc (0: none), values sorted. */
  keyword?: { values: SectionRef; ords: SectionRef; width: 1 | 2 | 4 };
  /** Bitset of docs that have the field at all. */
  presence: SectionRef;
  /** Whether any doc has a string or boolean value here (a keyword column may be absent when it has too many). */
  strings?: boolean;
}

export interface SegmentFooter {
  version: number;
  docs: number;
  minTs: number;
  maxTs: number;
  minSeq: number;
  maxSeq: number;
  blockDocs: number;
  /**
   * Per block: [offset, length, crc] of its bytes: with a templates section, its template ids and variables
   * (stored-blocks.ts); without one (version 1, and sealed segments from version 7 on), a zstd frame of the docs'
   * field JSON joined by newlines.
   */
  blocks: SectionRef;
  /** Versions 2–6, and merged segments from 7 on: the templates shared by the segment's blocks (stored-blocks.ts). */
  templates?: SectionRef;
  ts: SectionRef;
  seq: SectionRef;
  fields: Record<string, FieldMeta>;
  /**
   * Sorted hashes of the docs' `_id`s, with their docs (id-section.ts). Absent when no doc has an `_id`, and in
   * segments written before the section existed: lookups skip such a segment.
   */
  ids?: { count: number; entries: SectionRef };
}
