import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decompress } from 'zstd-napi';
import { StrataError } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import { crc32c } from '../log/crc.ts';
import { Bitset } from '../query/bitset.ts';
import { ByteReader, decodeDeltas, unzigzag } from './bytes.ts';
import { type FieldMeta, SEG_MAGIC_HEAD, SEG_MAGIC_TAIL, SEG_VERSION, type SectionRef, type SegmentFooter } from './layout.ts';

interface TextIndex {
  terms: string[];
  postings: Uint8Array;
  /** Byte offset of each term's postings, plus the end: term k spans [offsets[k], offsets[k + 1]). */
  offsets: Uint32Array;
  positions: Uint8Array;
  /** Same for positions; an empty span means the term stores none (it is rare in this segment). */
  posOffsets: Uint32Array;
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
 * dictionaries, columns and stored blocks are read on first use and cached.
 */
export class SegmentReader {
  readonly ts: Float64Array;
  readonly seq: Float64Array;
  private text = new Map<string, TextIndex>();
  private numbers = new Map<string, Float64Array>();
  private keywords = new Map<string, KeywordColumn>();
  private presence = new Map<string, Bitset>();
  private blockRefs: Float64Array;
  private blockCache: { block: number; docs: string[] }[] = [];
  private closed = false;

  private constructor(readonly path: string, private fd: number, readonly footer: SegmentFooter, readonly bytes: number) {
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
    const br = this.section(footer.blocks);
    this.blockRefs = new Float64Array(br.buffer.slice(br.byteOffset, br.byteOffset + br.byteLength));
  }

  static open(path: string): SegmentReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const head = readAt(fd, 0, 8);
      if (size < 24 || Buffer.from(head).toString('latin1') !== SEG_MAGIC_HEAD) throw corrupt(path, 'bad header magic');
      const tail = Buffer.from(readAt(fd, size - 16, 16));
      if (tail.toString('latin1', 8, 16) !== SEG_MAGIC_TAIL) throw corrupt(path, 'bad tail magic (incomplete write?)');
      const flen = tail.readUInt32LE(0);
      if (flen > size - 24) throw corrupt(path, 'footer length out of range');
      const fbytes = readAt(fd, size - 16 - flen, flen);
      if (crc32c(fbytes) !== tail.readUInt32LE(4)) throw corrupt(path, 'footer CRC mismatch');
      const footer = JSON.parse(Buffer.from(fbytes).toString('utf8')) as SegmentFooter;
      if (footer.version !== SEG_VERSION) throw corrupt(path, `unsupported segment version ${footer.version}`);
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
  textFieldNames(): string[] {
    return Object.keys(this.footer.fields).filter((f) => this.footer.fields[f].text !== undefined);
  }

