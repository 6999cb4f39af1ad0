import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import zstd from 'zstd-napi/binding.js';
import { storageError } from '../../lib/errors.ts';
import { dirOf, fsyncDir } from '../log/file.ts';
import { crc32c } from '../log/crc.ts';
import { ByteWriter, skipPositionsEntry, writePositionsEntry, zigzag } from './bytes.ts';
import { GROUPED_MIN_DF, GroupedPostingsWriter, type PatternDocs } from './grouped-postings.ts';
import type { DocBytes } from './doc-fields.ts';
import { StoredBlocksWriter } from './stored-blocks.ts';
import { frontCode } from './term-dict.ts';
import { BLOCK_DOCS, type FieldMeta, SEG_MAGIC_HEAD, SEG_MAGIC_TAIL, type SectionRef, type SegmentFooter, ZSTD_LEVEL_INDEX } from './layout.ts';

/**
 * The sections of a segment file being written, each zstd-compressed and CRC'd (see format.md): stored blocks at
 * the level given (the text is most of a segment), everything else at ZSTD_LEVEL_INDEX.
 */
export class FileOut {
  pos = 0;
  /** `blockLevel`: the zstd level of stored records, by whether the segment is sealed or merged (layout.ts). */
  constructor(private fd: number, private path: string, readonly blockLevel: number) {}
  write(b: Uint8Array): SectionRef {
    const off = this.pos;
    let done = 0;
    try {
      while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, off + done);
    } catch (e) {
      throw storageError(e, 'write segment', this.path);
    }
    this.pos += b.length;
    return [off, b.length, crc32c(b)];
  }
  writeCompressed(b: Uint8Array, level = ZSTD_LEVEL_INDEX): SectionRef {
    return this.write(compressScratch(b, level));
  }
}

/**
 * The thread's compression context, and the buffer sections are compressed into before they are written (and not
 * kept): zstd-napi's `compress` allocates a buffer of the worst-case size for each call, and copies the result
 * out when it is much smaller. With `MALLOC_MMAP_THRESHOLD_=262144` (README: Running a node) every such buffer of
 * 256 KiB or more is fresh memory, whose first write costs a page fault. Measured on seals of 200k bench lines
 * with that setting, alternating runs of 8: 1,222–1,330 ms against 1,126–1,229 ms each.
 */
const cctx = new zstd.CCtx();
let scratchOut = Buffer.alloc(0);
/** A larger buffer (a big merge's sections) is used once, not kept by the thread. */
const SCRATCH_KEEP = 8 << 20;

function compressScratch(b: Uint8Array, level: number): Uint8Array {
  const bound = zstd.compressBound(b.length);
  let out = scratchOut;
  if (out.length < bound) {
    out = Buffer.allocUnsafeSlow(Math.max(bound, Math.min(SCRATCH_KEEP, out.length * 2)));
    if (out.length <= SCRATCH_KEEP) scratchOut = out;
  }
  return out.subarray(0, cctx.compress(out, b, level));
}

export const asBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Writes a segment through a temp file: `build` writes the sections and returns the footer, which goes last; then
 * fsync, rename into place and fsync the directory, so a crash leaves either no file or a whole one.
 */
export function writeSegmentFile(path: string, level: number, build: (out: FileOut) => SegmentFooter): SegmentFooter {
  const tmp = path + '.tmp';
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw storageError(e, 'create segment', tmp);
  }
  let open = true;
  try {
    const out = new FileOut(fd, tmp, level);
    out.write(Buffer.from(SEG_MAGIC_HEAD, 'latin1'));
    const footer = build(out);
    const fj = Buffer.from(JSON.stringify(footer), 'utf8');
    const tail = Buffer.alloc(16);
    tail.writeUInt32LE(fj.length, 0);
    tail.writeUInt32LE(crc32c(fj), 4);
    tail.write(SEG_MAGIC_TAIL, 8, 'latin1');
    out.write(fj);
    out.write(tail);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(tmp, path);
    fsyncDir(dirOf(path));
    return footer;
  } catch (e) {
    if (open) closeSync(fd);
    throw e;
  }
}

/**
 * Stored docs in blocks of BLOCK_DOCS, each split into templates and variables (stored-blocks.ts); `put` adds doc
 * `doc` to the writer, as text or copied from a stored block. Returns the block index section and the segment's
 * shared templates. `grouped` false is a seam for tests that rewrite the segment as a version before 5.
 */
