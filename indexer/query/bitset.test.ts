import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bitset } from './bitset.ts';

test('countRange counts the set bits of any range, edges inside or on word boundaries (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.nat(299)), fc.nat(300), fc.nat(300), (size, ids, a, b) => {
      const bits = new Bitset(size);
      const set = new Set(ids.filter((i) => i < size));
      for (const i of set) bits.set(i);
      const lo = Math.min(a, b, size);
      const hi = Math.min(Math.max(a, b), size);
      let want = 0;
      for (const i of set) if (i >= lo && i < hi) want++;
      assert.equal(bits.countRange(lo, hi), want, `[${lo}, ${hi}) of ${size}`);
      assert.equal(bits.count(), set.size);
    }),
    { numRuns: 500 },
  );
});
