import { shardOfId } from '../../lib/id-hash.ts';

/**
 * Spreads a batch's records (given by position, `0 .. count`) over an index's shards. A record with an `_id` goes
 * to the shard of its id's hash, so that every copy of it meets in one shard, where ids are unique. Records
 * without one carry no routing key: consecutive slices of them go to consecutive shards, rotating the starting
 * shard per batch. Each shard's positions stay in request order (the first of two equal ids wins) and become one
 * log frame.
 */
export function routeBatch(count: number, idAt: (i: number) => string | null, shardCount: number, rotation: number): { shard: number; items: number[] }[] {
  const items: number[][] = Array.from({ length: shardCount }, () => []);
  const shardOf = new Int32Array(count);
  let unkeyed = 0;
  for (let i = 0; i < count; i++) {
    const id = idAt(i);
    shardOf[i] = id === null ? -1 : shardCount === 1 ? 0 : shardOfId(id, shardCount);
    if (id === null) unkeyed++;
  }
  const per = Math.ceil(unkeyed / shardCount);
  let k = 0;
  for (let i = 0; i < count; i++) {
    const s = shardOf[i] >= 0 ? shardOf[i] : (Math.floor(k++ / per) + rotation) % shardCount;
    items[s].push(i);
  }
  const out: { shard: number; items: number[] }[] = [];
  for (let s = 0; s < shardCount; s++) if (items[s].length > 0) out.push({ shard: s, items: items[s] });
  return out;
}
