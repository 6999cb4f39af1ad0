import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sortTermIds } from './sort-terms.ts';

const byCodeUnits = (terms: string[]) => terms.slice().sort();

test('sortTermIds orders ids as the default string sort orders their terms', () => {
  // Distinct strings, as a term table holds them: ASCII words and digits sharing long prefixes, and other scripts.
  const word = fc.oneof(
    fc.stringMatching(/^[a-z0-9_]{1,12}$/),
    fc.stringMatching(/^(conn|connect|connection)[a-z0-9_]{0,4}$/),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
  );
  fc.assert(
    fc.property(fc.uniqueArray(word, { maxLength: 400 }), (terms) => {
      const ids = sortTermIds(terms);
      assert.deepEqual(Array.from(ids, (i) => terms[i]), byCodeUnits(terms));
    }),
    { numRuns: 300 },
  );
});

test('sortTermIds on a large table with many shared prefixes (several radix passes)', () => {
  const terms: string[] = [];
  for (let i = 0; i < 50_000; i++) terms.push(String((i * 7919) % 1_000_003), `blk_${(i * 104729) % 99991}x`, `é${i}`);
  const unique = [...new Set(terms)];
  const ids = sortTermIds(unique);
  assert.equal(new Set(ids).size, unique.length, 'a permutation');
  assert.deepEqual(Array.from(ids, (i) => unique[i]), byCodeUnits(unique));
});
