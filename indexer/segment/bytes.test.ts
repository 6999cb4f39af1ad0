import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteWriter, packPositions, readPositionsEntry, skipPositionsEntry, writePositionsEntry } from './bytes.ts';

/** Docs' positions as a term's entries hold them: ascending, distinct, per doc; most docs have one. */
const entriesArb = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.nat({ max: 1 << 22 }), { minLength: 0, maxLength: 6 }) },
  ).map((a) => a.sort((x, y) => x - y)),
  { maxLength: 60 },
);

/** Versions 1–3 wrote the count, then the deltas. */
function counted(entries: readonly number[][]): Uint8Array {
  const w = new ByteWriter(16);
  for (const e of entries) {
    w.varint(e.length);
    let last = 0;
    for (const p of e) (w.varint(p - last), (last = p));
  }
  return w.result().slice();
}

function packed(entries: readonly number[][]): Uint8Array {
  const w = new ByteWriter(16);
  for (const e of entries) writePositionsEntry(w, e, 0, e.length);
  return w.result().slice();
}

test('positions entries: packed and counted read back the same; skipping steps over whole entries; packing counted ones gives the packed bytes', () => {
  fc.assert(
    fc.property(entriesArb, (entries) => {
      const bytes = { packed: packed(entries), counted: counted(entries) };
      for (const kind of ['packed', 'counted'] as const) {
        const r = new ByteReader(bytes[kind]);
        const out = new Uint32Array(bytes[kind].length + 1);
        for (const e of entries) {
          const n = readPositionsEntry(r, kind === 'packed', out, 1);
          assert.deepEqual(Array.from(out.subarray(1, n)), e, kind);
        }
        assert.equal(r.pos, bytes[kind].length, `${kind}: every byte read`);
      }
      let p = 0;
      for (let i = 0; i < entries.length; i++) p = skipPositionsEntry(bytes.packed, p);
      assert.equal(p, bytes.packed.length, 'skipped entry by entry to the end');
      assert.deepEqual(packPositions(bytes.counted, entries.length), bytes.packed);
      // One position is one varint: a single byte below 64.
      for (const e of entries) if (e.length === 1 && e[0] < 64) assert.equal(packed([e]).length, 1);
    }),
    { numRuns: 300 },
  );
});
