import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { evalSegment } from '../query/exec-segment.ts';
import { parseQuery } from '../query/parser.ts';
import { matchPatterns } from '../query/pattern-eval.ts';
import { scratch } from '../query/scratch.ts';
import { Bitset } from '../query/bitset.ts';
import { mergeSegments } from './merger.ts';
import { readSegmentFile, withFooter } from './testing.ts';
import { SEG_VERSION } from './layout.ts';
import { SLOT, isWord } from './patterns.ts';
import { SegmentReader } from './reader.ts';
import { writeSegment } from './writer.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'strata-patterns-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Docs' field JSON in time order (ts = seq = index + base). */
function write(path: string, docs: readonly object[], opts: { patterns?: boolean; olderVersion?: 3 | 4 } = {}, base = 0): SegmentReader {
  const n = docs.length;
  writeSegment(path, { ts: Float64Array.from({ length: n }, (_, i) => base + i), seq: Float64Array.from({ length: n }, (_, i) => base + i), json: docs.map((d) => JSON.stringify(d)) }, opts);
  return SegmentReader.open(path);
}

test('a field holds each distinct sequence of words once, with digit tokens as slots; docs without a word hold none', () => {
  withDir((dir) => {
    const seg = write(join(dir, 'a.seg'), [
      { message: 'received block blk_1 of size 67108864' },
      { message: 'Received BLOCK blk_22 of size 5' },
      { message: '12 34' },
      { level: 'info' },
      { message: 'Received block of size' },
    ]);
    try {
      const pi = seg.patternsOf('message')!;
      assert.deepEqual(pi.values, [`received block ${SLOT} of size ${SLOT}`, 'received block of size']);
      assert.deepEqual(Array.from(pi.ords), [1, 1, 0, 0, 2]);
      // The dictionary holds the tokens with digits; words are found through the patterns.
      assert.deepEqual(seg.termsOf('message'), ['12', '34', '5', '67108864', 'blk_1', 'blk_22', 'block', 'of', 'received', 'size']);
      assert.equal(seg.termDf('message', 'block'), 3);
      assert.deepEqual(Array.from(seg.termDocs('message', 'size')!), [0, 1, 4]);
      assert.equal(seg.termDocs('message', 'absent'), null);
      const count = (q: string) => evalSegment(seg, parseQuery(q)).countRange(0, seg.docs);
      assert.equal(count('"block of"'), 1, 'a phrase of words checks adjacency in the pattern');
      assert.equal(count('"block blk_1 of"'), 1, 'a phrase mixing words and digit tokens reads both');
      assert.equal(count('"of size 5"'), 1);
      assert.equal(count('bl*'), 3);
      assert.equal(count('"received bl"'), 0);
      assert.equal(count('received.bl*'), 3, 'a word of several tokens whose last is a prefix');
      scratch.release();
    } finally {
      seg.close();
    }
  });
});

test('a field with too many patterns for its docs keeps per-doc postings for every token', () => {
  withDir((dir) => {
    // 400 docs, each its own sequence of words: 400 patterns > 256 and > docs / 4.
    const words = (i: number) => i.toString(26).replace(/[0-9]/g, (c) => String.fromCharCode(113 + Number(c)));
    const seg = write(join(dir, 'a.seg'), Array.from({ length: 400 }, (_, i) => ({ message: `start ${words(i)} end`, host: 'web' })));
    try {
      assert.equal(seg.patternsOf('message'), null);
      assert.ok(seg.patternsOf('host'), 'another field of the same segment still has them');
      assert.ok(seg.termsOf('message')!.includes('start'));
      assert.equal(seg.termDf('message', 'end'), 400);
    } finally {
      seg.close();
    }
  });
});

const VOCAB = ['alpha', 'beta', 'gamma', 'error', 'failed', 'conn', 'connection', 'ünï', 'x_y', 'rare', 'id7', '42', 'blk_3', '0', 'conn9'];
const SEPS = [' ', ' ', '-', '.', ': ', '/'];
/** `rare` and `ünï` are in few docs, so that their docs come from per-pattern lists rather than a scan. */
const tokenArb = fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...VOCAB.filter((t) => t !== 'rare' && t !== 'ünï')) }, { weight: 1, arbitrary: fc.constantFrom('rare', 'ünï') });
const docArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ message: fc.array(fc.tuple(tokenArb, fc.constantFrom(...SEPS)), { maxLength: 7 }).map((ts) => ts.map(([t, s]) => t + s).join('')), level: fc.constantFrom('info', 'warn', 'ERROR') }) },
  { weight: 1, arbitrary: fc.record({ message: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ level: fc.constantFrom('info', 'debug') }) },
);
const QUERIES = [
  ...VOCAB.map((t) => `message:${JSON.stringify(t)}`),
  'alpha', 'rare', 'conn*', 'con*', 'message:c*', 'bl*', 'i*', '"alpha beta"', '"beta alpha gamma"', '"error failed"', '"conn 42"', '"id7 alpha"',
  '"alpha 0 beta"', '"connection blk_3"', 'alpha.bet*', 'rare-con*', 'x_y.i*', 'alpha beta -gamma', '-gamma alpha', 'NOT beta AND (alpha OR rare)', 'NOT (alpha OR beta) OR NOT gamma', '"alpha rare"', '"gamma ünï beta"', '(rare OR ünï) NOT message:"alpha beta"', 'NOT conn', 'alp* AND NOT id7', 'alpha AND NOT beta', 'error OR 42', 'level:error', '"x_y alpha"',
];