export function writeBlocks(
  out: FileOut,
  n: number,
  put: (doc: number, w: StoredBlocksWriter) => void,
  grouped = true,
): Pick<SegmentFooter, 'blocks' | 'templates'> {
  const stored = new StoredBlocksWriter(out.blockLevel, grouped);
  const blocks = eachBlock(out, n, (lo, hi) => {
    stored.begin();
    for (let i = lo; i < hi; i++) put(i, stored);
    return out.write(stored.end());
  });
  return { blocks, templates: out.write(stored.templates()) };
}

/** Writes docs [0, n) as blocks of BLOCK_DOCS, `write(lo, hi)` each, then the blocks section of their refs. */
function eachBlock(out: FileOut, n: number, write: (lo: number, hi: number) => SectionRef): SectionRef {
  const blockCount = Math.ceil(n / BLOCK_DOCS);
  const refs = new Float64Array(blockCount * 3);
  for (let b = 0; b < blockCount; b++) {
    const lo = b * BLOCK_DOCS;
    refs.set(write(lo, Math.min(n, lo + BLOCK_DOCS)), b * 3);
  }
  return out.writeCompressed(asBytes(refs));
}

/**
 * Stored docs in blocks of BLOCK_DOCS, each one zstd frame (at `level`) of the docs' JSON joined by newlines: what a
 * seal writes (layout.ts, ZSTD_LEVEL_SEAL). Doc i's UTF-8 text is `bufs[buf[i]]` from `start[i]` to `end[i]`;
 * JSON text never holds a raw newline, so the reader splits the block back exactly.
 */
export function writeJoinedBlocks(out: FileOut, n: number, docs: DocBytes, level: number): Pick<SegmentFooter, 'blocks'> {
  let joined = new Uint8Array(1 << 20);
  const blocks = eachBlock(out, n, (lo, hi) => {
    let len = 0;
    for (let i = lo; i < hi; i++) {
      const s = docs.start[i];
      const e = docs.end[i];
      if (len + e - s + 1 > joined.length) {
        const grown = new Uint8Array(Math.max(joined.length * 2, len + e - s + 1));
        grown.set(joined.subarray(0, len));
        joined = grown;
      }
      if (i > lo) joined[len++] = 10;
      joined.set(docs.bufs[docs.buf[i]].subarray(s, e), len);
      len += e - s;
    }
    return out.writeCompressed(joined.subarray(0, len), level);
  });
  return { blocks };
}

/** Timestamps (first zigzag, then non-negative deltas) and offsets (zigzag deltas), as varints. */
export function writeTsSeq(out: FileOut, ts: Float64Array, seq: Float64Array): { ts: SectionRef; seq: SectionRef } {
  const n = ts.length;
  const tsW = new ByteWriter(n * 2 + 16);
  const seqW = new ByteWriter(n * 2 + 16);
  let prevTs = 0;
  let prevSeq = 0;
  for (let i = 0; i < n; i++) {
    tsW.varint(i === 0 ? zigzag(ts[0]) : ts[i] - prevTs);
    prevTs = ts[i];
    seqW.varint(zigzag(seq[i] - prevSeq));
    prevSeq = seq[i];
  }
  return { ts: out.writeCompressed(tsW.result()), seq: out.writeCompressed(seqW.result()) };
}

/** Footer fields that follow from the sorted columns. */
export function footerBase(ts: Float64Array, seq: Float64Array): Pick<SegmentFooter, 'docs' | 'minTs' | 'maxTs' | 'minSeq' | 'maxSeq'> {
  const n = ts.length;
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (let i = 0; i < n; i++) {
    if (seq[i] < minSeq) minSeq = seq[i];
    if (seq[i] > maxSeq) maxSeq = seq[i];
  }
  return { docs: n, minTs: n > 0 ? ts[0] : 0, maxTs: n > 0 ? ts[n - 1] : 0, minSeq: n > 0 ? minSeq : 0, maxSeq: n > 0 ? maxSeq : -1 };
}

/** Postings per skip block: a skip entry lets range and newest-first reads start mid-list. */
export const SKIP_EVERY = 128;

/**
 * A field's inverted index, written one term at a time in sorted order: postings as doc-id deltas, each doc's
 * token positions as deltas, and for long lists a skip entry per SKIP_EVERY postings (the doc before the block,
 * and where the block starts in the postings and positions streams). Per term, `offsets` gets four varints:
 * postings bytes, positions bytes, doc count, skip bytes. Given the field's patterns, terms in at least
 * `groupedMinDf` docs (GROUPED_MIN_DF by default) are written grouped by pattern instead (grouped-postings.ts), with
 * 0 postings bytes.
 */
