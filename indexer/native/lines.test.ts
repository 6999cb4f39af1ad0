import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DECODE, eachRawLine } from '../../ingest/protocols/raw-line.ts';
import { native } from './index.ts';

const needsNative = { skip: native.lines === null ? `the compiled line reader is ${native.reason}` : false };
const NOW = 1_767_225_600_000;

/**
 * Every line of `body` as eachRawLine gives it, with the compiled reader and with RawLineReader; a timestamp only for
 * the lines taken (for the others it means nothing).
 */
function bothWays(body: Buffer, maxBytes = Infinity): [number[][], number[][]] {
  const nl = native.lines;
  const read = () => {
    const got: number[][] = [];
    eachRawLine(body, maxBytes, NOW, (from, stop, start, ts) => got.push([from, stop, start, start >= 0 ? ts : -1]));
    return got;
  };
  try {
    const compiled = read();
    native.lines = null;
    return [compiled, read()];
  } finally {
    native.lines = nl;
  }
}

test('the compiled line reader is built by npm install', { skip: process.env.STRATA_NATIVE === '0' ? 'STRATA_NATIVE=0 turns it off' : false }, () => {
  assert.ok(native.lines !== null, `the compiled line reader is ${native.reason}`);
});

test('the compiled line reader answers as RawLineReader for every line of mutated NDJSON bodies (property)', needsNative, () => {
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant({ x: 1 }));
  const key = fc.oneof(fc.constantFrom('message', 'a', '_id', '_index', '@timestamp', '__proto__', 'é'), fc.string({ maxLength: 4 }));
  const ts = fc.oneof(fc.integer({ min: -1e13, max: 1e16 }), fc.constantFrom('2026-01-01T00:00:00Z', '17', 'bad', '1.5', -0, '\u00e9'), fc.double());
  const record = fc.tuple(fc.option(ts, { nil: undefined }), fc.dictionary(key, value, { maxKeys: 4 })).map(([t, rest]) =>
    JSON.stringify(t === undefined ? rest : { '@timestamp': t, ...rest }),
  );
  // Edits that break or bend JSON, or UTF-8: a byte dropped, replaced or inserted.
  const edit = fc.tuple(fc.nat(), fc.constantFrom('drop', 'put', 'insert'), fc.constantFrom(...'"\\{}[],: -+.eE0129tfnu\t\r\x01\x7f'.split('').map((c) => c.charCodeAt(0)), 0xff, 0xc3, 0xe2, 0x80, 0xed, 0xf4));
  const line = fc.tuple(fc.oneof(record, fc.constantFrom('', ' ', '\t \r', 'plain words', '{}', '{ }')), fc.array(edit, { maxLength: 2 })).map(([l, edits]) => {
    let b = [...Buffer.from(l)];
    for (const [at, how, c] of edits) {
      const k = at % (b.length + 1);
      if (how === 'drop') b.splice(k, 1);
      else if (how === 'put') b[k] = c;
      else b.splice(k, 0, c);
    }
    return b.filter((c) => c !== 10);
  });
  fc.assert(
    fc.property(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 12 }), fc.boolean(), fc.integer({ min: 2, max: 200 }), (lines, lastBreak, limit) => {
      const parts = lines.flatMap(([b, br], k) => (k === lines.length - 1 && !lastBreak ? [Buffer.from(b)] : [Buffer.from(b), Buffer.from(br)]));
      const body = Buffer.concat(parts);
      const [compiled, typescript] = bothWays(body);
      assert.deepEqual(compiled, typescript);
      const [short, shortTs] = bothWays(body, limit);
      assert.deepEqual(short, shortTs);
    }),
    { seed: 20261202, numRuns: 2000 },
  );
});

test('a body of more lines than one call reads, with quoted timestamps and lines to decode, is read whole and alike', needsNative, () => {
  const lines: string[] = [];
  let bad = 0;
  for (let i = 0; i < 10_000; i++) {
    if (i % 997 === 0) lines.push('{bad');
    else if (i % 3 === 0) lines.push(JSON.stringify({ '@timestamp': new Date(NOW + i).toISOString(), message: `m ${i}` }));
    else if (i % 101 === 0) lines.push(JSON.stringify({ '@timestamp': 'not a time', message: `m ${i}` }));
    else lines.push(JSON.stringify({ '@timestamp': NOW + i, message: `m ${i}` }));
    if (lines[i] === '{bad' || lines[i].includes('not a time')) bad++;
  }
  const body = Buffer.from(`${lines.join('\r\n')}\r`);
  const [compiled, typescript] = bothWays(body);
  assert.equal(compiled.length, 10_000);
  assert.deepEqual(compiled, typescript);
  assert.equal(compiled.filter((l) => l[2] === DECODE).length, bad, 'the bad lines and the unparseable timestamps are left to decode');
  assert.equal(compiled[3][3], NOW + 3, 'a quoted timestamp parsed');
  assert.deepEqual(bothWays(Buffer.alloc(0)), [[], []]);
});

test('the compiled line reader rejects arguments it cannot use', needsNative, () => {
  const nl = native.lines!;
  const out = () => [new Uint32Array(4), new Uint32Array(4), new Int32Array(4), new Float64Array(4), new Uint32Array(4), new Uint32Array(4)] as const;
  const body = Buffer.from('{"a":1}\n{"b":2}\n');
  const o = out();
  assert.equal(nl.lines(body, 0, Infinity, NOW, ...o), 2);
  assert.deepEqual([...o[2].subarray(0, 2)], [1, 9]);
  assert.equal(nl.lines(body, 8, Infinity, NOW, ...o), 1);
  assert.throws(() => nl.lines(body, body.length + 1, Infinity, NOW, ...o), { name: 'TypeError', message: /from within it/ });
  const [a, b, c, d, e] = out();
  assert.throws(() => nl.lines(body, 0, Infinity, NOW, a, b, c, d, e, new Uint32Array(2)), { name: 'TypeError', message: /one length/ });
  assert.throws(() => nl.lines(body, 0, Infinity, NOW, a, b, new Uint32Array(4) as unknown as Int32Array, d, e, new Uint32Array(4)), TypeError);
});
