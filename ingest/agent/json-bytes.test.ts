import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_DECIMAL_BYTES, maxEscapedBytes, writeDecimal, writeJsonChars } from './json-bytes.ts';

const encode = (src: Buffer) => {
  const dst = Buffer.alloc(maxEscapedBytes(src.length) + 2);
  dst[0] = 0x22;
  const end = writeJsonChars(src, 0, src.length, dst, 1);
  dst[end] = 0x22;
  return dst.toString('utf8', 0, end + 1);
};

test('a line written as JSON string bytes parses back to the same text', () => {
  const cases: [string, string][] = [
    ['plain', '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['tab\tcr\rff\fbs\bnul\u0000esc\u001b', '"tab\\tcr\\rff\\fbs\\bnul\\u0000esc\\u001b"'],
    ['é 日本 🎉 \u2028', '"é 日本 🎉 \u2028"'],
    ['', '""'],
  ];
  for (const [text, want] of cases) assert.equal(encode(Buffer.from(text)), want);
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      assert.equal(JSON.parse(encode(Buffer.from(s))), s);
    }),
    { numRuns: 2000 },
  );
});

test('invalid UTF-8 still makes valid JSON (the bytes decode as U+FFFD)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const src = Buffer.from(bytes);
      assert.equal(JSON.parse(encode(src)), src.toString('utf8'));
    }),
    { numRuns: 2000 },
  );
});

test('offsets are written in decimal without a string', () => {
  const buf = Buffer.alloc(MAX_DECIMAL_BYTES + 2);
  for (const n of [0, 7, 10, 99, 100, 1234567890, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
    const end = writeDecimal(n, buf, 1);
    assert.equal(buf.toString('latin1', 1, end), String(n));
  }
});