export class TermsWriter {
  private terms: string[] = [];
  private grouped: GroupedPostingsWriter | null;
  /** A grouped term's packed positions entries, and where each doc's starts. */
  private entries = new ByteWriter(1 << 12);
  private entryAt = new Uint32Array(0);
  private postings: ByteWriter;
  private positions = new ByteWriter(1 << 16);
  private skips = new ByteWriter(1 << 12);
  private lengths: ByteWriter;
  /**
   * `counted`: positions entries as versions 1–3 wrote them, for tests that rewrite a segment as one of those
   * versions; segments this build writes are always packed (bytes.ts).
   */
  constructor(
    expectedPostings: number,
    expectedTerms: number,
    private counted = false,
    patterns: PatternDocs | null = null,
    private groupedMinDf = GROUPED_MIN_DF,
  ) {
    this.postings = new ByteWriter(expectedPostings + 64);
    this.lengths = new ByteWriter(expectedTerms * 4 + 16);
    this.grouped = patterns && !counted ? new GroupedPostingsWriter(patterns) : null;
  }
  get size(): number {
    return this.terms.length;
  }
  /** `docs[0..n)` ascending; doc i's positions are `pos[posStart[i] .. posStart[i + 1])` when positions are given. */
  add(term: string, docs: ArrayLike<number>, n: number, posStart: ArrayLike<number> | null, pos: ArrayLike<number> | null): void {
    if (posStart && pos && this.grouped && n >= this.groupedMinDf) {
      const e = this.entries;
      e.len = 0;
      const at = this.entryStarts(n);
      for (let i = 0; i < n; i++) {
        at[i] = e.len;
        writePositionsEntry(e, pos, posStart[i], posStart[i + 1]);
      }
      at[n] = e.len;
      this.addGrouped(term, docs, n, e.result(), at);
      return;
    }
    const pOff = this.addPostings(term, docs, n);
    const qOff = pOff ? new Uint32Array(pOff.length) : null;
    const w = this.positions;
    const pb = w.len;
    if (posStart && pos) {
      for (let i = 0; i < n; i++) {
        if (qOff && i % SKIP_EVERY === 0) qOff[i / SKIP_EVERY] = w.len - pb;
        writePositionsEntry(w, pos, posStart[i], posStart[i + 1], this.counted);
      }
    }
    this.addSkips(docs, n, w.len - pb, pOff, qOff);
  }

  /**
   * Like `add`, with positions given as already-encoded bytes: the per-doc packed entries of `docs[0..n)` in order,
   * as one or more chunks. A merge whose inputs do not interleave for a term copies them instead of decoding and
   * re-encoding every position; only each entry's header is read, to find where skip blocks start.
   */
  addEncodedPositions(term: string, docs: ArrayLike<number>, n: number, ...chunks: Uint8Array[]): void {
    if (this.grouped && n >= this.groupedMinDf) {
      let bytes = chunks.length === 1 ? chunks[0] : null;
      if (bytes === null) {
        const e = this.entries;
        e.len = 0;
        for (const c of chunks) e.bytes(c);
        bytes = e.result();
      }
      const at = this.entryStarts(n);
      let p = 0;
      for (let i = 0; i < n; i++) {
        at[i] = p;
        p = skipPositionsEntry(bytes, p);
      }
      at[n] = p;
      this.addGrouped(term, docs, n, bytes, at);
      return;
    }
    const pOff = this.addPostings(term, docs, n);
    const qOff = pOff ? new Uint32Array(pOff.length) : null;
    const w = this.positions;
    const pb = w.len;
    let doc = 0;
    for (const c of chunks) {
      if (qOff) {
        const chunkStart = w.len - pb;
        for (let at = 0; at < c.length; doc++) {
          if (doc % SKIP_EVERY === 0) qOff[doc / SKIP_EVERY] = chunkStart + at;
          at = skipPositionsEntry(c, at);
        }
      }
      w.bytes(c);
    }
    this.addSkips(docs, n, w.len - pb, pOff, qOff);
  }

  private entryStarts(n: number): Uint32Array {
    if (this.entryAt.length < n + 1) this.entryAt = new Uint32Array(Math.max(n + 1, this.entryAt.length * 2));
    return this.entryAt;
  }

  private addGrouped(term: string, docs: ArrayLike<number>, n: number, entries: Uint8Array, at: Uint32Array): void {
    this.grouped!.add(docs, n, entries, at);
    this.terms.push(term);
    this.lengths.varint(0);
    this.lengths.varint(0);
    this.lengths.varint(n);
    this.lengths.varint(0);
  }

  /** The streams as written so far, for a reader that writes a grouped term out plain in memory. */
  plainStreams(): { postings: Uint8Array; positions: Uint8Array; skips: Uint8Array; lengths: Uint8Array } {
    return { postings: this.postings.result(), positions: this.positions.result(), skips: this.skips.result(), lengths: this.lengths.result() };
  }

