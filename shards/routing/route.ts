/**
 * Spreads a batch over an index's shards. Records carry no routing key yet, so consecutive slices go to
 * consecutive shards, rotating the starting shard per batch; each slice stays one log frame.
 */
export function splitBatch<T>(items: readonly T[], shardCount: number, rotation: number): { shard: number; items: T[] }[] {
  if (shardCount === 1) return [{ shard: 0, items: items.slice() }];
  const out: { shard: number; items: T[] }[] = [];
  const per = Math.ceil(items.length / shardCount);
  for (let s = 0; s < shardCount; s++) {
    const part = items.slice(s * per, (s + 1) * per);
    if (part.length > 0) out.push({ shard: (s + rotation) % shardCount, items: part });
  }
  return out;
}
