/**
 * A blocked Bloom filter over the 64-bit hashes of a shard's `_id`s: every id the shard holds (head, segments,
 * appends in flight) has its bits set, so "certainly new" costs one cache line instead of a Map lookup and a
 * search in every segment. Measured with 20 segments of 10k ids, appending records with ids took 5.3–7 µs a
 * record without the filter and 2.7–3.9 µs with it (indexer/DESIGN.md). Bits are never cleared: ids that left (retention, a failed
 * append) only make false positives likelier until the next rebuild, and a positive is always checked exactly.
 *
 * Each id sets 3 bits inside one 512-bit block (a cache line). Block and bits come from different bits of the
 * hash: the block from the low bits of `hi`, the bits from the top bits of `hi` and `lo`, because routing takes
 * `lo mod shards`, which within one shard fixes `lo`'s low bits.
 */
const WORDS_PER_BLOCK = 16;
/** 10 bits per id: about 2% false positives with 3 bits in one block. */
const BITS_PER_ID = 10;
const MAX_BLOCKS = 1 << 23;

export class IdFilter {
  private words: Uint32Array;
  private mask: number;
  /** Ids added since the last (re)build, live or not: past `capacity`, the filter should be rebuilt larger. */
  added = 0;
  readonly capacity: number;

  constructor(expectedIds: number) {
    let blocks = 64;
    while (blocks < MAX_BLOCKS && blocks * WORDS_PER_BLOCK * 32 < expectedIds * BITS_PER_ID) blocks *= 2;
    this.words = new Uint32Array(blocks * WORDS_PER_BLOCK);
    this.mask = blocks - 1;
    this.capacity = Math.floor((blocks * WORDS_PER_BLOCK * 32) / BITS_PER_ID);
  }

  add(hi: number, lo: number): void {
    const base = (hi & this.mask) * WORDS_PER_BLOCK;
    const w = this.words;
    let b = lo >>> 23;
    w[base + (b >>> 5)] |= 1 << (b & 31);
    b = (lo >>> 14) & 511;
    w[base + (b >>> 5)] |= 1 << (b & 31);
    b = hi >>> 23;
    w[base + (b >>> 5)] |= 1 << (b & 31);
    this.added++;
  }

  /** False: the shard certainly holds no id with this hash. True: it may; check exactly. */
  mayHave(hi: number, lo: number): boolean {
    const base = (hi & this.mask) * WORDS_PER_BLOCK;
    const w = this.words;
    let b = lo >>> 23;
    if ((w[base + (b >>> 5)] & (1 << (b & 31))) === 0) return false;
    b = (lo >>> 14) & 511;
    if ((w[base + (b >>> 5)] & (1 << (b & 31))) === 0) return false;
    b = hi >>> 23;
    return (w[base + (b >>> 5)] & (1 << (b & 31))) !== 0;
  }
}
