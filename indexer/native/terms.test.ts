import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { SectionRef } from '../segment/layout.ts';
import { FileOut } from '../segment/segment-file.ts';
import { TermTable } from '../segment/term-table.ts';
import { asPayload } from '../segment/testing.ts';
import { writeTerms } from '../segment/write-terms.ts';
import { writeSegment } from '../segment/writer.ts';
import { native } from './index.ts';

const needsNative = { skip: native.terms === null ? `the compiled terms writer is ${native.reason}` : false };

/** Keeps each section's bytes as given (before compression) instead of writing a file. */
class Capture extends FileOut {
  sections: Buffer[] = [];
  constructor() {
    super(-1, 'capture', 0);
  }
  override writeCompressed(b: Uint8Array): SectionRef {
    this.sections.push(Buffer.from(b));
    return [this.sections.length - 1, b.length, 0];
  }
}

/**
 * A term table over `docs` (each doc's lower-case value: one per doc, as a field has, so that a doc's positions
 * ascend), with `bigrams` whole terms posted after.
 */
function table(docs: string[], bigrams: [string, number][]): { tt: TermTable; firstBigram: number } {
  const tt = new TermTable(16);
  docs.forEach((v, doc) => tt.addText(v, doc));
  const firstBigram = tt.size;
  for (const [term, doc] of bigrams) tt.post(tt.internWhole(term), doc, 0);
  return { tt, firstBigram };
}

/** writeTerms through the compiled writer and through TermsWriter: the sections each wrote, and what each returned. */
function bothWays(docs: string[], bigrams: [string, number][], skipOf: (t: number) => boolean) {
  const nt = native.terms;
  const runs = [nt, null].map((writer) => {
    const { tt, firstBigram } = table(docs, bigrams);
    const skip = Uint8Array.from({ length: tt.size }, (_, t) => (skipOf(t) ? 1 : 0));
    const out = new Capture();
    native.terms = writer;
    try {
      return { meta: writeTerms(out, tt, firstBigram, skip, false), sections: out.sections };
    } finally {
      native.terms = nt;
      tt.release();
    }
  });
  return { compiled: runs[0], typescript: runs[1] };
}

test('the compiled terms writer is built by npm install', { skip: process.env.STRATA_NATIVE === '0' ? 'STRATA_NATIVE=0 turns it off' : false }, () => {
  assert.ok(native.terms !== null, `the compiled terms writer is ${native.reason}`);
});

test('the compiled terms writer writes the sections TermsWriter writes, with skipped terms and bigrams (property)', needsNative, () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ab', '1', '2', '_', 'z9', 'abcdefgh', 'abcdefghi'), minLength: 1, maxLength: 6 });
  const value = fc.array(word, { minLength: 0, maxLength: 8 }).map((ws) => ws.join(' '));
  fc.assert(
    fc.property(
      fc.array(value, { minLength: 1, maxLength: 60 }),
      fc.array(fc.tuple(fc.constantFrom('a b', 'ab c', '1 2'), fc.nat(59)), { maxLength: 10 }),
      fc.integer({ min: 0, max: 7 }),
      (docs, rawBigrams, skipEvery) => {
        // A bigram's occurrences come in doc order, as addBigrams posts them.
        const bigrams = rawBigrams.filter(([, d]) => d < docs.length).sort((x, y) => x[1] - y[1]);
        const { compiled, typescript } = bothWays(docs, bigrams, (t) => skipEvery > 0 && t % skipEvery === 0);
        assert.deepEqual(compiled.meta, typescript.meta);
        assert.equal(compiled.sections.length, typescript.sections.length);
        compiled.sections.forEach((b, k) => assert.ok(b.equals(typescript.sections[k]), `section ${k} differs`));
      },
    ),
    { numRuns: 300 },
  );
});

test('terms in more docs than a skip block, and docs with many positions, are written alike', needsNative, () => {
  const docs: string[] = [];
  for (let d = 0; d < 700; d++) docs.push(`common common ${d % 3 === 0 ? 'third' : 'other'} id${d} common${d % 50 === 0 ? ' rare' : ''}`);
  const { compiled, typescript } = bothWays(docs, [['common common', 3], ['common common', 400]], () => false);
  assert.ok(compiled.meta.terms > 700, 'every term written');
  assert.ok(compiled.sections[4].length > 0, 'skip entries written');
  compiled.sections.forEach((b, k) => assert.ok(b.equals(typescript.sections[k]), `section ${k} differs`));
});

