import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fields } from '../../lib/record.ts';
import { encodePayload } from '../log/frame.ts';
import { HeadBatch, idsOf } from './head.ts';

const records: Fields[] = [
  { message: 'first é 😀', 'a.b': 1.5, ok: true },
  { _id: 'x-1', message: 'second', n: -3 },
  { message: 'tab\there, newline\nthere', empty: '' },
];
const payloadOf = (fs: Fields[]) => encodePayload(fs.map((f, i) => ({ ts: 1_767_225_600_000 + i, fieldsJson: JSON.stringify(f) })));

describe('HeadBatch', () => {
  test('parses its records from the payload when first read, as they were ingested', () => {
    const b = new HeadBatch(40, Float64Array.from([0, 1, 2]), payloadOf(records), 0, idsOf(records));
    assert.deepEqual(b.fields, records);
    assert.equal(b.fields, b.fields, 'parsed once, then kept');
    assert.deepEqual(b.ids, [null, 'x-1', null]);
  });

  test('refuses to parse a payload already given back, but keeps what it parsed before', () => {
    const early = new HeadBatch(0, Float64Array.from([0, 1, 2]), payloadOf(records), 0, null);
    const parsed = early.fields;
    early.release();
    assert.equal(early.fields, parsed);
    const late = new HeadBatch(7, Float64Array.from([0, 1, 2]), payloadOf(records), 0, null);
    late.release();
    assert.throws(() => late.fields, /head batch at offset 7 read after its payload was released/);
  });

  test('idsOf: null when no record has an _id, else one entry per record', () => {
    assert.equal(idsOf([{ message: 'a' }, { message: 'b' }]), null);
    assert.deepEqual(idsOf(records), [null, 'x-1', null]);
  });
});
