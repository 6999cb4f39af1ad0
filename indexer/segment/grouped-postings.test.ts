import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { evalSegment } from '../query/exec-segment.ts';
import { parseQuery } from '../query/parser.ts';
import { mergeSegments } from './merger.ts';
import { SegmentReader } from './reader.ts';
import { writeSegment } from './writer.ts';
import { ByteWriter, writePositionsEntry } from './bytes.ts';
import { GroupedPostingsReader, GroupedPostingsWriter, PatternDocs } from './grouped-postings.ts';
import type { FileOut } from './segment-file.ts';
import type { SectionRef } from './layout.ts';

/** A FileOut that keeps each section's bytes, so a test reads back what the writer wrote. */
class MemOut {
  readonly sections: Uint8Array[] = [];
  writeCompressed(b: Uint8Array): SectionRef {
    this.sections.push(b.slice());
    return [this.sections.length - 1, b.length, 0];
  }
}

interface Term {
  docs: number[];
  /** Per doc, its positions (ascending, at least one). */
  pos: number[][];
}

function encode(t: Term): { entries: Uint8Array; at: Uint32Array } {
  const w = new ByteWriter(16);
  const at = new Uint32Array(t.docs.length + 1);
  t.pos.forEach((p, i) => {
    at[i] = w.len;
    writePositionsEntry(w, p, 0, p.length);
  });
  at[t.docs.length] = w.len;
  return { entries: w.result().slice(), at };
}

/** Writes the terms grouped, reads them back, and returns each as read: docs and its entries' bytes. */
function roundTrip(ords: number[], ordinals: number, terms: readonly Term[]) {
  const pd = new PatternDocs(Uint16Array.from(ords), ordinals);
  const w = new GroupedPostingsWriter(pd);
  for (const t of terms) {
    const { entries, at } = encode(t);
    w.add(t.docs, t.docs.length, entries, at);
  }
  const out = new MemOut();
  const ref = w.finish(out as unknown as FileOut);
  const r = new GroupedPostingsReader(pd.lists(), out.sections[ref.head[0]], out.sections[ref.docs[0]], out.sections[ref.flags[0]], out.sections[ref.exc[0]]);
  return {
    ref,
    sizes: out.sections.map((s) => s.length),
    read: terms.map((t) => {
      r.next(t.docs.length);
      return { docs: [...r.docs.subarray(0, t.docs.length)], entries: [...r.entries.result()] };
    }),
    // The same terms found through the index, last first.
    sought: (() => {
      const index = GroupedPostingsReader.index(out.sections[ref.head[0]], terms.length);
      const got: { docs: number[]; entries: number[] }[] = [];
      for (let i = terms.length - 1; i >= 0; i--) {
        r.seek(index, i, terms[i].docs.length);
        got[i] = { docs: [...r.docs.subarray(0, terms[i].docs.length)], entries: [...r.entries.result()] };
      }
      return got;
    })(),
  };
}

