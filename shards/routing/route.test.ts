import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { shardOfId } from '../../lib/id-hash.ts';
import { routeBatch } from './route.ts';

test('records with an _id go to the shard of its hash, wherever they sit in a batch; the rest are split in slices', () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null, freq: 2 }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 7 }),
      fc.nat({ max: 20 }),
      (ids, shards, rotation) => {
        const parts = routeBatch(ids.length, (i) => ids[i], shards, rotation);
        const where = new Array<number>(ids.length).fill(-1);
        for (const p of parts) {
          assert.ok(p.items.length > 0 && p.shard >= 0 && p.shard < shards);
          // Request order within a shard: the first of two equal ids is the one stored.
          for (let k = 1; k < p.items.length; k++) assert.ok(p.items[k - 1] < p.items[k]);
          for (const i of p.items) {
            assert.equal(where[i], -1, `position ${i} routed twice`);
            where[i] = p.shard;
          }
        }
        assert.ok(where.every((s) => s >= 0), 'every position routed');
        ids.forEach((id, i) => {
          if (id !== null) assert.equal(where[i], shardOfId(id, shards), id);
        });
        // Records without ids: consecutive slices of them on consecutive shards, starting at the rotation.
        const unkeyed = ids.flatMap((id, i) => (id === null ? [i] : []));
        const per = Math.ceil(unkeyed.length / shards);
        unkeyed.forEach((i, k) => assert.equal(where[i], (Math.floor(k / per) + rotation) % shards));
      },
    ),
    { numRuns: 300, seed: 0x2077 },
  );
});

test('ids spread over every shard, and the same id always lands on the same one', () => {
  const counts = new Array(4).fill(0);
  for (let i = 0; i < 4000; i++) counts[shardOfId(`host-${i % 50}/var/log/app.log:${i * 4096}`, 4)]++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, String(counts));
  assert.equal(shardOfId('abc', 3), shardOfId('abc', 3));
  // The hash is part of the format: records already routed must keep meeting their retries.
  assert.deepEqual(['abc', 'x', '', 'Ünïcode'].map((id) => shardOfId(id, 1000)), PINNED);
});

const PINNED = [45, 269, 411, 234];
