import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TermDict, expandFrontCoded, frontCode } from './term-dict.ts';

/** Terms as the writer stores them: sorted in JS string order, joined by newlines. */
function dictOf(terms: string[]): { dict: TermDict; sorted: string[] } {
  const sorted = [...new Set(terms)].sort();
  return { dict: new TermDict(Buffer.from(sorted.join('\n'), 'utf8'), sorted.length), sorted };
}

function lowerBound(sorted: string[], t: string): number {
  let k = 0;
  while (k < sorted.length && sorted[k] < t) k++;
  return k;
}

// Letters across the planes that sort differently in UTF-8 bytes and UTF-16 units (U+E000.. vs surrogate pairs),
// plus ASCII, so ASCII probes meet non-ASCII terms at every position.
const alphabet = fc.constantFrom('a', 'b', 'z', '0', '9', '_', 'é', 'ß', 'ж', '中', '\uE000', '\uFFFD', '𝑥', '😀');
const term = fc.array(alphabet, { minLength: 1, maxLength: 5 }).map((cs) => cs.join(''));

test('TermDict answers like a sorted string array: lowerBound, indexOf, startsWith, term, all', () => {
  fc.assert(
    fc.property(fc.array(term, { maxLength: 40 }), fc.array(term, { minLength: 1, maxLength: 20 }), (terms, probes) => {
      const { dict, sorted } = dictOf(terms);
      assert.equal(dict.size, sorted.length);
      assert.deepEqual(dict.all(), sorted);
      for (let k = 0; k < sorted.length; k++) assert.equal(dict.term(k), sorted[k]);
      for (const p of [...probes, ...sorted]) {
        assert.equal(dict.lowerBound(p), lowerBound(sorted, p), `lowerBound ${JSON.stringify(p)}`);
        assert.equal(dict.indexOf(p), sorted.indexOf(p), `indexOf ${JSON.stringify(p)}`);
        for (let k = 0; k < sorted.length; k++) assert.equal(dict.startsWith(k, p), sorted[k].startsWith(p), `${sorted[k]} startsWith ${p}`);
      }
    }),
    { seed: 7, numRuns: 300 },
  );
});

test('TermDict: empty and one-term dictionaries', () => {
  const empty = new TermDict(Buffer.alloc(0), 0);
  assert.equal(empty.lowerBound('a'), 0);
  assert.equal(empty.indexOf('a'), -1);
  assert.deepEqual(empty.all(), []);
  const one = dictOf(['only']).dict;
  assert.equal(one.indexOf('only'), 0);
  assert.equal(one.indexOf('onl'), -1);
  assert.equal(one.lowerBound('onlz'), 1);
  assert.ok(one.startsWith(0, 'onl'));
  assert.ok(!one.startsWith(0, 'onlyx'));
});

test('front coding round-trips any sorted dictionary, and a count that does not match it is an error', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(term, fc.string({ unit: 'grapheme', maxLength: 8 }).filter((s) => !s.includes('\n'))), { maxLength: 60 }), (terms) => {
      const sorted = [...new Set(terms)].sort();
      const bytes = expandFrontCoded(frontCode(sorted), sorted.length);
      assert.equal(bytes.toString('utf8'), sorted.join('\n'));
      assert.deepEqual(new TermDict(bytes, sorted.length).all(), sorted);
    }),
  );
  const nums = Array.from({ length: 1000 }, (_, i) => String(100000 + i * 7)).sort();
  const coded = frontCode(nums);
  // Each term shares most of its bytes with the one before: it stores a few bytes, not the whole term.
  assert.ok(coded.length < nums.join('\n').length * 0.6, `${coded.length} bytes`);
  // The section's CRC guards its bytes; a count that does not match them is still caught.
  assert.throws(() => expandFrontCoded(coded, nums.length + 1), /does not start|cut short/);
  assert.throws(() => expandFrontCoded(coded, nums.length - 1), /bytes past them/);
});
