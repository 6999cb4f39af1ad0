import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { compress } from 'zstd-napi';
import type { Fields } from '../../lib/record.ts';
import { storageError } from '../../lib/errors.ts';
import { dirOf, fsyncDir } from '../log/file.ts';
import { crc32c } from '../log/crc.ts';
import { TermTable } from './term-table.ts';
import { ByteWriter, zigzag } from './bytes.ts';
import {
  BLOCK_DOCS,
  type FieldMeta,
  MAX_KEYWORD_VALUES,
  SEG_MAGIC_HEAD,
  SEG_MAGIC_TAIL,
  SEG_VERSION,
  type SectionRef,
  POSITIONS_MIN_DOCS,
  type SegmentFooter,
  ZSTD_LEVEL_MERGE,
  ZSTD_LEVEL_SEAL,
} from './layout.ts';

/** Records to seal, already sorted by (ts, seq). `json[i]` is the stored text of the doc's fields. */
export interface SegmentSource {
  ts: Float64Array;
  seq: Float64Array;
  json: string[];
}

/** Per-field accumulation while scanning docs once. */
class FieldBuilder {
  // Inverted index as (termId, docId) pairs; a counting sort by term later keeps doc ids ascending.
  terms: TermTable;
  numbers: Float64Array | null = null;
  keyword: Map<string, number> | null = new Map();
  keywordOrds: Uint32Array;
  presence: Uint32Array;
  constructor(readonly n: number, expectedPairs: number) {
    this.keywordOrds = new Uint32Array(n);
    this.presence = new Uint32Array((n + 31) >>> 5);
    this.terms = new TermTable(expectedPairs);
  }
}

class FileOut {
  pos = 0;
  constructor(private fd: number, private path: string, private level: number) {}
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
  writeCompressed(b: Uint8Array): SectionRef {
    return this.write(compress(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { compressionLevel: this.level }));
  }
}

const asBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Writes a sealed segment to `path` (through a temp file, fsynced and renamed, then the directory fsynced) and
 * returns its footer. Runs in a pool worker: it allocates freely per segment, never per token.
 */
export function writeSegment(path: string, src: SegmentSource, purpose: 'seal' | 'merge' = 'seal'): SegmentFooter {
  const n = src.ts.length;
  const tmp = path + '.tmp';
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw storageError(e, 'create segment', tmp);
  }
  try {
    const out = new FileOut(fd, tmp, purpose === 'seal' ? ZSTD_LEVEL_SEAL : ZSTD_LEVEL_MERGE);
    out.write(Buffer.from(SEG_MAGIC_HEAD, 'latin1'));
    const footer = buildInto(out, src, n);
    const fj = Buffer.from(JSON.stringify(footer), 'utf8');
    const tail = Buffer.alloc(16);
    tail.writeUInt32LE(fj.length, 0);
    tail.writeUInt32LE(crc32c(fj), 4);
    tail.write(SEG_MAGIC_TAIL, 8, 'latin1');
    out.write(fj);
    out.write(tail);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    fsyncDir(dirOf(path));
    return footer;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    throw e;
  }
}

function buildInto(out: FileOut, src: SegmentSource, n: number): SegmentFooter {
  // Stored docs, in blocks.
  const blockCount = Math.ceil(n / BLOCK_DOCS);
  const blockRefs = new Float64Array(blockCount * 3);
  for (let b = 0; b < blockCount; b++) {
    const lo = b * BLOCK_DOCS;
    const hi = Math.min(n, lo + BLOCK_DOCS);
    const ref = out.writeCompressed(Buffer.from(src.json.slice(lo, hi).join('\n'), 'utf8'));
    blockRefs[b * 3] = ref[0];
    blockRefs[b * 3 + 1] = ref[1];
    blockRefs[b * 3 + 2] = ref[2];
  }
  const blocks = out.writeCompressed(asBytes(blockRefs));

  const tsW = new ByteWriter(n * 2 + 16);
  const seqW = new ByteWriter(n * 2 + 16);
  let prevTs = n > 0 ? src.ts[0] : 0;
  let prevSeq = 0;
  tsW.varint(zigzag(prevTs));
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      tsW.varint(src.ts[i] - prevTs);
      prevTs = src.ts[i];
    }
    seqW.varint(zigzag(src.seq[i] - prevSeq));
    prevSeq = src.seq[i];
  }
  const ts = out.writeCompressed(tsW.result());
  const seq = out.writeCompressed(seqW.result());

  let textChars = 0;
  for (let i = 0; i < n; i++) textChars += src.json[i].length;
  const builders = new Map<string, FieldBuilder>();
  for (let doc = 0; doc < n; doc++) {
    // Parsed one at a time and dropped: a segment's worth of field objects would be most of the GC work.
    const f = JSON.parse(src.json[doc]) as Fields;
    for (const name in f) {
      let fb = builders.get(name);
      if (fb === undefined) {
        // About one distinct token per 6 characters of stored text, for the first (usually the main) field.
        fb = new FieldBuilder(n, builders.size === 0 ? Math.ceil(textChars / 6) + 1024 : 4096);
        builders.set(name, fb);
      }
      fb.presence[doc >>> 5] |= 1 << (doc & 31);
      const v = f[name];
      if (typeof v === 'number') {
        if (fb.numbers === null) fb.numbers = new Float64Array(n).fill(NaN);
        fb.numbers[doc] = v;
        continue;
      }
      const s = typeof v === 'string' ? v : v ? 'true' : 'false';
      if (fb.keyword !== null) {
        let ord = fb.keyword.get(s);
        if (ord === undefined) {
          if (fb.keyword.size >= MAX_KEYWORD_VALUES) fb.keyword = null;
          else fb.keyword.set(s, (ord = fb.keyword.size + 1));
        }
        if (ord !== undefined) fb.keywordOrds[doc] = ord;
      }
      fb.terms.addText(s.toLowerCase(), doc);
    }
  }

  const fields: Record<string, FieldMeta> = {};
  for (const [name, fb] of [...builders].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const meta: FieldMeta = { presence: out.writeCompressed(asBytes(fb.presence)) };
    if (fb.numbers !== null) meta.number = out.writeCompressed(asBytes(fb.numbers));
    if (fb.terms.size > 0) meta.text = writeTerms(out, fb.terms);
    if (fb.keyword !== null && fb.keyword.size > 0) meta.keyword = writeKeyword(out, fb, n);
    fields[name] = meta;
  }

  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (let i = 0; i < n; i++) {
    if (src.seq[i] < minSeq) minSeq = src.seq[i];
    if (src.seq[i] > maxSeq) maxSeq = src.seq[i];
  }
  return {
    version: SEG_VERSION,
    docs: n,
    minTs: n > 0 ? src.ts[0] : 0,
    maxTs: n > 0 ? src.ts[n - 1] : 0,
    minSeq: n > 0 ? minSeq : 0,
    maxSeq: n > 0 ? maxSeq : -1,
    blockDocs: BLOCK_DOCS,
    blocks,
    ts,
    seq,
    fields,
  };
}

