import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRatio, formatTable, median, p99, percentile } from './stats.ts';

test('percentiles use the nearest rank, so each is an observed sample', () => {
  const xs = [7, 1, 5, 3, 6, 2, 4];
  assert.equal(median(xs), 4);
  assert.equal(median([1, 2, 3, 4]), 2.5);
  assert.equal(p99(xs), 7);
  assert.equal(percentile(xs, 50), 4);
  assert.equal(percentile([], 50), NaN);
});

test('ratios and tables', () => {
  assert.equal(formatRatio(183, 100), '1.83×');
  assert.equal(formatRatio(1, 0), 'n/a');
  assert.equal(formatTable(['a', 'bb'], [['xyz', '1'], ['q', '22']]), 'a    bb\n---  --\nxyz   1\nq    22');
});
