import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { mulberry32Float } from '../../lib/prng.ts';
import { asPayload } from './testing.ts';
import { writeSegment } from './writer.ts';

/** Records of a few shapes, with numbers, booleans, ids, escapes and non-ASCII text, as fields JSON. */
function records(seed: number, n: number): string[] {
  const rnd = mulberry32Float(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const shapes = [
    () => ({ message: `Received block blk_${int(1e9)} of size ${int(1e8)} from /10.${int(256)}.${int(256)}.1`, system: 'HDFS', bytes: int(5000) }),
    () => ({ message: `User ${['root', 'Admin', 'bob'][int(3)]} failed password "x${int(99)}"\ttab`, system: 'Linux', ok: rnd() < 0.5 }),
    () => ({ message: `température ${int(100)}°C 温度 ${int(9)} \ud83d\ude00`, 'host.name': `node-${int(20)}` }),
    () => ({ _id: `id-${int(1e6)}`, message: 'plain words without a variable', level: 'INFO' }),
  ];
  return Array.from({ length: n }, () => JSON.stringify(shapes[int(shapes.length)]()));
}

/** Writes the docs once as strings and once as payload bytes; returns both files. */
function bothWays(dir: string, json: string[], opts: { patterns?: boolean; groupedMinDf?: number } = {}): [Buffer, Buffer] {
  const n = json.length;
  const ts = Float64Array.from({ length: n }, (_, i) => 1000 + Math.floor(i / 4));
  const seq = Float64Array.from({ length: n }, (_, i) => i);
  writeSegment(join(dir, 'strings.seg'), { ts, seq, json }, opts);
  writeSegment(join(dir, 'bytes.seg'), { ts, seq, json: asPayload(json, 7) }, opts);
  return [readFileSync(join(dir, 'strings.seg')), readFileSync(join(dir, 'bytes.seg'))];
}

test('a segment sealed from payload bytes is byte for byte the one sealed from the same texts as strings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-writer-'));
  try {
    const n = 9000;
    const json = records(11, n);
    const ts = Float64Array.from({ length: n }, (_, i) => 1000 + Math.floor(i / 4));
    const seq = Float64Array.from({ length: n }, (_, i) => i);
    for (const opts of [{}, { patterns: false }]) {
      writeSegment(join(dir, 'strings.seg'), { ts, seq, json }, { groupedMinDf: 16, ...opts });
      writeSegment(join(dir, 'bytes.seg'), { ts, seq, json: asPayload(json, 700) }, { groupedMinDf: 16, ...opts });
      const a = readFileSync(join(dir, 'strings.seg'));
      const b = readFileSync(join(dir, 'bytes.seg'));
      assert.ok(a.length > 10_000, `a real segment (${a.length} bytes)`);
      assert.ok(a.equals(b), `same bytes with ${JSON.stringify(opts)}: ${a.length} and ${b.length}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fields read from the bytes match JSON.parse on escapes, non-ASCII, odd keys, spacing and ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-writer-'));
  try {
    const json = [
      '{"message":"Tab\\tand \\"quoted\\" \\u00e9t\\u00C9 \\ud83d\\ude00 END","system":"X"}',
      '{"message":"ÉTÉ Straße İstanbul ǅ 温度 42","system":"Y"}',
      // Keys that sort first as integers, an escaped key, a key made of a non-ASCII letter.
      '{"b":"second","10":"ten","2":"two","k\\u0065y":"escaped key","ключ":"non-ASCII key"}',
      // Spacing a verbatim line may keep, numbers of every form, booleans.
      '{ "message" : "spaced" , "n" : -1.5e3 , "m":0,"big":12345678901234567890,"t":true,"f":false }',
      '{"_id":"abc-1","message":"an id"}',
      '{"_\\u0069d":"abc-2","message":"an escaped id key"}',
      '{"_id":7,"message":"a number is no id"}',
      '{"_id":"é-3","message":"a non-ASCII id"}',
      '{}',
      '{"message":""}',
      // One word in every case, read from the bytes and (with é) decoded: one term.
      '{"message":"User ROOT Mixed_Case"}',
      '{"message":"user root mixed_case"}',
      '{"message":"USER é Root MIXED_case"}',
      // Thousands of new words, then an escape that sends the whole value to be decoded; then some of them again.
      JSON.stringify({ message: Array.from({ length: 3000 }, (_, i) => `Word${i}`).join(' ') + ' end\n' }),
      JSON.stringify({ message: 'word7 WORD2999 é' }),
    ];
    for (const opts of [{}, { patterns: false }]) {
      const [a, b] = bothWays(dir, json, opts);
      assert.ok(a.equals(b), `same bytes with ${JSON.stringify(opts)}: ${a.length} and ${b.length}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what the bytes reader leaves to JSON.parse (a repeated key, a null, a nested value) gives the same segment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-writer-'));
  try {
    const plain = records(12, 300);
    // The odd doc comes late, after the reader has filled its builders: they must all be rebuilt.
    for (const odd of ['{"message":"first","message":"last"}', '{"message":"x","gone":null}', '{"message":"x","o":{"a":1}}', '{"message":"x","a":[1,2]}']) {
      const [a, b] = bothWays(dir, [...plain, odd, ...plain.slice(0, 20)]);
      assert.ok(a.equals(b), `same bytes with ${odd}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fields read from the bytes match JSON.parse for any flat records (property)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-writer-'));
  try {
    const key = fc.oneof(fc.constantFrom('message', 'system', '_id', 'level', '0', '7', 'a.b', 'k"q', 'b\\s', 'ключ'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }));
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: fc.constantFrom('a', 'A', 'B', 'b', '9', ' ', '-', '_', 'É', '\\', '"', '\n'), maxLength: 20 }));
    const value = fc.oneof(text, text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean());
    const record = fc.dictionary(key, value, { maxKeys: 5 });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.boolean(), (recs, spaced) => {
        // Spaced as some shippers send lines that are stored as they came.
        const [a, b] = bothWays(dir, recs.map((r) => (spaced ? JSON.stringify(r, null, 1) : JSON.stringify(r))), { groupedMinDf: 4 });
        assert.ok(a.equals(b));
      }),
      { numRuns: 150 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
