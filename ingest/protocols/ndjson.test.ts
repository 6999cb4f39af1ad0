import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fieldsOf, jsonOf } from '../batch.ts';
import { decodeLines, verbatimJson } from './ndjson.ts';

const NOW = 1_767_225_600_000;

/** What the log stores for a record must parse back to exactly the fields the head keeps, in the same order. */
function assertStoredJsonMatches(body: string): void {
  const b = decodeLines(body, 'ndjson', NOW, 1 << 20);
  b.fields.forEach((f, i) => {
    const stored = JSON.parse(jsonOf(b, i)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(stored), Object.keys(f!), `line ${i + 1}: key order`);
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

describe('decodeLines: a body given as bytes', () => {
  /** Everything decodeLines reports, with each record's stored JSON. */
  const outcome = (body: string | Buffer, format: 'ndjson' | 'text', maxRecordBytes: number) => {
    const b = decodeLines(body, format, NOW, maxRecordBytes);
    return { ts: b.ts, fields: b.fields, json: b.fields.map((_, i) => jsonOf(b, i)), pos: b.pos, rejected: b.rejected, warnings: b.warnings };
  };

  test('decodes in windows to exactly what the same text decodes to whole (lines across 32 KiB boundaries)', () => {
    // Lines of every kind, long enough that bodies span several windows: multi-byte text (2-, 3- and 4-byte UTF-8),
    // CRLF endings, blank lines, invalid JSON, bad timestamps, oversize lines and lines longer than a window.
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom('é', '日本語', '😀 x', ''));
    const line = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4e12 }), text).map(([ts, m]) => JSON.stringify({ '@timestamp': ts, message: m })) },
      { weight: 1, arbitrary: text.map((m) => JSON.stringify({ '@timestamp': 'not a time', message: m })) },
      { weight: 1, arbitrary: text },
      { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 70_000 }).map((k) => JSON.stringify({ message: 'é'.repeat(k) })) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '{"a":', '[1]') },
    );
    const body = fc.tuple(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { minLength: 1, maxLength: 400 }), fc.boolean()).map(
      ([ls, endsWithNewline]) => {
        const s = ls.map(([l, eol]) => l + eol).join('');
        return endsWithNewline ? s : s.replace(/\r?\n$/, '');
      },
    );
    let spanned = 0;
    fc.assert(
      fc.property(body, fc.constantFrom<'ndjson' | 'text'>('ndjson', 'text'), fc.constantFrom(1 << 20, 100_000), (s, format, max) => {
        const bytes = Buffer.from(s, 'utf8');
        if (bytes.length > 64 * 1024) spanned++;
        assert.deepEqual(outcome(bytes, format, max), outcome(s, format, max));
      }),
      { seed: 20261130, numRuns: 60 },
    );
    assert.ok(spanned >= 20, `only ${spanned} bodies spanned more than two windows`);
  });

  test('names the same lines in a body of one long line, and in one with no newline at all', () => {
    const long = JSON.stringify({ message: 'x'.repeat(100_000) });
    for (const s of [long, `${long}\n{"message":"b"}\n{bad\n`, `{"message":"a"}\n${long}`]) {
      assert.deepEqual(outcome(Buffer.from(s), 'ndjson', 1 << 20), outcome(s, 'ndjson', 1 << 20));
    }
    const b = decodeLines(Buffer.from(`${long}\n{bad\n`), 'ndjson', NOW, 1 << 20);
    assert.deepEqual(b.pos, [1]);
    assert.deepEqual(b.rejected.map((r) => r.line), [2]);
  });
});

describe('decodeLines without keeping the parsed records', () => {
  test('keeps as bytes exactly the records its stored JSON gives back, and reports everything else as when it keeps them', () => {
    // Records of every kind: verbatim (timestamp first, or none), and ones stored through JSON.stringify (nested,
    // nulls, `_id`, timestamp later, spaced) whose objects must be kept; plus plain text and bad lines.
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
    const obj = fc.dictionary(fc.oneof(fc.constantFrom('message', 'n', 'host.name', '_id', 'nested', '__proto__', 'x', 'é'), fc.string({ maxLength: 8 })), value, { maxKeys: 5 });
    const line = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4e12 }), obj).map(([ts, o]) => JSON.stringify({ '@timestamp': ts, ...o })) },
      { weight: 2, arbitrary: obj.map((o) => JSON.stringify(o)) },
      obj.map((o) => JSON.stringify({ ...o, '@timestamp': '2026-01-01T00:00:00Z' })),
      obj.map((o) => JSON.stringify({ '@timestamp': '2026-01-01T00:00:00Z', ...o })),
      obj.map((o) => JSON.stringify({ ...o, nested: { a: 1, b: [1, 2] }, gone: null })),
      obj.map((o) => JSON.stringify(o, null, 1).replace(/\n/g, ' ')),
      fc.constantFrom('{bad', '[1]', '', ' ', 'plain words', '{"@timestamp":"bad","a":1}'),
    );
    let raw = 0;
    let dropped = 0;
    let kept = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { minLength: 1, maxLength: 40 }), fc.constantFrom<'ndjson' | 'text'>('ndjson', 'text'), (ls, format) => {
        const body = Buffer.from(ls.map(([l, eol]) => l + eol).join(''));
        const a = decodeLines(body, format, NOW, 1 << 20, true);
        const b = decodeLines(body, format, NOW, 1 << 20, false);
        assert.deepEqual([b.ts, b.pos, b.rejected, b.warnings], [a.ts, a.pos, a.rejected, a.warnings]);
        b.fields.forEach((f, i) => {
          const isRaw = b.raw !== undefined && b.raw.start[i] >= 0;
          if (isRaw) {
            // The line's own bytes: what the decoding path stores too, whenever it stores the line's text.
            raw++;
            assert.equal(f, null);
            assert.equal(b.fieldsJson[i], null);
            if (a.fieldsJson[i] !== null) assert.equal(jsonOf(b, i), a.fieldsJson[i]);
          } else {
            assert.equal(b.fieldsJson[i], a.fieldsJson[i]);
            // Dropped only where the stored JSON is the record itself.
            assert.equal(f === null, b.fieldsJson[i] !== null, `record ${i}`);
            if (f === null) dropped++;
            else kept++;
          }
          // Parsing what is stored gives the same fields, in the same order.
          assert.deepEqual(JSON.parse(jsonOf(b, i)), a.fields[i]);
          assert.deepEqual(fieldsOf(b, i), a.fields[i]);
          assert.deepEqual(Object.keys(fieldsOf(b, i)), Object.keys(a.fields[i]!));
        });
      }),
      { seed: 20261130, numRuns: 200 },
    );
    assert.ok(raw > 150 && dropped > 50 && kept > 200, `raw ${raw}, dropped ${dropped}, kept ${kept}`);
  });
});
