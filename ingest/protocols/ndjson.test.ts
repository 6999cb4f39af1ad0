import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonOf } from '../batch.ts';
import { decodeLines, verbatimJson } from './ndjson.ts';

const NOW = 1_767_225_600_000;

/** What the log stores for a record must parse back to exactly the fields the head keeps, in the same order. */
function assertStoredJsonMatches(body: string): void {
  const b = decodeLines(body, 'ndjson', NOW, 1 << 20);
  b.fields.forEach((f, i) => {
    const stored = JSON.parse(jsonOf(b, i)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(stored), Object.keys(f), `line ${i + 1}: key order`);
    assert.deepEqual(stored, f, `line ${i + 1}: ${jsonOf(b, i)}`);
    assert.ok(!('@timestamp' in stored), 'the timestamp is kept apart');
  });
}

describe('decodeLines: the stored JSON of each record', () => {
  test('is cut from the line itself for compact records with the timestamp first', () => {
    const b = decodeLines(
      [
        '{"@timestamp":"2026-01-01T00:00:00.123Z","message":"a \\"quoted\\" \\u00e9","n":1.50,"ok":true}',
        '{"@timestamp":1767225600209,"message":"x"}',
        '{"@timestamp":-5}',
        '{"message":"no timestamp","v":2}',
      ].join('\n'),
      'ndjson',
      NOW,
      1 << 20,
    );
    assert.deepEqual(b.ts, [Date.UTC(2026, 0, 1, 0, 0, 0, 123), 1767225600209, -5, NOW]);
    // Exactly the rest of the line: escapes and number spellings as sent, which parse to the same values.
    assert.deepEqual(b.fields.map((_, i) => jsonOf(b, i)), ['{"message":"a \\"quoted\\" \\u00e9","n":1.50,"ok":true}', '{"message":"x"}', '{}', '{"message":"no timestamp","v":2}']);
    assert.deepEqual(b.fields[0], { message: 'a "quoted" é', n: 1.5, ok: true });
  });

  test('is stringified when the line cannot be used as it is', () => {
    const cases: [string, string][] = [
      ['{"@timestamp":1,"a":{"b":1}}', '{"a.b":1}'], // flattened
      ['{"@timestamp":1,"a":null,"b":1}', '{"b":1}'], // null dropped
      ['{"@timestamp":1,"a":[1,2]}', '{"a":"[1,2]"}'], // array kept as text
      ['{"@timestamp":1,"_id":"x","b":1}', '{"b":1}'], // reserved key dropped
      ['{"@timestamp":1,"b":1,"@timestamp":2}', '{"b":1}'], // timestamp repeated
      ['{ "@timestamp": 1, "b": 1 }', '{"b":1}'], // not compact
      ['{"b":1,"@timestamp":1}', '{"b":1}'], // timestamp not first
      ['{"@timestamp":"2026-01-01T00:00:00\\u005a","b":1}', '{"b":1}'], // escape inside the timestamp
      ['{"@timestamp":{"x":1},"b":1}', '{"b":1}'], // timestamp of another type
      ['{"__proto__":"p","b":1}', '{"b":1}'], // would set a prototype
      ['{"@timestamp":1,"big":1e400}', '{}'], // not a finite number
    ];
    for (const [line, want] of cases) {
      const b = decodeLines(line, 'ndjson', NOW, 1 << 20);
      assert.deepEqual(b.rejected, [], line);
      assert.equal(jsonOf(b, 0), want, line);
    }
    assert.equal(verbatimJson('{"@timestamp":1,"a":1}', true), '{"a":1}');
    assert.equal(verbatimJson('{"@timestamp":"t"}', true), '{}');
    assert.equal(verbatimJson('{"@timestamp":"t" ,"a":1}', true), null);
  });

  test('always parses back to the record the head keeps (random objects and key orders)', () => {
    const key = fc.oneof(fc.constantFrom('@timestamp', 'message', 'a', 'a.b', '_id', '__proto__', 'é', 'k"q'), fc.string({ maxLength: 6 }));
    const leaf = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.double({ noNaN: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('2026-01-01T00:00:00Z', '1767225600000', 'not a time'),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 2 }), fc.dictionary(key, tie('v'), { maxKeys: 3 })),
    })).v;
    const record = fc.tuple(
      fc.option(fc.oneof(fc.integer({ min: -1e12, max: 4e12 }), fc.constantFrom('2026-01-01T00:00:00.5Z', 'bad', '17')), { nil: undefined }),
      fc.dictionary(key, value, { maxKeys: 5 }),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (recs) => {
        const lines = recs.map(([ts, rest, tsFirst]) => {
          const obj: Record<string, unknown> = tsFirst && ts !== undefined ? { '@timestamp': ts, ...rest } : { ...rest };
          if (!tsFirst && ts !== undefined) obj['@timestamp'] = ts;
          return JSON.stringify(obj);
        });
        assertStoredJsonMatches(lines.join('\n'));
      }),
      { seed: 20261129, numRuns: 400 },
    );
  });
});
