import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimalRangeRegex, QUERY_SET } from './queries.ts';

test('decimalRangeRegex matches exactly [lo, hi] for every width up to 4 digits', () => {
  const rand = (a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1));
  for (let t = 0; t < 500; t++) {
    const d = rand(1, 4);
    const min = d === 1 ? 0 : 10 ** (d - 1);
    const max = 10 ** d - 1;
    const [lo, hi] = [rand(min, max), rand(min, max)].sort((a, b) => a - b);
    const re = new RegExp(`^(?:${decimalRangeRegex(lo, hi)})$`);
    for (let n = min; n <= max; n++) assert.equal(re.test(String(n)), n >= lo && n <= hi, `${lo}..${hi} at ${n}`);
  }
});

test('decimalRangeRegex refuses ranges of different widths', () => {
  assert.throws(() => decimalRangeRegex(9, 10), RangeError);
});

test('query names are unique, and latest/time-range queries say so in every dialect', () => {
  assert.equal(new Set(QUERY_SET.map((q) => q.name)).size, QUERY_SET.length);
  for (const q of QUERY_SET) {
    if (q.timeRange) assert.ok(q.sqlite.sql.includes('@from') && q.rg.input === 'ndjson', q.name);
    if (q.latest) assert.ok(q.sqlite.sql.includes(`LIMIT ${q.latest}`) && q.rg.output === 'lines', q.name);
  }
});
