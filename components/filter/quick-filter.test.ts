import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuickFilter } from './quick-filter.ts';

const LINES = [
  'connection to db-1 failed: timeout after 3000ms',
  'user-42 logged in from 10.0.0.7',
  'GET /api/cart 500 12ms',
  'payment declined for order 77',
  'cache miss ratio above threshold',
];

function filterOf(lines: string[]): QuickFilter {
  const f = new QuickFilter();
  lines.forEach((l, i) => f.add(i, l));
  return f;
}

test('exact prefix matches come first, then misspellings a phonetic encoding still finds', () => {
  const f = filterOf(LINES);
  assert.deepEqual(f.search('paym', 10), [3]);
  assert.deepEqual(f.search('timout', 10), [0]);
  assert.deepEqual(f.search('faild', 10), [0]);
  assert.deepEqual(f.search('thresold', 10), [4]);
  assert.deepEqual(f.search('', 10), []);
  assert.deepEqual(f.search('zebra', 10), []);
});

test('removed lines are no longer found, and the limit holds', () => {
  const f = filterOf(Array.from({ length: 50 }, (_, i) => `request ${i} served`));
  assert.equal(f.search('request', 10).length, 10);
  f.remove(3);
  f.remove(3);
  assert.equal(f.size, 49);
  assert.ok(!f.search('request', 100).includes(3));
});

test('field names are found by any part of a dotted name', () => {
  const names = ['host.name', 'service.name', 'duration_ms', 'level', 'log.file.path'];
  const f = filterOf(names);
  assert.deepEqual(f.search('dur', 5).map((i) => names[i]), ['duration_ms']);
  assert.ok(f.search('name', 5).map((i) => names[i]).includes('service.name'));
  assert.deepEqual(f.search('srvice', 5).map((i) => names[i]), ['service.name']);
});
