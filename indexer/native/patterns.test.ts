import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildPatterns, MAX_PATTERNS, wordFlags } from '../segment/patterns.ts';
import { TermTable } from '../segment/term-table.ts';
import { native } from './index.ts';

const needsNative = { skip: native.patterns === null ? `the compiled patterns finder is ${native.reason}` : false };

/** A field's term table over one value a doc, and where each doc's tokens are. */
function field(values: string[]): { tt: TermTable; from: Uint32Array; to: Uint32Array } {
  const tt = new TermTable(16);
  const from = new Uint32Array(values.length);
  const to = new Uint32Array(values.length);
  values.forEach((v, d) => {
    from[d] = tt.pairs;
    tt.addText(v, d);
    to[d] = tt.pairs;
  });
  return { tt, from, to };
}

/** buildPatterns with the compiled finder and without it. */
function bothWays(values: string[]) {
  const np = native.patterns;
  const { tt, from, to } = field(values);
  const word = wordFlags(tt.terms);
  try {
    return [np, null].map((finder) => {
      native.patterns = finder;
      return buildPatterns(tt, word, from, to, values.length);
    });
  } finally {
    native.patterns = np;
    tt.release();
  }
}

test('the compiled patterns finder finds the patterns buildPatterns finds, in the same order (property)', needsNative, () => {
  const token = fc.constantFrom('get', 'put', 'user', 'id', '42', '7', 'x1', 'blk_9', 'ok', 'failed', 'a');
  const value = fc.array(token, { maxLength: 7 }).map((ts) => ts.join(' '));
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 200 }), (values) => {
      const [compiled, typescript] = bothWays(values);
      assert.deepEqual(compiled, typescript);
    }),
    { numRuns: 300 },
  );
});

test('a field whose patterns do not fit is left without patterns either way', needsNative, () => {
  // Every doc its own pattern: more than a quarter of the docs, and past 256.
  const free = Array.from({ length: 2000 }, (_, d) => `w${'abcdefghij'[d % 10]} ${'klmnopqrst'[Math.floor(d / 10) % 10]}x ${'uvwxyzabcd'[Math.floor(d / 100) % 10]}y`);
  assert.deepEqual(bothWays(free), [null, null]);
  // More distinct patterns than an ordinal holds: the finder stops at MAX_PATTERNS.
  const letters = (d: number): string => (d < 26 ? '' : letters(Math.floor(d / 26) - 1)) + String.fromCharCode(97 + (d % 26));
  const { tt, from, to } = field(Array.from({ length: MAX_PATTERNS + 5 }, (_, d) => `p${letters(d)}`));
  assert.equal(native.patterns!.patterns(tt.pairTerm, wordFlags(tt.terms), from, to, from.length, new Uint32Array(from.length)), -1);
  tt.release();
});

test('the compiled patterns finder rejects arguments that would read outside its arrays', needsNative, () => {
  const np = native.patterns!;
  const { tt, from, to } = field(['one two', 'two 3']);
  const word = wordFlags(tt.terms);
  const ords = new Uint32Array(2);
  assert.equal(np.patterns(tt.pairTerm, word, from, to, 2, ords), 2);
  assert.deepEqual([...ords], [1, 2]);
  assert.deepEqual(np.patternTerms().map((a) => [...a]), [[0, 1, 1, 0xffffffff], [0, 2, 4]]);
  assert.throws(() => np.patterns(tt.pairTerm, word.subarray(0, 1), from, to, 2, ords), { name: 'RangeError', message: /past the word flags/ });
  assert.throws(() => np.patterns(tt.pairTerm, word, from, Uint32Array.of(2, 1 << 30), 2, ords), { name: 'RangeError', message: /outside pairTerm/ });
  assert.throws(() => np.patterns(tt.pairTerm, word, from, to, 3, ords), { name: 'TypeError', message: /n docs/ });
  tt.release();
});
