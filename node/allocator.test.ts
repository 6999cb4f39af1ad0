import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatorAdvice, RECOMMENDED_MMAP_THRESHOLD } from './allocator.ts';

test('allocator advice: given on glibc without the variable, not when it is set or on another C library', () => {
  const advice = allocatorAdvice({}, '2.36');
  assert.ok(advice?.includes(`MALLOC_MMAP_THRESHOLD_=${RECOMMENDED_MMAP_THRESHOLD}`), String(advice));
  assert.equal(allocatorAdvice({ MALLOC_MMAP_THRESHOLD_: '131072' }, '2.36'), null);
  assert.equal(allocatorAdvice({}, null), null);
});
