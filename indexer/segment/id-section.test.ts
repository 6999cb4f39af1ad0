import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { hashId, type IdHasher } from '../../lib/id-hash.ts';
import { tempDir } from '../testing.ts';
import { IdIndexBuilder, type IdIndex, lowerBound } from './id-section.ts';
import { mergeSegments } from './merger.ts';
import { SegmentReader } from './reader.ts';
import { writeSegment } from './writer.ts';

interface Rec {
  ts: number;
  seq: number;
  id: string | null;
  json: string;
}

/** Records with few distinct timestamps (ties ordered by seq); `idOf(i)` gives record i's `_id` or null. */
function records(n: number, idOf: (i: number) => string | null, seed = 1): Rec[] {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  return Array.from({ length: n }, (_, i) => {
    const id = idOf(i);
    const fields: Record<string, unknown> = id === null ? {} : { _id: id };
    fields.message = `record ${i}`;
    return { ts: 1_700_000_000_000 + Math.floor(rnd() * 40) * 1000, seq: i, id, json: JSON.stringify(fields) };
  });
}

function write(path: string, recs: Rec[], hash?: IdHasher): SegmentReader {
  const sorted = recs.slice().sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const src = { ts: Float64Array.from(sorted, (r) => r.ts), seq: Float64Array.from(sorted, (r) => r.seq), json: sorted.map((r) => r.json) };
  writeSegment(path, src, { idHash: hash });
  return SegmentReader.open(path);
}

const hashOf = (id: string): [number, number] => {
  const h = new Uint32Array(2);
  hashId(id, h, 0);
  return [h[0], h[1]];
};

/** Finds the id with its real hash; returns the seq of the doc found, or -1. */
function seqOf(seg: SegmentReader, id: string): number {
  const doc = seg.findId(id, ...hashOf(id));
  return doc < 0 ? -1 : seg.seq[doc];
}

/** An id as issue 4's agent derives it: file identity and offset. */
const idFor = (seq: number): string => `agent-${seq % 13}/file-${seq}:${seq * 137}`;

function assertSorted(ix: IdIndex): void {
  for (let k = 1; k < ix.hi.length; k++) {
    const order = ix.hi[k - 1] - ix.hi[k] || ix.lo[k - 1] - ix.lo[k] || ix.docs[k - 1] - ix.docs[k];
    assert.ok(order < 0, `entry ${k} out of order`);
  }
}

