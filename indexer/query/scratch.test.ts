import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scratch } from './scratch.ts';

test('scratch lends arrays of the asked length, lends them again only after release, and zeroes on request', () => {
  scratch.release();
  const a = scratch.u32(100);
  const b = scratch.u32(100);
  assert.equal(a.length, 100);
  assert.notEqual(a.buffer, b.buffer, 'two loans at once never share memory');
  a.fill(7);
  scratch.release();
  const c = scratch.zeroed(90);
  assert.equal(c.length, 90);
  assert.ok(c.every((x) => x === 0), 'zeroed after reuse');
  assert.ok(c.buffer === a.buffer || c.buffer === b.buffer, 'a released array is lent again');
  const d = scratch.u32(100);
  assert.ok(d.buffer !== c.buffer, 'not while the other loan is out');
  assert.equal(scratch.u32(0).length, 0);
  scratch.release();
});
