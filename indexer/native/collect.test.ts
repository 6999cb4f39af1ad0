import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_KEYWORD_VALUES } from '../segment/layout.ts';
import { asPayload } from '../segment/testing.ts';
import { writeSegment } from '../segment/writer.ts';
import { native } from './index.ts';

const turnedOff = process.env.STRATA_NATIVE === '0';

test('the compiled collector is built by npm install', { skip: turnedOff ? 'STRATA_NATIVE=0 turns it off' : false }, () => {
  assert.ok(native.collector !== null, `the compiled collector is ${native.reason}`);
});

/**
 * Seals the texts three ways (from payload bytes through the compiled collector, from the bytes through the
 * TypeScript collector, from strings through JSON.parse) and returns whether the compiled one took them, and the
 * three files.
 */
function threeWays(dir: string, json: string[]): { took: boolean; files: Buffer[] } {
  const nc = native.collector!;
  const n = json.length;
  const ts = Float64Array.from({ length: n }, (_, i) => 1000 + Math.floor(i / 3));
  const seq = Float64Array.from({ length: n }, (_, i) => i);
  const payload = asPayload(json, 5);
  const took = nc.scan(payload.bufs, payload.buf, payload.start, payload.end, n, MAX_KEYWORD_VALUES) !== null;
  const files: Buffer[] = [];
  try {
    for (const [name, collector, docs] of [
      ['native', nc, payload],
      ['ts', null, payload],
      ['strings', null, json],
    ] as const) {
      native.collector = collector;
      writeSegment(join(dir, `${name}.seg`), { ts, seq, json: docs }, { groupedMinDf: 4 });
      files.push(readFileSync(join(dir, `${name}.seg`)));
    }
  } finally {
    native.collector = nc;
  }
  return { took, files };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'strata-native-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const needsNative = { skip: native.collector === null ? `the compiled collector is ${native.reason}` : false };

test('ASCII records of any shape: the compiled collector takes them and writes the segment the TypeScript paths write (property)', needsNative, () => {
  withDir((dir) => {
    // ASCII only, with everything JSON escapes: quotes, backslashes, newlines, control characters.
    const ascii = fc.string({ unit: fc.constantFrom('a', 'B', 'z', 'Z', 'Q', '0', '9', '_', ' ', '-', '.', ':', '/', '"', '\\', '\n', '\t', '\u0001', '\u007f'), maxLength: 24 });
    const key = fc.oneof(fc.constantFrom('message', 'system', '_id', 'level', '0', '7', 'a.b', 'k"q', 'b\\s', 'x\ny'), ascii.filter((s) => s.length > 0));
    const value = fc.oneof(ascii, ascii, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constantFrom(0, -0, 1e21, 5e-324, 1.7976931348623157e308, 0.1, 123456789012345680000));
    const record = fc.dictionary(key, value, { maxKeys: 5 });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.boolean(), (recs, spaced) => {
        const { took, files } = threeWays(dir, recs.map((r) => (spaced ? JSON.stringify(r, null, 1) : JSON.stringify(r))));
        assert.ok(took, 'the compiled collector takes ASCII records');
        assert.ok(files[0].equals(files[1]), 'compiled and TypeScript bytes paths write the same segment');
        assert.ok(files[0].equals(files[2]), 'compiled and JSON.parse paths write the same segment');
      }),
      { numRuns: 150 },
    );
  });
});

test('a field with more distinct values than a keyword column holds, and \\u escapes of ASCII, seal alike', needsNative, () => {
  withDir((dir) => {
    const json: string[] = [];
    for (let i = 0; i < MAX_KEYWORD_VALUES + 300; i++) json.push(JSON.stringify({ message: `request ${i} done`, host: `h${i % 7}`, user: `u${i}` }));
    // Values seen before the column filled up, after it did, and written with \u escapes.
    json.push('{"message":"\\u0052equest 5 done","host":"\\u0068\\u0033","user":"u17"}', '{"message":"late","host":"h9","user":"u1"}');
    const { took, files } = threeWays(dir, json);
    assert.ok(took);
    const nc = native.collector!;
    const p = asPayload(json, 5);
    const scan = nc.scan(p.bufs, p.buf, p.start, p.end, json.length, MAX_KEYWORD_VALUES)!;
    const byName = new Map(scan.fields.map((f) => [f.name, f]));
    assert.equal(byName.get('user')!.keyword, null, 'user has too many values for a keyword column');
    assert.equal(byName.get('host')!.keywordStarts!.length - 1, 8, 'host keeps its 8 values (h0..h6, h9), h3 among them once');
    assert.ok(files[0].equals(files[1]) && files[0].equals(files[2]));
  });
});

test('what only the TypeScript path decides makes the compiled collector answer null, and the segment is the same', needsNative, () => {
  withDir((dir) => {
    const plain = Array.from({ length: 50 }, (_, i) => JSON.stringify({ message: `line ${i} of plain text`, n: i }));
    for (const odd of [
      '{"message":"caf\u00e9"}',
      '{"message":"caf\\u00e9"}',
      '{"m\u00e9":"x"}',
      '{"message":"a","message":"b"}',
      '{"message":"x","gone":null}',
      '{"message":"x","o":{"a":1}}',
      '{"message":"x","a":[1]}',
      '{"message":"x","big":1e999}',
    ]) {
      const { took, files } = threeWays(dir, [...plain, odd, ...plain.slice(0, 5)]);
      assert.equal(took, false, `left to TypeScript: ${odd}`);
      assert.ok(files[0].equals(files[1]) && files[0].equals(files[2]), `same segment with ${odd}`);
    }
  });
});

test('scan refuses arrays that do not describe the docs, with a message', needsNative, () => {
  const nc = native.collector!;
  const b = Buffer.from('{"message":"x"}');
  assert.throws(() => nc.scan([b], new Uint32Array(1), new Uint32Array(1), new Uint32Array([99]), 1, MAX_KEYWORD_VALUES), /outside its buffer/);
  assert.throws(() => nc.scan([b], new Uint32Array(0), new Uint32Array(1), new Uint32Array(1), 1, MAX_KEYWORD_VALUES), /Uint32Arrays of at least n/);
});
