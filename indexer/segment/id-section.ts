import { StrataError } from '../../lib/errors.ts';
import { hashId, type IdHasher } from '../../lib/id-hash.ts';
import type { SectionRef } from './layout.ts';
import { asBytes, type FileOut } from './segment-file.ts';

/**
 * A segment's `_id` section (format.md): the 64-bit hashes of its docs' `_id`s, sorted, with the doc of each, so
 * that "is this id in the segment?" is a binary search over a column instead of a read of stored records. Entries
 * are ordered by (hi, lo, doc); three parallel u32 columns keep the search on `hi` within one dense array.
 */
export interface IdIndex {
  hi: Uint32Array;
  lo: Uint32Array;
  docs: Uint32Array;
}

/** The footer's reference to the section: `count` entries, stored as hi[count], lo[count], docs[count]. */
export interface IdsMeta {
  count: number;
  entries: SectionRef;
}

/**
 * Collects (doc, hash) pairs in ascending doc order, then sorts them: a seal adds ids as it parses each doc, a
 * merge adds remapped entries of its inputs. Equal hashes keep doc order, so a merge writes what a fresh build of
 * the same docs would.
 */
export class IdIndexBuilder {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private docs: Uint32Array;
  private n = 0;
  private lastDoc = -1;
  private scratch = new Uint32Array(2);
  constructor(
    expected: number,
    private hash: IdHasher = hashId,
  ) {
    const cap = Math.max(16, expected);
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.docs = new Uint32Array(cap);
  }

  addId(doc: number, id: string): void {
    this.hash(id, this.scratch, 0);
    this.add(doc, this.scratch[0], this.scratch[1]);
  }

  add(doc: number, hi: number, lo: number): void {
    this.reserve(doc);
    this.hi[this.n] = hi;
    this.lo[this.n] = lo;
    this.docs[this.n++] = doc;
  }

  private reserve(doc: number): void {
    if (doc <= this.lastDoc) throw new StrataError('internal', `id entries must come in ascending doc order (${doc} after ${this.lastDoc})`);
    this.lastDoc = doc;
    if (this.n < this.hi.length) return;
    const cap = this.hi.length * 2;
    for (const k of ['hi', 'lo', 'docs'] as const) {
      const a = new Uint32Array(cap);
      a.set(this[k].subarray(0, this.n));
      this[k] = a;
    }
  }

  /** The sorted index, or null when no doc had an id (the segment then gets no section). */
  finish(): IdIndex | null {
    const n = this.n;
    if (n === 0) return null;
    const order = sortOrder(this.hi, this.lo, n);
    const out: IdIndex = { hi: new Uint32Array(n), lo: new Uint32Array(n), docs: new Uint32Array(n) };
    for (let k = 0; k < n; k++) {
      const j = order[k];
      out.hi[k] = this.hi[j];
      out.lo[k] = this.lo[j];
      out.docs[k] = this.docs[j];
    }
    return out;
  }
}

/**
 * The permutation sorting entries by (hi, lo), stable: an LSD radix sort on the two 16-bit digits of `hi`, then
 * an insertion sort of each run of equal `hi` by `lo`. Among n uniform 32-bit values about n²/2^33 pairs are
 * equal (5 in a 200k seal), so the runs are tiny. 200k entries here: 30–45 ms, a comparator sort 100–120 ms.
 */
function sortOrder(hi: Uint32Array, lo: Uint32Array, n: number): Uint32Array {
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const count = new Uint32Array(65537);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((hi[order[i]] >>> shift) & 0xffff) + 1]++;
    for (let d = 0; d < 65536; d++) count[d + 1] += count[d];
    for (let i = 0; i < n; i++) {
      const j = order[i];
      next[count[(hi[j] >>> shift) & 0xffff]++] = j;
    }
    [order, next] = [next, order];
  }
  for (let a = 0; a < n; ) {
    let z = a + 1;
    while (z < n && hi[order[z]] === hi[order[a]]) z++;
    for (let i = a + 1; i < z; i++) {
      const j = order[i];
      let k = i;
      for (; k > a && lo[order[k - 1]] > lo[j]; k--) order[k] = order[k - 1];
      order[k] = j;
    }
    a = z;
  }
  return order;
}

