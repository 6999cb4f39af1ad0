import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type ItemResult, itemJson, itemText } from './elastic.ts';

test('a _bulk item written from its template is exactly the item stringified', () => {
  const result: fc.Arbitrary<ItemResult> = fc.record(
    {
      op: fc.constantFrom('index', 'create', 'update', 'delete', 'x"y'),
      index: fc.option(fc.oneof(fc.constantFrom('logs', 'a"b\\c', 'é-日本'), fc.string({ maxLength: 12 })), { nil: null, freq: 10 }),
      id: fc.option(fc.oneof(fc.constantFrom('0-1', 'k"1', '\u2028'), fc.string({ maxLength: 12 })), { nil: null, freq: 10 }),
      status: fc.constantFrom(200, 201, 400, 409, 429),
      seqNo: fc.option(fc.oneof(fc.nat(), fc.constant(2 ** 53 - 1)), { nil: undefined, freq: 10 }),
      error: fc.option(
        fc.record({ status: fc.constantFrom(400, 409, 429), code: fc.constantFrom('conflict', 'invalid_field'), type: fc.string({ maxLength: 10 }), reason: fc.string({ maxLength: 20 }) }),
        { nil: undefined, freq: 2 },
      ),
    },
    { requiredKeys: ['op', 'index', 'id', 'status'] },
  ) as fc.Arbitrary<ItemResult>;
  let templated = 0;
  fc.assert(
    fc.property(result, (r) => {
      const text = itemText(r);
      assert.equal(text, JSON.stringify(itemJson(r)));
      if (!r.error && r.index !== null && r.id !== null && r.seqNo !== undefined && (r.status === 200 || r.status === 201) && (r.op === 'index' || r.op === 'create')) templated++;
    }),
    { seed: 20261130, numRuns: 3000 },
  );
  assert.ok(templated > 100, `only ${templated} items took the template`);
});