/** Compares `a` (with patterns) against `b` (the same docs without); returns how many queries `a` answered per pattern. */
function sameAnswers(a: SegmentReader, b: SegmentReader, ranges: readonly [number, number][]): number {
  let perPattern = 0;
  for (const [lo, hi] of ranges) {
    for (const q of QUERIES) {
      const x = evalSegment(a, parseQuery(q), lo, hi).clipTo(lo, hi);
      const y = evalSegment(b, parseQuery(q), lo, hi).clipTo(lo, hi);
      assert.deepEqual(x.words, y.words, `${q} in [${lo}, ${hi})`);
      // A query answered per pattern (the shard search's shortcut) selects the same docs, and counts them alike.
      const pm = matchPatterns(a, parseQuery(q));
      if (pm) {
        perPattern++;
        const z = new Bitset(a.docs);
        pm.pi.setInto(pm.pats, z, lo, hi);
        assert.deepEqual(z.words, y.words, `${q} per pattern in [${lo}, ${hi})`);
        assert.equal(pm.pi.count(pm.pats, lo, hi), y.countRange(lo, hi), `${q}: count per pattern`);
      }
      assert.equal(matchPatterns(b, parseQuery(q)), null, 'no patterns, no shortcut');
      scratch.release();
    }
    for (const t of VOCAB.map((v) => v.toLowerCase())) {
      assert.equal(a.termCount('message', t, lo, hi), b.termCount('message', t, lo, hi), `count of ${t} in [${lo}, ${hi})`);
      assert.deepEqual(Array.from(a.termDocs('message', t, lo, hi) ?? []), Array.from(b.termDocs('message', t, lo, hi) ?? []), `docs of ${t}`);
      const x = new Bitset(a.docs);
      const y = new Bitset(b.docs);
      assert.equal(a.termInto('message', t, x, lo, hi), b.termInto('message', t, y, lo, hi));
      assert.deepEqual(x.words, y.words, `bits of ${t}`);
      const first = (r: SegmentReader, desc: boolean) => {
        const got: number[] = [];
        const take = (d: number) => (got.push(d), got.length < 5);
        if (desc) r.termDocsDesc('message', t, hi, take);
        else r.termDocsAsc('message', t, lo, take);
        return got;
      };
      assert.deepEqual(first(a, true), first(b, true), `newest of ${t} below ${hi}`);
      assert.deepEqual(first(a, false), first(b, false), `oldest of ${t} from ${lo}`);
      assert.deepEqual(a.termPositions('message', t, lo, hi), b.termPositions('message', t, lo, hi), `positions of ${t}`);
      scratch.release();
    }
  }
  return perPattern;
}

/** Every token's docs and encoded positions, as termsOf spells them out (bigram terms left aside). */
function sameTerms(a: SegmentReader, b: SegmentReader, field: string): void {
  const terms = (r: SegmentReader) => (r.termsOf(field) ?? []).flatMap((t, k) => (t.includes(' ') ? [] : [[t, k] as const]));
  const x = terms(a);
  const y = terms(b);
  assert.deepEqual(x.map(([t]) => t), y.map(([t]) => t), `${field}: terms`);
  for (let i = 0; i < x.length; i++) {
    assert.equal(a.dfAt(field, x[i][1]), b.dfAt(field, y[i][1]), `${field}:${x[i][0]} df`);
    assert.deepEqual(a.postingsAt(field, x[i][1]), b.postingsAt(field, y[i][1]), `${field}:${x[i][0]} docs`);
    const bytes = (r: SegmentReader, k: number) => {
      const b = r.positionBytesAt(field, k);
      return b === null ? null : Array.from(b);
    };
    assert.deepEqual(bytes(a, x[i][1]), bytes(b, y[i][1]), `${field}:${x[i][0]} positions`);
  }
}

