import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeObject } from '../../lib/record.ts';
import { BLANK, DECODE, RawLineReader } from './raw-line.ts';

const NOW = 1_767_225_600_000;

/** The reader's answer for one line: its fields' JSON and timestamp, or BLANK / DECODE. */
function read(line: string | Buffer): { json: string; ts: number } | typeof BLANK | typeof DECODE {
  const b = typeof line === 'string' ? Buffer.from(line) : line;
  const r = new RawLineReader();
  const start = r.read(b, 0, b.length, NOW);
  return start < 0 ? (start as typeof BLANK | typeof DECODE) : { json: '{' + b.toString('utf8', start), ts: r.ts };
}

describe('RawLineReader', () => {
  test('takes compact flat records, with the timestamp first or absent, as their own bytes', () => {
    const cases: [string, string, number][] = [
      ['{"@timestamp":1767225600209,"message":"x"}', '{"message":"x"}', 1767225600209],
      ['{"@timestamp":"2026-01-01T00:00:00.123Z","m":"a \\"q\\" \\u00e9 \\/ \\\\ \\b\\f\\n\\r\\t","n":1.50,"ok":true,"no":false}', '{"m":"a \\"q\\" \\u00e9 \\/ \\\\ \\b\\f\\n\\r\\t","n":1.50,"ok":true,"no":false}', Date.UTC(2026, 0, 1, 0, 0, 0, 123)],
      ['{"@timestamp":"1767225600000","a":-0.5}', '{"a":-0.5}', 1767225600000],
      ['{"@timestamp":-5}', '{}', -5],
      ['{"@timestamp":0,"a":0,"b":-0}', '{"a":0,"b":-0}', 0],
      ['{"message":"no timestamp","v":2}', '{"message":"no timestamp","v":2}', NOW],
      ['{}', '{}', NOW],
      ['{ }', '{ }', NOW],
      ['{"@timestamp":1, "a" : "x" , "b":1 }  \t', '{ "a" : "x" , "b":1 }  \t', 1],
      ['{"@timestamp":1,"é":"日本語 😀"}', '{"é":"日本語 😀"}', 1],
      ['{"@timestamp":1,"":"empty key","a.b":"dotted","_idx":1,"id":2}', '{"":"empty key","a.b":"dotted","_idx":1,"id":2}', 1],
      ['{"@timestamp":1,"a":"x","a":"y"}', '{"a":"x","a":"y"}', 1],
    ];
    for (const [line, json, ts] of cases) assert.deepEqual(read(line), { json, ts }, line);
  });

  test('leaves a line over its byte limit to the decoding path, which rejects it with its size', () => {
    const line = Buffer.from('{"@timestamp":1,"message":"abcdef"}');
    assert.equal(new RawLineReader(line.length - 1).read(line, 0, line.length, NOW), DECODE);
    assert.ok(new RawLineReader(line.length).read(line, 0, line.length, NOW) >= 0);
  });

  test('says which lines are blank', () => {
    for (const line of ['', ' ', '\t \r']) assert.equal(read(line), BLANK, JSON.stringify(line));
  });

  test('leaves to the decoding path every line it cannot take as it is', () => {
    const lines = [
      // Not JSON, or not an object.
      '{bad', '[1]', 'plain words', '"x"', '{"a":1', '{"a":1,}', '{"a" 1}', '{"a":1}x', '{"a":1}}', '{,"a":1}', '{"a":1,,"b":2}',
      '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":-}', '{"a":tru}', '{"a":truex}', '{"a":True}', '{"a":"x}', '{a:1}',
      '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"\\u12g4"}', '{"a":"tab\there"}', '{"a\\u0062":1}', '\uFEFF{"a":1}', ' {"a":1}',
      // JSON whose record is not its own text: nesting, null, a reserved key, an exponent, a repeated or late timestamp.
      '{"a":{"b":1}}', '{"a":[1]}', '{"a":null}', '{"_id":"x"}', '{"_index":"x"}', '{"__proto__":1}', '{"@timestamp":1,"@timestamp":2}',
      '{"a":1,"@timestamp":1}', '{"a":1e3}', '{"a":1E400}', '{ "@timestamp":1}',
      // Timestamps: escaped, not text or an integer, out of reach, unparseable, or followed by a space.
      '{"@timestamp":"2026-01-01T00:00:00\\u005a"}', '{"@timestamp":{"x":1}}', '{"@timestamp":null}', '{"@timestamp":true}',
      '{"@timestamp":1.5}', '{"@timestamp":1e3}', '{"@timestamp":1234567890123456}', '{"@timestamp":01}', '{"@timestamp":-0}',
      '{"@timestamp":"not a time","a":1}', '{"@timestamp":1 ,"a":1}', '{"@timestamp":1} ', '{"@timestamp":',
    ];
    for (const line of lines) assert.equal(read(line), DECODE, line);
    // Bytes that are not UTF-8 would be stored differently by the decoding path (as replacement characters).
    assert.equal(read(Buffer.from([...Buffer.from('{"a":"'), 0xff, ...Buffer.from('"}')])), DECODE);
    assert.equal(read(Buffer.from([...Buffer.from('{"a":"'), 0xc3, ...Buffer.from('"}')])), DECODE);
  });

  test('takes a line only when JSON.parse gives exactly its record (mutated JSON lines, property)', () => {
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant({ x: 1 }));
    const key = fc.oneof(fc.constantFrom('message', 'a', '_id', '@timestamp', '__proto__', 'é'), fc.string({ maxLength: 4 }));
    const ts = fc.oneof(fc.integer({ min: -1e13, max: 1e16 }), fc.constantFrom('2026-01-01T00:00:00Z', '17', 'bad', '1.5'), fc.double());
    const line = fc.tuple(fc.option(ts, { nil: undefined }), fc.dictionary(key, value, { maxKeys: 4 })).map(([t, rest]) =>
      JSON.stringify(t === undefined ? rest : { '@timestamp': t, ...rest }),
    );
    // Edits that break or bend JSON: a byte dropped, replaced or inserted from JSON's own syntax and its neighbours.
    const edit = fc.tuple(fc.nat(), fc.constantFrom('drop', 'put', 'insert'), fc.constantFrom(...'"\\{}[],: -+.eE0129tfnu\t\r\x01\x7f'.split('')));
    let taken = 0;
    let decoded = 0;
    fc.assert(
      fc.property(line, fc.array(edit, { maxLength: 2 }), (l, edits) => {
        let s = l;
        for (const [at, how, c] of edits) {
          const k = at % (s.length + 1);
          s = how === 'drop' ? s.slice(0, k) + s.slice(k + 1) : how === 'put' ? s.slice(0, k) + c + s.slice(k + 1) : s.slice(0, k) + c + s.slice(k);
        }
        if (s.includes('\n')) return;
        const got = read(s);
        if (got === BLANK) return assert.equal(s.trim(), '');
        if (got === DECODE) return void decoded++;
        taken++;
        // The decoding path's definition: the line parses, its record is verbatim, and the stored text gives it back.
        const obj = JSON.parse(s) as Record<string, unknown>;
        assert.ok(typeof obj === 'object' && obj !== null && !Array.isArray(obj), s);
        const r = normalizeObject(obj, NOW);
        assert.ok(r.verbatim && !r.timestampInvalid, s);
        assert.equal(got.ts, r.ts, s);
        const stored = JSON.parse(got.json) as Record<string, unknown>;
        assert.deepEqual(stored, r.fields, s);
        assert.deepEqual(Object.keys(stored), Object.keys(r.fields), s);
      }),
      { seed: 20261201, numRuns: 3000 },
    );
    assert.ok(taken > 250 && decoded > 1000, `taken ${taken}, decoded ${decoded}`);
  });
});