  private section(ref: SectionRef): Uint8Array {
    const raw = readAt(this.fd, ref[0], ref[1]);
    if (crc32c(raw) !== ref[2]) throw corrupt(this.path, `section CRC mismatch at byte ${ref[0]}`);
    return decompress(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  }

  private textIndex(field: string): TextIndex | null {
    let ti = this.text.get(field);
    if (ti) return ti;
    const meta = this.footer.fields[field]?.text;
    if (!meta) return null;
    const dict = Buffer.from(this.section(meta.dict)).toString('utf8');
    const lengths = new ByteReader(this.section(meta.offsets));
    const offsets = new Uint32Array(meta.terms + 1);
    const posOffsets = new Uint32Array(meta.terms + 1);
    for (let k = 0; k < meta.terms; k++) {
      offsets[k + 1] = offsets[k] + lengths.varint();
      posOffsets[k + 1] = posOffsets[k] + lengths.varint();
    }
    ti = { terms: dict.split('\n'), postings: this.section(meta.postings), offsets, positions: this.section(meta.positions), posOffsets };
    this.text.set(field, ti);
    return ti;
  }

  /** Index of the first term >= `t` in the field's sorted dictionary. */
  private lowerBound(terms: string[], t: string): number {
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (terms[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private postingsOf(ti: TextIndex, k: number): Uint32Array {
    return decodeDeltas(ti.postings, ti.offsets[k], ti.offsets[k + 1]);
  }

  /** Postings of an exact token in a field, or null when the field never has it. */
  termDocs(field: string, token: string): Uint32Array | null {
    const ti = this.textIndex(field);
    if (!ti) return null;
    const k = this.lowerBound(ti.terms, token);
    return k < ti.terms.length && ti.terms[k] === token ? this.postingsOf(ti, k) : null;
  }

  /** A term's postings with positions, null when the field lacks the term, 'no-positions' when it stores none. */
  termPositions(field: string, token: string): PositionalPostings | null | 'no-positions' {
    const ti = this.textIndex(field);
    if (!ti) return null;
    const k = this.lowerBound(ti.terms, token);
    if (k >= ti.terms.length || ti.terms[k] !== token) return null;
    const docs = this.postingsOf(ti, k);
    const p = this.positionsOf(ti, k, docs.length);
    return p ? { docs, ...p } : 'no-positions';
  }

  private positionsOf(ti: TextIndex, k: number, n: number): { start: Uint32Array; pos: Uint32Array } | null {
    const from = ti.posOffsets[k];
    if (from === ti.posOffsets[k + 1]) return null;
    const start = new Uint32Array(n + 1);
    const r = new ByteReader(ti.positions);
    r.pos = from;
    // Each position takes at least one byte, so the span's length bounds how many there are.
    let pos = new Uint32Array(ti.posOffsets[k + 1] - from);
    let at = 0;
    for (let i = 0; i < n; i++) {
      start[i] = at;
      const c = r.varint();
      let p = 0;
      for (let j = 0; j < c; j++) pos[at++] = p += r.varint();
    }
    start[n] = at;
    if (at < pos.length) pos = pos.subarray(0, at);
    return { start, pos };
  }

  /** The field's sorted term dictionary, for merging. */
  termsOf(field: string): readonly string[] | null {
    return this.textIndex(field)?.terms ?? null;
  }

  /** Docs of the k-th term of the field's dictionary, for merging. */
  postingsAt(field: string, k: number): Uint32Array {
    return this.postingsOf(this.textIndex(field)!, k);
  }

  /** Positions of the k-th term (per doc of its postings), or null when the segment stores none for it. */
  positionsAt(field: string, k: number, docCount: number): { start: Uint32Array; pos: Uint32Array } | null {
    return this.positionsOf(this.textIndex(field)!, k, docCount);
  }

  /** ORs into `into` the postings of every token of the field that starts with `prefix`; returns how many terms. */
  prefixDocs(field: string, prefix: string, into: Bitset): number {
    const ti = this.textIndex(field);
    if (!ti) return 0;
    let k = this.lowerBound(ti.terms, prefix);
    let n = 0;
    for (; k < ti.terms.length && ti.terms[k].startsWith(prefix); k++, n++) into.setAll(this.postingsOf(ti, k));
    return n;
  }

  numberColumn(field: string): Float64Array | null {
    let c = this.numbers.get(field);
    if (c) return c;
    const ref = this.footer.fields[field]?.number;
    if (!ref) return null;
    const raw = this.section(ref);
    c = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    this.numbers.set(field, c);
    return c;
  }

  keywordColumn(field: string): KeywordColumn | null {
    let c = this.keywords.get(field);
    if (c) return c;
    const meta = this.footer.fields[field]?.keyword;
    if (!meta) return null;
    const values = JSON.parse(Buffer.from(this.section(meta.values)).toString('utf8')) as string[];
    const raw = this.section(meta.ords);
    const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    const ords = meta.width === 1 ? new Uint8Array(ab) : meta.width === 2 ? new Uint16Array(ab) : new Uint32Array(ab);
    c = { values, ords };
    this.keywords.set(field, c);
    return c;
  }

  presenceOf(field: string): Bitset | null {
    let b = this.presence.get(field);
    if (b) return b;
    const ref = this.footer.fields[field]?.presence;
    if (!ref) return null;
    const raw = this.section(ref);
    b = new Bitset(this.docs, new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
    this.presence.set(field, b);
    return b;
  }

  /** The stored JSON text of a doc's fields. */
  docJson(doc: number): string {
    const bd = this.footer.blockDocs;
    const block = Math.floor(doc / bd);
    let hit = this.blockCache.find((c) => c.block === block);
    if (!hit) {
      const ref: SectionRef = [this.blockRefs[block * 3], this.blockRefs[block * 3 + 1], this.blockRefs[block * 3 + 2]];
      hit = { block, docs: Buffer.from(this.section(ref)).toString('utf8').split('\n') };
      this.blockCache.unshift(hit);
      if (this.blockCache.length > BLOCK_CACHE) this.blockCache.pop();
    }
    return hit.docs[doc - block * bd];
  }

  doc(doc: number): Fields {
    return JSON.parse(this.docJson(doc)) as Fields;
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