test('a segment with patterns answers every read and query as one without them (property)', () => {
  fc.assert(
    fc.property(fc.array(docArb, { minLength: 150, maxLength: 400 }), fc.nat(), (docs, cut) => {
      withDir((dir) => {
        const p = write(join(dir, 'p.seg'), docs);
        const q = write(join(dir, 'q.seg'), docs, { patterns: false });
        try {
          if (docs.some((d) => typeof (d as { message?: unknown }).message === 'string' && /[a-z]/.test(String((d as { message: string }).message)))) {
            assert.ok(p.patternsOf('message'), 'the field has patterns');
          }
          assert.equal(q.patternsOf('message'), null);
          const n = docs.length;
          const mid = cut % n;
          const perPattern = sameAnswers(p, q, [[0, n], [mid, n], [0, mid + 1], [mid >> 1, mid + 1]]);
          // `alpha` is only ever in the message, so where it occurs the query `alpha` is answered per pattern.
          if (p.patternsOf('message') && p.termDf('message', 'alpha') > 0) assert.ok(perPattern > 0, 'some queries are answered per pattern');
          for (const f of ['message', 'level']) sameTerms(p, q, f);
        } finally {
          p.close();
          q.close();
        }
      });
    }),
    { numRuns: 40, includeErrorInReport: true },
  );
});

/**
 * Log-like docs: 40 statements, their digit tokens filled with random numbers, so that a union of patterns fits.
 * Numbers come from a wide range: more distinct messages than a keyword column holds, so that each doc's pattern is
 * stored per doc, while `level`'s are stored per keyword value.
 */
function logLike(n: number, seed: number): object[] {
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)];
  const statements = Array.from({ length: 40 }, () => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(VOCAB)));
  return Array.from({ length: n }, () => {
    const st = pick(statements);
    if (rnd() < 0.05) return { level: pick(['info', 'warn']) };
    return { message: st.map((t) => (isWord(t) ? t : `${t.replace(/[0-9]+/g, '')}${Math.floor(rnd() * 1e6)}`) + pick(SEPS)).join(''), level: pick(['info', 'warn', 'ERROR']) };
  });
}

test('merges keep patterns when every input has them and their union fits, and spell words out per doc otherwise', () => {
  withDir((dir) => {
    const docs = logLike(6000, 7);
    const parts = [docs.slice(0, 2000), docs.slice(2000, 4000), docs.slice(4000)];
    const withP = parts.map((p, i) => write(join(dir, `p${i}.seg`), p, {}, i * 2000));
    const without = write(join(dir, 'q1.seg'), parts[1], { patterns: false }, 2000);
    const built = write(join(dir, 'all.seg'), docs, { patterns: false });
    // A seal of them all stores the message's patterns per doc too, and reads as the build without patterns.
    const sealed = write(join(dir, 'allp.seg'), docs);
    assert.ok(sealed.footer.fields.message.text!.patterns!.ords);
    sameTerms(sealed, built, 'message');
    sameAnswers(sealed, built, [[0, sealed.docs], [10, 5990]]);
    sealed.close();
    const cases: [string, SegmentReader[], boolean][] = [
      ['all with patterns', withP, true],
      ['one input without', [withP[0], without, withP[2]], false],
    ];
    try {
      for (const [name, inputs, patterned] of cases) {
        const path = join(dir, `m-${name.replace(/ /g, '-')}.seg`);
        mergeSegments(path, inputs);
        const m = SegmentReader.open(path);
        try {
          assert.equal(m.patternsOf('message') !== null, patterned, name);
          if (patterned) {
            // Inputs (2,000 docs) have a keyword column for both fields; the merge (6,000 distinct messages) not for
            // the message, whose patterns it then stores per doc.
            const stored = (r: SegmentReader, f: string) => Object.keys(r.footer.fields[f].text!.patterns!).sort().join();
            for (const r of withP) assert.equal(stored(r, 'message'), 'byKeyword,values');
            for (const r of [...withP, m]) assert.equal(stored(r, 'level'), 'byKeyword,values', 'a pattern per keyword value');
            assert.equal(stored(m, 'message'), 'ords,values,width', 'a pattern per doc');
            const union = new Set(withP.flatMap((r) => r.patternsOf('message')!.values));
            assert.deepEqual(new Set(m.patternsOf('message')!.values), union, `${name}: the union of the inputs' patterns`);
          }
          sameTerms(m, built, 'message');
          const perPattern = sameAnswers(m, built, [[0, m.docs], [1500, 4700], [3000, 3100]]);
          assert.equal(perPattern > 0, patterned, `${name}: queries answered per pattern`);
        } finally {
          m.close();
        }
      }
    } finally {
      for (const r of [...withP, without, built]) r.close();
    }
  });
});

