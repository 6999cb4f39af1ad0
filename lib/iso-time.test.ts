import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTimestamp } from './iso-time.ts';

test('isoTimestamp writes what Date#toISOString writes, for every time Date can hold', () => {
  const edges = [0, -1, 1, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000 /* 2000-02-29 */, -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15];
  for (const ms of edges) assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => isoTimestamp(ms) === new Date(ms).toISOString()), { numRuns: 20_000 });
  // Runs of nearby times, as a page of hits has them, go through the cached day.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4e12 }), fc.array(fc.integer({ min: -200_000_000, max: 200_000_000 }), { maxLength: 50 }), (base, steps) =>
      steps.every((d) => isoTimestamp(base + d) === new Date(base + d).toISOString()),
    ),
  );
  for (const ms of [0.5, -0.5, 1e3 + 0.25]) assert.equal(isoTimestamp(ms), new Date(ms).toISOString());
  assert.throws(() => isoTimestamp(NaN), RangeError);
  assert.throws(() => isoTimestamp(8.64e15 + 1), RangeError);
});