  /** Records the term and writes its postings; returns each skip block's start in them (null for one block). */
  private addPostings(term: string, docs: ArrayLike<number>, n: number): Uint32Array | null {
    this.terms.push(term);
    const blocks = Math.ceil(n / SKIP_EVERY);
    const pOff = blocks > 1 ? new Uint32Array(blocks) : null;
    const p = this.postings;
    const before = p.len;
    let prev = 0;
    for (let i = 0; i < n; i++) {
      if (pOff && i % SKIP_EVERY === 0) pOff[i / SKIP_EVERY] = p.len - before;
      p.varint(docs[i] - prev);
      prev = docs[i];
    }
    this.lengths.varint(p.len - before);
    return pOff;
  }

  /** The rest of the term's lengths entry (positions bytes, doc count), then its skip entries. */
  private addSkips(docs: ArrayLike<number>, n: number, positionBytes: number, pOff: Uint32Array | null, qOff: Uint32Array | null): void {
    this.lengths.varint(positionBytes);
    this.lengths.varint(n);
    const sk = this.skips;
    const sb = sk.len;
    if (pOff && qOff) {
      // Entries for blocks 1.. as deltas: the doc before the block, then the two byte offsets.
      let lastDoc = 0;
      for (let b = 1; b < pOff.length; b++) {
        const d = docs[b * SKIP_EVERY - 1];
        sk.varint(d - lastDoc);
        lastDoc = d;
        sk.varint(pOff[b] - pOff[b - 1]);
        sk.varint(qOff[b] - qOff[b - 1]);
      }
    }
    this.lengths.varint(sk.len - sb);
  }

  finish(out: FileOut): NonNullable<FieldMeta['text']> {
    return {
      terms: this.terms.length,
      dict: out.writeCompressed(frontCode(this.terms)),
      postings: out.writeCompressed(this.postings.result()),
      offsets: out.writeCompressed(this.lengths.result()),
      positions: out.writeCompressed(this.positions.result()),
      skips: out.writeCompressed(this.skips.result()),
      ...(this.grouped && this.grouped.terms > 0 ? { grouped: this.grouped.finish(out) } : {}),
    };
  }
}

/**
 * A field's patterns (patterns.ts): per keyword ordinal when the field has a keyword column (`kwOrds`, as written),
 * since docs with the same value have the same pattern; per doc otherwise.
 */
export function writePatterns(out: FileOut, values: string[], ords: ArrayLike<number>, kwOrds: ArrayLike<number> | null, n: number): NonNullable<NonNullable<FieldMeta['text']>['patterns']> {
  const ref = out.writeCompressed(Buffer.from(JSON.stringify(values), 'utf8'));
  if (kwOrds !== null) {
    let max = 0;
    for (let i = 0; i < n; i++) if (kwOrds[i] > max) max = kwOrds[i];
    // A value's pattern is a function of the value; checked rather than assumed, since a mismatch would be silent.
    const seen = new Int32Array(max + 1).fill(-1);
    seen[0] = 0;
    let consistent = true;
    for (let i = 0; i < n && consistent; i++) {
      const k = kwOrds[i];
      if (seen[k] < 0) seen[k] = ords[i];
      consistent = seen[k] === ords[i];
    }
    if (consistent) return { values: ref, byKeyword: out.writeCompressed(asBytes(Uint16Array.from(seen, (p) => Math.max(0, p)))) };
  }
  const { bytes, width } = narrowOrds(values.length, ords, n);
  return { values: ref, ords: out.writeCompressed(bytes), width: width as 1 | 2 };
}

/** Ordinals 0..count in the narrowest unsigned width that holds them, as bytes. */
function narrowOrds(count: number, ords: ArrayLike<number>, n: number): { bytes: Uint8Array; width: 1 | 2 | 4 } {
  const width: 1 | 2 | 4 = count < 256 ? 1 : count < 65536 ? 2 : 4;
  const arr = width === 1 ? new Uint8Array(n) : width === 2 ? new Uint16Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) arr[i] = ords[i];
  return { bytes: asBytes(arr), width };
}

/** A keyword column: values sorted, ordinals 1-based in that order (0: none). */
export function writeKeyword(out: FileOut, sortedValues: string[], ords: ArrayLike<number>, n: number): NonNullable<FieldMeta['keyword']> {
  const { bytes, width } = narrowOrds(sortedValues.length, ords, n);
  return { values: out.writeCompressed(Buffer.from(JSON.stringify(sortedValues), 'utf8')), ords: out.writeCompressed(bytes), width };
}