/** Ids that stress the stored text: quotes, backslashes, non-ASCII, surrogate pairs, digits. */
const idArb = fc.oneof(fc.string({ minLength: 1, maxLength: 24 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.integer().map(String));

describe('segment id section', () => {
  test('a seal indexes every doc with an _id, sorted by hash, and finds each at its doc; other ids are absent', () => {
    const dir = tempDir('ids-build');
    try {
      fc.assert(
        fc.property(fc.uniqueArray(idArb, { minLength: 1, maxLength: 300 }), fc.array(idArb, { maxLength: 30 }), (ids, probes) => {
          // Every third record has no id: the section holds only those that do.
          const recs = records(ids.length + Math.floor(ids.length / 2), (i) => (i % 3 === 2 ? null : (ids[i - Math.floor(i / 3)] ?? null)));
          const withId = recs.filter((r) => r.id !== null);
          const seg = write(join(dir.path, 'b.seg'), recs);
          try {
            assert.equal(seg.footer.ids?.count, withId.length);
            const ix = seg.idIndex()!;
            assertSorted(ix);
            for (const r of withId) {
              assert.equal(seqOf(seg, r.id!), r.seq, `id ${JSON.stringify(r.id)}`);
              assert.equal(seg.doc(seg.findId(r.id!, ...hashOf(r.id!)))._id, r.id);
            }
            const present = new Set(withId.map((r) => r.id));
            for (const p of probes) if (!present.has(p)) assert.equal(seqOf(seg, p), -1, `absent ${JSON.stringify(p)}`);
          } finally {
            seg.close();
          }
        }),
        { numRuns: 40, seed: 0x1d5 },
      );
    } finally {
      dir.remove();
    }
  });

  test('a segment whose docs have no _id gets no section, and lookups skip it', () => {
    const dir = tempDir('ids-none');
    try {
      const seg = write(join(dir.path, 'n.seg'), records(500, () => null));
      assert.equal(seg.footer.ids, undefined);
      assert.equal(seg.idIndex(), null);
      assert.equal(seg.findId('record 1', ...hashOf('record 1')), -1);
      seg.close();
    } finally {
      dir.remove();
    }
  });

  test('the builder sorts any entries by (hi, lo, doc), keeping every entry', () => {
    // Few distinct values too, so that equal hashes (which keep doc order) occur.
    const entry = fc.record({
      hi: fc.constantFrom(0, 1, 0xffff, 0x10000, 0xffffffff, 7),
      lo: fc.oneof(fc.constantFrom(0, 5, 0xffffffff), fc.nat({ max: 0xffffffff })),
      wide: fc.nat({ max: 0xffffffff }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 400 }), fc.boolean(), (entries, narrow) => {
        const b = new IdIndexBuilder(0);
        // Narrow: few distinct high halves, so the low half and then the doc decide the order.
        entries.forEach((e, doc) => b.add(doc * 3, narrow ? e.hi : e.wide, e.lo));
        const ix = b.finish();
        if (entries.length === 0) return assert.equal(ix, null);
        assert.ok(ix);
        assertSorted(ix);
        const want = entries.map((e, doc) => `${narrow ? e.hi : e.wide}/${e.lo}/${doc * 3}`).sort();
        const got = Array.from(ix.docs, (d, k) => `${ix.hi[k]}/${ix.lo[k]}/${d}`).sort();
        assert.deepEqual(got, want);
        for (let k = 0; k < ix.hi.length; k++) {
          const at = lowerBound(ix, ix.hi[k], ix.lo[k]);
          assert.ok(at <= k && ix.hi[at] === ix.hi[k] && ix.lo[at] === ix.lo[k] && (at === 0 || ix.hi[at - 1] !== ix.hi[k] || ix.lo[at - 1] !== ix.lo[k]));
        }
      }),
      { numRuns: 200, seed: 0x50e7 },
    );
  });

  for (const mode of ['contiguous', 'interleaved'] as const) {
    test(`a merge of ${mode} segments remaps the sections' docs and equals the section of a fresh build`, () => {
      const dir = tempDir('ids-merge');
      try {
        // One input (contiguous mode) has no ids at all; in the others, some records have none.
        const base = records(6000, () => null, 3);
        const ordered = (mode === 'contiguous' ? base.slice().sort((a, b) => a.ts - b.ts || a.seq - b.seq) : base).map((r, j) => {
          const id = j < 1500 || r.seq % 7 === 0 ? null : idFor(r.seq);
          return { ...r, id, json: JSON.stringify(id === null ? { message: `record ${r.seq}` } : { _id: id, message: `record ${r.seq}` }) };
        });
        const recs = ordered;
        const k = 4;
        const inputs = Array.from({ length: k }, (_, j) =>
          write(join(dir.path, `in${j}.seg`), ordered.filter((_, i) => (mode === 'interleaved' ? i % k === j : Math.floor((i * k) / recs.length) === j))),
        );
        if (mode === 'contiguous') assert.equal(inputs.filter((r) => r.idIndex() === null).length, 1, 'one input without a section');
        mergeSegments(join(dir.path, 'merged.seg'), inputs);
        const merged = SegmentReader.open(join(dir.path, 'merged.seg'));
        const built = write(join(dir.path, 'built.seg'), recs);
        assert.deepEqual(merged.idIndex(), built.idIndex());
        for (const r of recs) if (r.id !== null) assert.equal(seqOf(merged, r.id), r.seq, r.id);
        const without = recs.find((r) => r.id === null)!;
        assert.equal(seqOf(merged, idFor(without.seq)), -1, 'the id a record stored without one would have had');
        for (const s of [...inputs, merged, built]) s.close();
      } finally {
        dir.remove();
      }
    });
  }

  test('a hash collision is verified against the stored _id: it never finds another record', () => {
    const dir = tempDir('ids-collide');
    try {
      // Every id hashes alike: each lookup meets all entries and must pick its own by the stored text.
      const collide: IdHasher = (_id, out, at) => {
        out[at] = 7;
        out[at + 1] = 9;
      };
      const ids = ['a', 'b', 'c', 'with "quotes" and \\', 'Ünïcode 𝑥'];
      const a = write(join(dir.path, 'a.seg'), records(ids.length, (i) => ids[i]), collide);
      const b = write(join(dir.path, 'b.seg'), records(3, (i) => `other-${i}`), collide);
      for (const seg of [a, b]) {
        assert.equal(seg.footer.ids?.count, seg.docs);
        assert.ok(seg.idIndex()!.hi.every((h) => h === 7));
      }
      ids.forEach((id, i) => assert.equal(a.seq[a.findId(id, 7, 9)], i, id));
      for (const absent of ['d', 'A', 'a ', 'other-0']) assert.equal(a.findId(absent, 7, 9), -1, absent);
      // With its real hash an id is not among the forced ones at all.
      assert.equal(a.findId('a', ...hashOf('a')), -1);
      // Merging keeps the entries (remapped), and verification still tells them apart.
      mergeSegments(join(dir.path, 'm.seg'), [a, b]);
      const m = SegmentReader.open(join(dir.path, 'm.seg'));
      assert.equal(m.idIndex()!.hi.length, 8);
      for (const id of [...ids, 'other-0', 'other-2']) assert.equal(m.doc(m.findId(id, 7, 9))._id, id);
      assert.equal(m.findId('other-3', 7, 9), -1);
      for (const s of [a, b, m]) s.close();
    } finally {
      dir.remove();
    }
  });
});