test('a field with a term that is not ASCII is left to TermsWriter, and written alike', needsNative, () => {
  const nt = native.terms!;
  const { tt } = table(['naïve café', 'plain words'], []);
  const sizes = new Float64Array(6);
  assert.equal(nt.terms(tt.joined(), tt.size, tt.pairTerm, tt.pairDoc, tt.pairPos, tt.pairs, tt.size, null, new Uint8Array(1024), sizes), -1);
  tt.release();
  const { compiled, typescript } = bothWays(['naïve café', 'plain words'], [], () => false);
  compiled.sections.forEach((b, k) => assert.ok(b.equals(typescript.sections[k]), `section ${k} differs`));
});

test('streams longer than the buffer given are copied by copyTerms into a longer one', needsNative, () => {
  const nt = native.terms!;
  const docs = Array.from({ length: 300 }, (_, d) => `alpha beta v${d} gamma`);
  const { tt } = table(docs, []);
  const sizes = new Float64Array(6);
  const short = new Uint8Array(8);
  assert.equal(nt.terms(tt.joined(), tt.size, tt.pairTerm, tt.pairDoc, tt.pairPos, tt.pairs, tt.size, null, short, sizes), 0);
  assert.deepEqual([...short], [0, 0, 0, 0, 0, 0, 0, 0], 'nothing copied into a buffer too short');
  let total = 0;
  for (let k = 1; k < 6; k++) total += sizes[k];
  const long = new Uint8Array(total);
  nt.copyTerms(long);
  const again = new Uint8Array(total + 10);
  assert.equal(nt.terms(tt.joined(), tt.size, tt.pairTerm, tt.pairDoc, tt.pairPos, tt.pairs, tt.size, null, again, sizes), 1);
  assert.ok(Buffer.from(long).equals(Buffer.from(again.subarray(0, total))));
  assert.throws(() => nt.copyTerms(new Uint8Array(total - 1)), TypeError);
  tt.release();
});

test('the compiled terms writer rejects arguments it cannot use, with errors that say which', needsNative, () => {
  const nt = native.terms!;
  const { tt } = table(['one two', 'two three'], []);
  const sizes = new Float64Array(6);
  const out = new Uint8Array(1024);
  const args = () => [tt.joined(), tt.size, tt.pairTerm, tt.pairDoc, tt.pairPos, tt.pairs, tt.size, null, out, sizes] as Parameters<typeof nt.terms>;
  const bad = new Uint32Array(tt.pairs);
  bad[1] = tt.size;
  const withArg = (k: number, v: unknown) => {
    const a = args() as unknown[];
    a[k] = v;
    return a as Parameters<typeof nt.terms>;
  };
  assert.throws(() => nt.terms(...withArg(2, bad)), { name: 'RangeError', message: /term id past/ });
  assert.throws(() => nt.terms(...withArg(3, new Uint32Array(1))), { name: 'TypeError', message: /occurrence arrays/ });
  assert.throws(() => nt.terms(...withArg(7, new Uint8Array(1))), { name: 'TypeError', message: /skip/ });
  assert.throws(() => nt.terms(...withArg(9, new Float64Array(2))), { name: 'TypeError', message: /sizes/ });
  assert.throws(() => nt.terms(...withArg(0, 42)), { name: 'TypeError', message: /string/ });
  // Fewer terms than the string holds is not ASCII terms of that count: left to TermsWriter.
  assert.equal(nt.terms(...withArg(1, tt.size - 1)), -1);
  assert.equal(nt.terms(...args()), 1);
  assert.equal(sizes[0], 3);
  tt.release();
});

test('seals write the same segment with the compiled terms writer and without it (property)', needsNative, () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-terms-'));
  const nt = native.terms;
  try {
    const text = fc.array(fc.constantFrom('GET', 'POST', '/api', 'user', '42', '10.0.0.1', 'ok', 'failed', 'x9', 'é'), { maxLength: 8 }).map((ws) => ws.join(' '));
    const record = fc.record({ message: text, host: fc.constantFrom('a', 'b', 'c'), code: fc.integer({ min: 100, max: 104 }) });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 80 }), fc.boolean(), fc.boolean(), (recs, patterns, bigrams) => {
        const json = recs.map((r) => JSON.stringify(r));
        const n = json.length;
        const ts = Float64Array.from({ length: n }, (_, i) => 1000 + i);
        const seq = Float64Array.from({ length: n }, (_, i) => i);
        const files = [nt, null].map((writer, k) => {
          native.terms = writer;
          writeSegment(join(dir, `${k}.seg`), { ts, seq, json: asPayload(json, 7) }, { patterns, bigrams, groupedMinDf: null });
          return readFileSync(join(dir, `${k}.seg`));
        });
        assert.ok(files[0].equals(files[1]), 'the same segment either way');
      }),
      { numRuns: 120 },
    );
  } finally {
    native.terms = nt;
    rmSync(dir, { recursive: true, force: true });
  }
});
