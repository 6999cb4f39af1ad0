import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodePayload, type LogEntry } from '../log/frame.ts';
import { native } from './index.ts';

const needsNative = { skip: native.payload === null ? `the compiled payload encoder is ${native.reason}` : false };

/** encodePayload with the compiled encoder and without it. */
function bothWays(entries: LogEntry[]): [Buffer, Buffer] {
  const np = native.payload;
  try {
    const compiled = encodePayload(entries);
    native.payload = null;
    return [compiled, encodePayload(entries)];
  } finally {
    native.payload = np;
  }
}

test('the compiled payload encoder is built by npm install', { skip: process.env.STRATA_NATIVE === '0' ? 'STRATA_NATIVE=0 turns it off' : false }, () => {
  assert.ok(native.payload !== null, `the compiled payload encoder is ${native.reason}`);
});

test('records of one request body encode as TypeScript encodes them, in runs of any length and any mix (property)', needsNative, () => {
  const ts = fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 0, 9, 10, -10, 1767225600209, 2 ** 53 - 1, 2 ** 53, 1e21));
  const rec = fc.record({ ts, text: fc.string({ unit: 'grapheme', maxLength: 20 }), asText: fc.boolean(), other: fc.boolean() });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 40 }), fc.integer({ min: 1, max: 3000 }), (records, repeat) => {
      // Two bodies holding every record's fields JSON after its `{`, one line each.
      const lines = records.map((r) => JSON.stringify({ message: r.text }).slice(1));
      const bodies = [0, 1].map(() => Buffer.from(lines.join('\n')));
      const entries: LogEntry[] = [];
      for (let k = 0; k < repeat && records.length > 0; k++) {
        const i = k % records.length;
        const r = records[i];
        const start = lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        const end = start + Buffer.byteLength(lines[i]);
        entries.push({ ts: r.ts, fieldsJson: r.asText ? `{${lines[i]}` : { bytes: bodies[r.other ? 1 : 0], start, end } });
      }
      const [compiled, typescript] = bothWays(entries);
      assert.ok(compiled.equals(typescript));
    }),
    { seed: 20261202, numRuns: 120 },
  );
});

test('the compiled payload encoder rejects records it cannot write, with a reason', needsNative, () => {
  const np = native.payload!;
  const bytes = Buffer.from('"a":1}');
  const out = new Uint8Array(64);
  const one = (ts: number, end = bytes.length) => np.encodeRaw(out, 0, bytes, Float64Array.of(ts), Uint32Array.of(0), Uint32Array.of(end), 1);
  const written = one(-42);
  assert.equal(Buffer.from(out.subarray(0, written)).toString(), '-42\t{"a":1}\n');
  for (const ts of [1.5, -0, 2 ** 53, Number.NaN]) assert.throws(() => one(ts), { name: 'RangeError', message: /safe integer/ }, String(ts));
  assert.throws(() => one(1, bytes.length + 1), { name: 'RangeError', message: /outside its bytes/ });
  assert.throws(() => np.encodeRaw(new Uint8Array(8), 0, bytes, Float64Array.of(1), Uint32Array.of(0), Uint32Array.of(6), 1), { name: 'RangeError', message: /do not fit/ });
  assert.throws(() => np.encodeRaw(out, 0, bytes, Float64Array.of(1), Uint32Array.of(0), Uint32Array.of(6), 2), { name: 'TypeError', message: /n of each/ });
  assert.throws(() => np.encodeRaw(out, 65, bytes, Float64Array.of(1), Uint32Array.of(0), Uint32Array.of(6), 1), TypeError);
});
