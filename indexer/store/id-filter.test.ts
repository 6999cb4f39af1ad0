import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashId } from '../../lib/id-hash.ts';
import { IdFilter } from './id-filter.ts';

test('the id filter never misses an id it was given, whatever the hash bits', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), { maxLength: 3000 }), fc.nat({ max: 100_000 }), (hashes, expected) => {
      const f = new IdFilter(expected);
      for (const [hi, lo] of hashes) f.add(hi, lo);
      for (const [hi, lo] of hashes) assert.ok(f.mayHave(hi, lo));
      assert.equal(f.added, hashes.length);
    }),
    { numRuns: 100, seed: 0xf11 },
  );
});

test('at capacity, about 2% of new ids look possibly present, also when routing fixed the low bits of lo', () => {
  const h = new Uint32Array(2);
  for (const shards of [1, 4]) {
    const f = new IdFilter(100_000);
    let n = 0;
    // Ids of one shard of `shards`: lo mod shards is the same for all of them.
    for (let i = 0; n < f.capacity; i++) {
      hashId(`agent-${i % 40}/var/log/syslog:${i * 211}`, h, 0);
      if (h[1] % shards === 0) {
        f.add(h[0], h[1]);
        n++;
      }
    }
    let positives = 0;
    let probes = 0;
    for (let i = 0; probes < 100_000; i++) {
      hashId(`other-${i}`, h, 0);
      if (h[1] % shards !== 0) continue;
      probes++;
      if (f.mayHave(h[0], h[1])) positives++;
    }
    const rate = positives / probes;
    assert.ok(rate > 0.005 && rate < 0.03, `${shards} shards: false positive rate ${rate}`);
  }
});
