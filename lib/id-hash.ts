/**
 * The hash of a record's `_id`: which shard the record goes to, and the key of a sealed segment's id section
 * (indexer/segment/format.md). Both are on disk in effect (a record stays in the shard it was routed to, and
 * segments store the hashes), so this function must never change.
 *
 * cyrb64 (bryc's cyrb53 keeping both 32-bit lanes) over the id's UTF-16 code units: two `Math.imul` lanes per
 * character and no allocation, where a 64-bit FNV would need BigInt. With 64 bits a lookup among n ids meets a
 * false match with probability about n / 2^64; matches are verified against the stored record anyway, so a
 * collision costs a read, never a record.
 */

/** Writes the id's hash as two u32: `out[at]` the high half, `out[at + 1]` the low half. */
export type IdHasher = (id: string, out: Uint32Array, at: number) => void;

export const hashId: IdHasher = (id, out, at) => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out[at] = h2 >>> 0;
  out[at + 1] = h1 >>> 0;
};

const scratch = new Uint32Array(2);

/** The shard of a record with this `_id`: the low half of its hash modulo the shard count. */
export function shardOfId(id: string, shardCount: number): number {
  hashId(id, scratch, 0);
  return scratch[1] % shardCount;
}
