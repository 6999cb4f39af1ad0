import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, ByteWriter } from './bytes.ts';
import { DIGITS_KIND, groupedRanks, permuteVariables } from './variable-groups.ts';

test('variables are ranked by (key, slot) in order of first sight, each group in doc order', () => {
  // Docs: A(2 vars), B(1), A(2), none, B(1), C(3)
  const ranks = groupedRanks([7, 9, 7, 0, 9, 4], [2, 1, 2, 0, 1, 3], 6);
  // Groups: A0 = vars 0, 3; A1 = 1, 4; B0 = 2, 5; C0 = 6; C1 = 7; C2 = 8.
  assert.deepEqual([...ranks], [0, 2, 4, 1, 3, 5, 6, 7, 8]);
});

test('docs of one key with different numbers of variables are an error (a corrupt block)', () => {
  assert.throws(() => groupedRanks([3, 3], [2, 1], 2), /different numbers of variables \(doc 1: 1, not 2\)/);
});

/** Streams of random variables: each one's kind, its bytes, in the given order. */
function streams(vars: readonly { kind: number; bytes: number[] }[]) {
  const lens = new ByteWriter(16);
  const digits: number[] = [];
  const mixed: number[] = [];
  for (const v of vars) {
    lens.varint(v.bytes.length);
    (v.kind === DIGITS_KIND ? digits : mixed).push(...v.bytes);
  }
  return { lens: lens.result(), digits: Uint8Array.from(digits), mixed: Uint8Array.from(mixed) };
}

test('permuting variables moves each one whole, and the inverse permutation restores the streams (property)', () => {
  const variable = fc.record({ kind: fc.constantFrom(DIGITS_KIND, 2), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }) });
  fc.assert(
    fc.property(fc.array(variable, { maxLength: 60 }).chain((vars) => fc.tuple(fc.constant(vars), fc.shuffledSubarray([...vars.keys()], { minLength: vars.length }))), ([vars, order]) => {
      const dest = new Int32Array(vars.length);
      order.forEach((from, to) => (dest[from] = to));
      const kinds = Uint8Array.from(vars, (v) => v.kind);
      const moved = permuteVariables(streams(vars), kinds, dest);
      assert.deepEqual(moved, streams(order.map((i) => vars[i])));
      const back = new Int32Array(vars.length);
      order.forEach((from, to) => (back[to] = from));
      assert.deepEqual(permuteVariables(moved, Uint8Array.from(order, (i) => vars[i].kind), back), streams(vars));
    }),
    { numRuns: 300 },
  );
});

test('streams whose lengths do not add up are an error', () => {
  const s = streams([{ kind: DIGITS_KIND, bytes: [49, 50] }]);
  assert.throws(() => permuteVariables({ ...s, digits: s.digits.subarray(0, 1) }, Uint8Array.of(DIGITS_KIND), Int32Array.of(0)), /do not match/);
  assert.equal(new ByteReader(s.lens).varint(), 2);
});