/**
 * The id index of a merged segment: every input's entries with their docs remapped (`maps[i][oldDoc]` is the new
 * doc), then sorted. Only the inputs' id sections are read, never their stored records. Inputs without a section
 * (no doc had an id, or written before sections existed) contribute nothing.
 */
export function mergeIdIndexes(inputs: readonly (IdIndex | null)[], maps: readonly Uint32Array[], docs: number): IdIndex | null {
  let total = 0;
  for (const ix of inputs) total += ix?.docs.length ?? 0;
  if (total === 0) return null;
  // Scattered by new doc first, so the builder gets them in doc order, as a seal of the same docs would.
  const hi = new Uint32Array(docs);
  const lo = new Uint32Array(docs);
  const has = new Uint8Array(docs);
  inputs.forEach((ix, i) => {
    if (!ix) return;
    const map = maps[i];
    for (let k = 0; k < ix.docs.length; k++) {
      const d = map[ix.docs[k]];
      hi[d] = ix.hi[k];
      lo[d] = ix.lo[k];
      has[d] = 1;
    }
  });
  const b = new IdIndexBuilder(total);
  for (let d = 0; d < docs; d++) if (has[d] === 1) b.add(d, hi[d], lo[d]);
  return b.finish();
}

export function writeIdIndex(out: FileOut, ix: IdIndex): IdsMeta {
  const n = ix.docs.length;
  const all = new Uint32Array(n * 3);
  all.set(ix.hi, 0);
  all.set(ix.lo, n);
  all.set(ix.docs, 2 * n);
  return { count: n, entries: out.writeCompressed(asBytes(all)) };
}

/** The section's decompressed bytes (`count * 12` of them, checked by the caller) as the three columns. */
export function readIdIndex(raw: Uint8Array, count: number): IdIndex {
  const all = new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { hi: all.subarray(0, count), lo: all.subarray(count, 2 * count), docs: all.subarray(2 * count) };
}

/**
 * Where the entries whose `hi` has each value of its top bits start: the first steps of every binary search,
 * done once at load. Hashes are uniform, so with about 4 entries per bucket a lookup reads one bucket's bounds
 * and searches a handful of entries. Built when a segment's section is read (1 byte per entry or less), not
 * stored.
 */
export interface IdBuckets {
  shift: number;
  /** `start[b]`: the first entry whose `hi >>> shift` is at least b; `2^bits + 1` of them. */
  start: Uint32Array;
}

export function bucketIds(ix: IdIndex): IdBuckets {
  const n = ix.hi.length;
  const bits = Math.max(1, Math.min(24, Math.floor(Math.log2(Math.max(1, n / 4)))));
  const shift = 32 - bits;
  const start = new Uint32Array((1 << bits) + 1);
  for (let k = 0; k < n; k++) start[(ix.hi[k] >>> shift) + 1]++;
  for (let b = 0; b < 1 << bits; b++) start[b + 1] += start[b];
  return { shift, start };
}

/** The first entry whose hash is >= (hi, lo); entries with that exact hash follow it. */
export function lowerBound(ix: IdIndex, hi: number, lo: number, buckets?: IdBuckets): number {
  let a = 0;
  let z = ix.hi.length;
  if (buckets !== undefined) {
    const b = hi >>> buckets.shift;
    a = buckets.start[b];
    z = buckets.start[b + 1];
  }
  while (a < z) {
    const m = (a + z) >>> 1;
    const h = ix.hi[m];
    if (h < hi || (h === hi && ix.lo[m] < lo)) a = m + 1;
    else z = m;
  }
  return a;
}
