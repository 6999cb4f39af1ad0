import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePayload, encodePayload, type LogEntry, scanPayload } from './frame.ts';

function scanned(payload: Buffer): { ts: number; json: string }[] {
  const out: { ts: number; json: string }[] = [];
  scanPayload(payload, (ts, start, end) => out.push({ ts, json: payload.toString('utf8', start, end) }));
  return out;
}

function decoded(payload: Buffer): { ts: number; json: string }[] {
  const out: { ts: number; json: string }[] = [];
  decodePayload(payload, (_, ts, json) => out.push({ ts, json }));
  return out;
}

test('scanPayload finds the timestamps and text ranges that decodePayload decodes', () => {
  const entries: LogEntry[] = [
    { ts: 1767225601045, fieldsJson: '{"message":"plain"}' },
    { ts: 0, fieldsJson: '{}' },
    { ts: -5000, fieldsJson: '{"message":"before 1970"}' },
    { ts: 1767225601045.5, fieldsJson: '{"message":"a fraction"}' },
    // More digits than a double holds exactly, and what String() writes in exponent form.
    { ts: 9007199254740993, fieldsJson: '{"message":"16 digits"}' },
    { ts: 8.64e15, fieldsJson: '{"message":"the last Date"}' },
    { ts: 1e21, fieldsJson: '{"message":"exponent"}' },
    { ts: 1767225601046, fieldsJson: '{"message":"é 温度 \ud83d\ude00 and \\"quotes\\" \\n"}' },
  ];
  const payload = encodePayload(entries);
  const got = scanned(payload);
  assert.deepEqual(got, decoded(payload));
  assert.deepEqual(got.map((e) => e.ts), entries.map((e) => e.ts));
  assert.deepEqual(got.map((e) => e.json), entries.map((e) => e.fieldsJson));
});

test('scanPayload agrees with decodePayload on any timestamps and texts (property)', () => {
  const ts = fc.oneof(fc.integer({ min: -1e15, max: 1e15 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 2 ** 53, 2 ** 53 + 2));
  fc.assert(
    fc.property(fc.array(fc.record({ ts, text: fc.string({ unit: 'grapheme', maxLength: 30 }) }), { maxLength: 20 }), (records) => {
      const entries = records.map((r) => ({ ts: r.ts, fieldsJson: JSON.stringify({ message: r.text }) }));
      const payload = encodePayload(entries);
      assert.deepEqual(scanned(payload), decoded(payload));
    }),
    { numRuns: 300 },
  );
});

test('a payload record without a tab is an error, not a wrong record', () => {
  assert.throws(() => scanned(Buffer.from('123\t{}\n456')), /no tab/);
});

test('entries given as bytes encode exactly as the same entries given as text, in any mix (property)', () => {
  const ts = fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 0, 9, 10, -10, 2 ** 53, 2 ** 53 + 2, 1e21));
  const rec = fc.record({ ts, text: fc.string({ unit: 'grapheme', maxLength: 30 }), asBytes: fc.boolean(), pad: fc.nat({ max: 5 }) });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 30 }), (records) => {
      const text: LogEntry[] = records.map((r) => ({ ts: r.ts, fieldsJson: JSON.stringify({ message: r.text }) }));
      const mixed: LogEntry[] = records.map((r, k) => {
        const json = text[k].fieldsJson as string;
        if (!r.asBytes) return text[k];
        // The text after its `{`, somewhere inside a larger buffer, as a request body would hold it.
        const bytes = Buffer.concat([Buffer.alloc(r.pad, 120), Buffer.from(json.slice(1)), Buffer.alloc(r.pad, 120)]);
        return { ts: r.ts, fieldsJson: { bytes, start: r.pad, end: bytes.length - r.pad } };
      });
      assert.deepEqual(encodePayload(mixed), encodePayload(text));
    }),
    { seed: 20261201, numRuns: 300 },
  );
});
