import { createRequire } from 'node:module';

/**
 * Strata's compiled parts: ingest's NDJSON line reader (lines.cc) and log payload encoder (payload.cc), and the
 * seal's. The seal's first pass (collect.cc) reads a seal's docs, gathers their fields, tokenizes and interns their
 * text, to the same effect as the TypeScript Collector (segment/doc-fields.ts), in about a fifth of its time; its
 * patterns finder (patterns.cc) finds each text field's patterns, and its terms writer (terms.cc) writes each
 * field's dictionary and postings. They are built by `npm install` (node-gyp, from the `install` script); where
 * they could not be built, or with STRATA_NATIVE=0, ingest and seals run the TypeScript paths, which answer alike
 * and write the same bytes.
 */
export interface NativeField {
  name: string;
  /** The field's terms in id order, joined by newlines (which no token holds); `termCount` of them. */
  terms: string;
  termCount: number;
  /** Each term's FNV-1a hash, as TermTable computes it. */
  hashes: Uint32Array<ArrayBuffer>;
  /** Token occurrences: the length `fill` writes into the occurrence arrays. */
  pairs: number;
  strings: boolean;
  numbers: boolean;
  /** The keyword values in ordinal order, concatenated, and where each starts (one more than values); null past MAX_KEYWORD_VALUES. */
  keyword: string | null;
  keywordStarts: Uint32Array | null;
}

export interface NativeScan {
  fields: NativeField[];
  /** `_id`s: doc, id, doc, id, … */
  ids: (number | string)[];
}

export interface NativeCollector {
  /** Scans docs i < n, doc i being `bufs[buf[i]]` from `start[i]` to `end[i]`; null when the TypeScript path must decide. */
  scan(bufs: readonly Uint8Array[], buf: Uint32Array, start: Uint32Array, end: Uint32Array, n: number, maxKeywordValues: number): NativeScan | null;
  /** Copies the last scan's arrays for its `field`-th field into the caller's, each at least as long as needed. */
  fill(
    field: number,
    pairTerm: Uint32Array,
    pairDoc: Uint32Array,
    pairPos: Uint32Array,
    from: Uint32Array,
    to: Uint32Array,
    presence: Uint32Array,
    keywordOrds: Uint32Array | null,
    numbers: Float64Array | null,
  ): void;
}

/**
 * The compiled dictionary and postings writer (terms.cc): a seal's field's five term streams as writeTerms and
 * TermsWriter write them (segment/writer.ts), for terms that are all ASCII.
 */
export interface NativeTerms {
  /**
   * Writes the streams of the `count` terms in `joined` (joined by newlines, in id order), given their occurrences
   * `pair*[0, pairs)`; terms from `firstBigram` on get no positions, and terms t with `skip[t] === 1` are left
   * out. Puts in `sizes` the number of terms written and the bytes of the dictionary, postings, lengths, positions
   * and skips, which it copies one after another into `out` when they fit. Answers 1 when they did, 0 when `out`
   * is too short (copyTerms then copies them into a longer one), -1 when a term is not ASCII (nothing written).
   */
  terms(
    joined: string,
    count: number,
    pairTerm: Uint32Array,
    pairDoc: Uint32Array,
    pairPos: Uint32Array,
    pairs: number,
    firstBigram: number,
    skip: Uint8Array | null,
    out: Uint8Array,
    sizes: Float64Array,
  ): number;
  copyTerms(out: Uint8Array): void;
}

/** The compiled patterns finder (patterns.cc): what buildPatterns (segment/patterns.ts) finds. */
export interface NativePatterns {
  /**
   * Writes into `ords[0, n)` each doc's pattern ordinal (from 1 in order of first sight; 0 for a doc without a
   * word), doc d's tokens being `pairTerm[from[d], to[d])` and term t a word when `word[t] === 1`. Answers the
   * number of patterns, or -1 past MAX_PATTERNS.
   */
  patterns(pairTerm: Uint32Array, word: Uint8Array, from: Uint32Array, to: Uint32Array, n: number, ords: Uint32Array): number;
  /** The last call's patterns as term ids, 0xffffffff for a slot: pattern p + 1's are `pool[starts[p], starts[p + 1])`. */
  patternTerms(): [pool: Uint32Array, starts: Uint32Array];
}

/** The compiled NDJSON line reader (lines.cc): RawLineReader (ingest/protocols/raw-line.ts) over many lines a call. */
export interface NativeLines {
  /**
   * Reads the lines of `body` from byte `from` on, as many as the outputs hold: line k is `body[lineFrom[k],
   * lineStop[k])` (without its newline, or a carriage return before it), and `start[k]` what RawLineReader.read
   * answers for it (BLANK, DECODE, or where its fields' JSON starts), with its timestamp in `ts[k]`. A quoted
   * timestamp is left to the caller: `ts[k]` is then NaN and its text `body[tsFrom[k], tsTo[k])`. Answers the
   * number of lines read; the next line starts after the newline at or after `lineStop`.
   */
  lines(
    body: Uint8Array,
    from: number,
    maxBytes: number,
    nowMs: number,
    lineFrom: Uint32Array,
    lineStop: Uint32Array,
    start: Int32Array,
    ts: Float64Array,
    tsFrom: Uint32Array,
    tsTo: Uint32Array,
  ): number;
}

/** The compiled payload encoder (payload.cc): a log payload's records given as bytes (log/frame.ts). */
export interface NativePayload {
  /**
   * Writes records i < n at `out[at]` on, each `ts[i]` in decimal (a safe integer, as String spells it), a tab,
   * `{`, `bytes[start[i], end[i])` and a newline; answers the position after the last. Throws a RangeError for a
   * timestamp that is not a safe integer (or is -0), a record outside `bytes`, or records that do not fit.
   */
  encodeRaw(out: Uint8Array, at: number, bytes: Uint8Array, ts: Float64Array, start: Uint32Array, end: Uint32Array, n: number): number;
}

type Addon = NativeCollector & NativeTerms & NativePatterns & NativeLines & NativePayload;

/** The compiled parts, or null with the reason they are not in use. */
export const native: {
  collector: NativeCollector | null;
  terms: NativeTerms | null;
  patterns: NativePatterns | null;
  lines: NativeLines | null;
  payload: NativePayload | null;
  reason: string;
} = load();

function load(): typeof native {
  const none = { collector: null, terms: null, patterns: null, lines: null, payload: null };
  if (process.env.STRATA_NATIVE === '0') return { ...none, reason: 'turned off by STRATA_NATIVE=0' };
  try {
    const addon = createRequire(import.meta.url)('./build/Release/strata_native.node') as Addon;
    return { collector: addon, terms: addon, patterns: addon, lines: addon, payload: addon, reason: 'in use' };
  } catch (e) {
    return { ...none, reason: `not built (${(e as Error).message.split('\n')[0]}): run npm install with a C++ compiler` };
  }
}