test('a merge whose union of patterns does not fit indexes the field per doc', () => {
  withDir((dir) => {
    // Each input: 200 docs over 100 patterns (fits: ≤ 256); merged: 800 docs over 400 patterns (> 256, > 800 / 4).
    const word = (i: number) => i.toString(26).replace(/[0-9]/g, (c) => String.fromCharCode(113 + Number(c)));
    const inputs = [0, 1, 2, 3].map((j) =>
      write(join(dir, `in${j}.seg`), Array.from({ length: 200 }, (_, i) => ({ message: `w ${word(j * 100 + (i % 100))} ${i}` })), {}, j * 200),
    );
    try {
      for (const r of inputs) assert.ok(r.patternsOf('message'));
      mergeSegments(join(dir, 'm.seg'), inputs);
      const m = SegmentReader.open(join(dir, 'm.seg'));
      try {
        assert.equal(m.patternsOf('message'), null);
        assert.equal(m.termDf('message', 'w'), 800);
        assert.equal(m.termDf('message', word(5)), 2);
        assert.ok(isWord(word(399)) && m.termDf('message', word(399)) === 2);
      } finally {
        m.close();
      }
    } finally {
      for (const r of inputs) r.close();
    }
  });
});

/**
 * Marks a segment written with counted positions entries as version 2 or 3, whose layout it then has exactly (for
 * version 2, without patterns).
 */
function asVersion(path: string, version: 2 | 3): void {
  const { body, footer } = readSegmentFile(path);
  if (version === 2) for (const f of Object.values(footer.fields)) assert.equal(f.text?.patterns, undefined);
  footer.version = version;
  writeFileSync(path, withFooter([body], footer));
}

test('version-2 segments (written before patterns) read as before and merge with segments that have them', () => {
  withDir((dir) => {
    const docs = fc.sample(docArb, { numRuns: 600, seed: 11 });
    const a = write(join(dir, 'a.seg'), docs.slice(0, 300), { patterns: false, olderVersion: 3 });
    a.close();
    asVersion(join(dir, 'a.seg'), 2);
    const old = SegmentReader.open(join(dir, 'a.seg'));
    const b = write(join(dir, 'b.seg'), docs.slice(300), {}, 300);
    const built = write(join(dir, 'all.seg'), docs, { patterns: false });
    const first = write(join(dir, 'first.seg'), docs.slice(0, 300), { patterns: false });
    try {
      assert.equal(old.footer.version, 2);
      // Counted positions entries read as the packed ones of the same docs, and are handed to merges packed.
      sameTerms(old, first, 'message');
      sameAnswers(first, old, [[0, 300], [40, 210]]);
      assert.ok(b.patternsOf('message'));
      mergeSegments(join(dir, 'm.seg'), [old, b]);
      const m = SegmentReader.open(join(dir, 'm.seg'));
      try {
        assert.equal(m.footer.version, SEG_VERSION);
        assert.equal(m.patternsOf('message'), null, 'an input without patterns: words per doc');
        sameTerms(m, built, 'message');
        sameAnswers(m, built, [[0, m.docs], [100, 450]]);
      } finally {
        m.close();
      }
    } finally {
      for (const r of [old, b, built, first]) r.close();
    }
  });
});

test('version-3 segments (patterns, counted positions entries) read as before and merge into packed ones', () => {
  withDir((dir) => {
    const docs = logLike(2000, 12);
    const a = write(join(dir, 'a.seg'), docs.slice(0, 300), { olderVersion: 3 });
    a.close();
    asVersion(join(dir, 'a.seg'), 3);
    const old = SegmentReader.open(join(dir, 'a.seg'));
    const first = write(join(dir, 'first.seg'), docs.slice(0, 300));
    const plain = write(join(dir, 'plain.seg'), docs.slice(0, 300), { patterns: false });
    const b = write(join(dir, 'b.seg'), docs.slice(300), {}, 300);
    const built = write(join(dir, 'all.seg'), docs, { patterns: false });
    try {
      assert.equal(old.footer.version, 3);
      assert.ok(old.patternsOf('message'));
      sameTerms(old, first, 'message');
      // What a merge decodes when its inputs interleave: a number's entries counted on disk, a word's from its patterns.
      const terms = old.termsOf('message')!;
      assert.ok(terms.some((t) => isWord(t)) && terms.some((t) => !isWord(t)));
      for (let k = 0; k < terms.length; k++) {
        assert.deepEqual(old.positionsAt('message', k, old.dfAt('message', k)), first.positionsAt('message', k, first.dfAt('message', k)), `positions of ${terms[k]}`);
      }
      sameAnswers(old, plain, [[0, 300], [17, 260]]);
      mergeSegments(join(dir, 'm.seg'), [old, b]);
      const m = SegmentReader.open(join(dir, 'm.seg'));
      try {
        assert.equal(m.footer.version, SEG_VERSION);
        assert.ok(m.patternsOf('message'), 'both inputs have patterns: the merge keeps them');
        sameTerms(m, built, 'message');
        sameAnswers(m, built, [[0, m.docs], [100, 450]]);
      } finally {
        m.close();
      }
    } finally {
      for (const r of [old, first, plain, b, built]) r.close();
    }
  });
});