/** Random docs over a few patterns, and terms drawn from slots that are usually one value, sometimes others. */
const scenario = fc
  .record({
    n: fc.integer({ min: 1, max: 3000 }),
    ordinals: fc.integer({ min: 1, max: 40 }),
    seed: fc.integer(),
    terms: fc.array(
      fc.record({
        share: fc.constantFrom(0, 0.02, 0.3, 0.7, 0.97, 1),
        usual: fc.integer({ min: 0, max: 300 }),
        odd: fc.constantFrom(0, 0.1, 0.6),
        pats: fc.integer({ min: 1, max: 40 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ n, ordinals, seed, terms }) => {
    let s = seed >>> 0;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    // Skewed: low ordinals (0 included, the docs without a word) are the most common patterns.
    const ords = Array.from({ length: n }, () => Math.floor(ordinals * rnd() * rnd()));
    const built: Term[] = [];
    for (const spec of terms) {
      const inPat = new Set(Array.from({ length: spec.pats }, () => Math.floor(ordinals * rnd())));
      const t: Term = { docs: [], pos: [] };
      for (let d = 0; d < n; d++) {
        if (!inPat.has(ords[d]) || rnd() >= spec.share) continue;
        t.docs.push(d);
        if (rnd() >= spec.odd) t.pos.push([spec.usual + ords[d]]);
        else if (rnd() < 0.5) t.pos.push([Math.floor(rnd() * 200)]);
        else t.pos.push([1, 3 + Math.floor(rnd() * 50), 130 + Math.floor(rnd() * 20)]);
      }
      if (t.docs.length > 0) built.push(t);
    }
    return { ords, ordinals, terms: built };
  });

test('grouped terms read back as the docs and positions entries written, in every mix of group kinds', () => {
  fc.assert(
    fc.property(scenario, ({ ords, ordinals, terms }) => {
      const { read, sought } = roundTrip(ords, ordinals, terms);
      terms.forEach((t, i) => {
        assert.deepEqual(read[i].docs, t.docs);
        assert.deepEqual(read[i].entries, [...encode(t).entries]);
      });
      assert.deepEqual(sought, read);
    }),
    { numRuns: 150 },
  );
});

test('a term that is its patterns\' usual value takes a few bytes, however many docs it is in', () => {
  const n = 20_000;
  const ords = Array.from({ length: n }, (_, d) => d % 7);
  // Every doc of patterns 2 and 5 at position 4; all but two of pattern 3's at 6; a few of pattern 1's.
  const t: Term = { docs: [], pos: [] };
  for (let d = 0; d < n; d++) {
    const o = ords[d];
    if (o === 2 || o === 5) t.docs.push(d), t.pos.push([4]);
    else if (o === 3 && d !== 3 && d !== 10) t.docs.push(d), t.pos.push([6]);
    else if (o === 1 && d % 1000 === 1) t.docs.push(d), t.pos.push([2, 9]);
  }
  const { read, sizes } = roundTrip(ords, 7, [t]);
  assert.deepEqual(read[0].docs, t.docs);
  assert.deepEqual(read[0].entries, [...encode(t).entries]);
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.ok(t.docs.length > 8000 && total < 100, `${t.docs.length} docs in ${total} bytes`);
});

test('streams that do not add up are errors, never wrong docs', () => {
  const ords = [0, 1, 1, 0, 1];
  const pd = new PatternDocs(Uint16Array.from(ords), 2).lists();
  // One term: its groups, and its byte lengths in docs, flags and exc as the head gives them first.
  const term = (groups: number[], docs: number[] = [], flags: number[] = [], exc: number[] = [], lengths = [groups.length, docs.length, flags.length, exc.length]) =>
    new GroupedPostingsReader(pd, Uint8Array.from([...lengths, ...groups]), Uint8Array.from(docs), Uint8Array.from(flags), Uint8Array.from(exc));
  // One group, ordinal 1, all docs (3), position 2: a term of 3 docs reads; told 4, it is an error.
  const ok = term([1, 1, 0, 2]);
  ok.next(3);
  assert.deepEqual([...ok.docs.subarray(0, 3)], [1, 2, 4]);
  assert.throws(() => term([1, 1, 0, 2]).next(4), /3 docs where the dictionary says 4/);
  // An ordinal past the patterns; a listed rank past its pattern; more docs listed than the pattern has.
  assert.throws(() => term([1, 5, 0, 2]).next(3), /group of ordinal 5/);
  assert.throws(() => term([1, 1, 6, 1, 2], [3]).next(1), /a rank past its pattern/);
  assert.throws(() => term([1, 1, 6, 4, 2], [0, 0, 0, 0]).next(4), /4 docs of a pattern of 3/);
  // Positions flagged as exceptions with no entries left; flags that run out; lengths that disagree.
  assert.throws(() => term([1, 1, 2]).next(3), /positions run out/);
  assert.throws(() => term([1, 1, 1, 2], [], [0]).next(3), /flags run out/);
  assert.throws(() => term([1, 1, 0, 2], [], [], [], [4, 1, 0, 0]).next(3), /lengths do not match/);
  // The index of where terms start: a head that holds fewer or more terms than the dictionary says.
  const head = Uint8Array.from([4, 0, 0, 0, 1, 1, 0, 2]);
  assert.deepEqual([...GroupedPostingsReader.index(head, 1)], [0, 0, 0, 0]);
  assert.throws(() => GroupedPostingsReader.index(head, 2), /1 terms where the dictionary has 2/);
  assert.throws(() => GroupedPostingsReader.index(Uint8Array.from([...head, ...head]), 1), /more terms than the dictionary's 1/);
});

/** Log-like docs whose numbers are mostly a few usual values per slot: the terms that get grouped. */
function logDocs(n: number, seed: number): { message: string }[] {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const pick = (usual: number, others: number) => (rnd() < 0.85 ? usual : Math.floor(rnd() * others));
  const templates = [
    () => `connection from 10.0.${pick(1, 4)}.${pick(5, 255)} port ${pick(22, 65536)} after ${Math.floor(rnd() * 2000)} ms`,
    () => `session ${pick(1, 9)} of user${pick(42, 100)} closed by 10.0.${pick(2, 4)}.${pick(5, 9)}`,
    () => `retry ${pick(3, 5)} of ${pick(3, 5)} in ${pick(3, 8)} s: 10 0 3 3 ${pick(3, 9)}`,
    () => `${pick(2026, 2030)}-11-${pick(30, 31)} disk ${pick(0, 4)} at ${Math.floor(rnd() * 100)}%`,
    () => `${pick(7, 12)} ${pick(7, 12)} ${pick(7, 12)}`,
  ];
  return Array.from({ length: n }, () => ({ message: templates[Math.floor(templates.length * rnd() * rnd())]() }));
}

function write(path: string, docs: readonly object[], base: number, olderVersion?: 5): SegmentReader {
  const n = docs.length;
  const range = Float64Array.from({ length: n }, (_, i) => base + i);
  writeSegment(path, { ts: range, seq: range.slice(), json: docs.map((d) => JSON.stringify(d)) }, { olderVersion });
  return SegmentReader.open(path);
}

/** The bytes on disk of the `message` field's index: its text sections, grouped ones included. */
function indexBytes(seg: SegmentReader): number {
  const t = seg.footer.fields.message.text!;
  const refs = [t.dict, t.postings, t.offsets, t.positions, t.skips, ...(t.grouped ? Object.values(t.grouped) : [])];
  return refs.reduce((a, r) => a + r[1], 0);
}

/** Every term of `message` as a reader serves it: docs with their positions. */
function terms(seg: SegmentReader): Map<string, string> {
  const out = new Map<string, string>();
  const all = seg.termsOf('message') ?? [];
  for (let k = 0; k < all.length; k++) {
    const docs = seg.postingsAt('message', k);
    const p = seg.positionsAt('message', k, docs.length);
    out.set(all[k], `${[...docs]} @ ${p ? [...p.start].join(',') + ':' + [...p.pos].join(',') : 'none'}`);
  }
  return out;
}

test('segments with grouped postings answer as plain ones, sealed and merged from a plain and a grouped segment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-grouped-'));
  try {
    const docs = logDocs(6000, 7);
    const plain = write(join(dir, 'plain.seg'), docs, 0, 5);
    const grouped = write(join(dir, 'grouped.seg'), docs, 0);
    assert.equal(plain.footer.fields.message.text?.grouped, undefined);
    assert.ok(grouped.footer.fields.message.text?.grouped, 'frequent numbers are grouped');
    // The index's sections only: the stored records of a sealed segment (joined) and of the older one (templates)
    // differ in form.
    assert.ok(indexBytes(grouped) < indexBytes(plain) * 0.9, `grouped ${indexBytes(grouped)} bytes against ${indexBytes(plain)}`);
    const want = terms(plain);
    assert.deepEqual(terms(grouped), want);

    // Merges of a plain (version 5) and a grouped half, and of that merge with itself split differently.
    const a = write(join(dir, 'a.seg'), docs.slice(0, 2500), 0, 5);
    const b = write(join(dir, 'b.seg'), docs.slice(2500), 2500);
    // A merge reads grouped terms straight from their groups; once a query has read them, from their plain copy.
    mergeSegments(join(dir, 'm.seg'), [a, b]);
    const m = SegmentReader.open(join(dir, 'm.seg'));
    assert.ok(m.footer.fields.message.text?.grouped);
    assert.deepEqual(terms(m), want);
    assert.equal(terms(b).size > 0, true);
    mergeSegments(join(dir, 'm2.seg'), [a, b]);
    const m2 = SegmentReader.open(join(dir, 'm2.seg'));
    assert.deepEqual(terms(m2), want);
    m2.close();

    for (const q of ['"10.0.1.5"', '"port 22"', '"10 0 3 3"', '"7 7 7"', '1 AND "user42 closed"', '10.0.2.*']) {
      const brute = docs.flatMap((d, i) => (matches(d.message, q) ? [i] : []));
      for (const seg of [plain, grouped, m]) {
        // The whole segment, and a doc range, which starts mid-list through the skip entries.
        for (const [lo, hi] of [[0, seg.docs], [1000, 4500]]) {
          const got: number[] = [];
          evalSegment(seg, parseQuery(q), lo, hi).forEachAsc((d) => (d < hi && got.push(d), true), lo);
          assert.deepEqual(got, brute.filter((d) => d >= lo && d < hi), `${q} in [${lo}, ${hi}) of ${seg.path}`);
        }
      }
      assert.ok(brute.length > 0, `${q} matches something`);
    }
    // Newest first and oldest first from a doc, one skip block at a time, as the latest hits are read.
    for (const token of ['22', '10', '2026', '7']) {
      const walk = (seg: SegmentReader) => {
        const desc: number[] = [];
        const asc: number[] = [];
        seg.termDocsDesc('message', token, 4321, (d) => (desc.push(d), desc.length < 300));
        seg.termDocsAsc('message', token, 1234, (d) => (asc.push(d), asc.length < 300));
        return { desc, asc };
      };
      const want = walk(plain);
      assert.ok(want.desc.length > 100 && want.asc.length > 100, `${token} is frequent`);
      assert.deepEqual(walk(grouped), want, token);
      assert.deepEqual(walk(m), want, token);
    }
    for (const s of [plain, grouped, a, b, m]) s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The queries above, the plain way: tokens of the message, consecutive; a trailing `*` as a prefix. */
function matches(message: string, q: string): boolean {
  const toks = message.toLowerCase().match(/[a-z0-9_]+/g) ?? [];
  const seq = (words: string[], prefixLast: boolean) =>
    toks.some((_, i) => words.every((w, j) => (j === words.length - 1 && prefixLast ? (toks[i + j] ?? '').startsWith(w) : toks[i + j] === w)));
  if (q.includes(' AND ')) return q.split(' AND ').every((p) => matches(message, p));
  const body = q.replace(/"/g, '');
  const prefix = body.endsWith('*');
  return seq(body.replace('*', '').toLowerCase().match(/[a-z0-9_]+/g) ?? [], prefix);
}