function writeTerms(out: FileOut, tt: TermTable): NonNullable<FieldMeta['text']> {
  const terms = tt.terms;
  const nTerms = terms.length;
  // Counting sort of occurrences by term id; within a term they stay in (doc, position) order as added.
  const counts = new Uint32Array(nTerms + 1);
  for (let i = 0; i < tt.pairs; i++) counts[tt.pairTerm[i] + 1]++;
  for (let t = 0; t < nTerms; t++) counts[t + 1] += counts[t];
  const cursor = counts.slice(0, nTerms);
  const occDoc = new Uint32Array(tt.pairs);
  const occPos = new Uint32Array(tt.pairs);
  for (let i = 0; i < tt.pairs; i++) {
    const at = cursor[tt.pairTerm[i]]++;
    occDoc[at] = tt.pairDoc[i];
    occPos[at] = tt.pairPos[i];
  }

  // Default sort compares UTF-16 code units, the order the reader's binary search uses; ids come back by lookup.
  const sortedTerms = terms.slice().sort();
  const postings = new ByteWriter(tt.pairs + 64);
  const positions = new ByteWriter(1 << 16);
  // Per sorted term: byte lengths of its postings and of its positions (0: none), as varints.
  const lengths = new ByteWriter(nTerms * 2 + 16);
  for (let k = 0; k < nTerms; k++) {
    const t = tt.find(sortedTerms[k]);
    const lo = counts[t];
    const hi = counts[t + 1];
    const before = postings.len;
    let prev = 0;
    let df = 0;
    for (let i = lo; i < hi; i++) {
      if (i > lo && occDoc[i] === occDoc[i - 1]) continue;
      postings.varint(occDoc[i] - prev);
      prev = occDoc[i];
      df++;
    }
    lengths.varint(postings.len - before);
    const posBefore = positions.len;
    if (df >= POSITIONS_MIN_DOCS) {
      // Per doc: occurrence count, then positions as deltas. Grouped per term, a templated word's positions repeat
      // and compress to almost nothing; rare terms skip this and phrases verify them against the stored text.
      for (let i = lo; i < hi; ) {
        let j = i + 1;
        while (j < hi && occDoc[j] === occDoc[i]) j++;
        positions.varint(j - i);
        let p = 0;
        for (let m = i; m < j; m++) {
          positions.varint(occPos[m] - p);
          p = occPos[m];
        }
        i = j;
      }
    }
    lengths.varint(positions.len - posBefore);
  }
  return {
    terms: nTerms,
    dict: out.writeCompressed(Buffer.from(sortedTerms.join('\n'), 'utf8')),
    postings: out.writeCompressed(postings.result()),
    offsets: out.writeCompressed(lengths.result()),
    positions: out.writeCompressed(positions.result()),
  };
}

function writeKeyword(out: FileOut, fb: FieldBuilder, n: number): NonNullable<FieldMeta['keyword']> {
  const values = [...fb.keyword!.keys()];
  // Re-number ordinals in sorted value order, so terms aggregations can return values in a stable order.
  const order = values.map((_, i) => i).sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));
  const remap = new Uint32Array(values.length + 1);
  order.forEach((old, k) => (remap[old + 1] = k + 1));
  const width: 1 | 2 | 4 = values.length < 256 ? 1 : values.length < 65536 ? 2 : 4;
  const ords = width === 1 ? new Uint8Array(n) : width === 2 ? new Uint16Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) ords[i] = remap[fb.keywordOrds[i]];
  return {
    values: out.writeCompressed(Buffer.from(JSON.stringify(order.map((i) => values[i])), 'utf8')),
    ords: out.writeCompressed(asBytes(ords)),
    width,
  };
}
