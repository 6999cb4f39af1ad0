import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../../lib/errors.ts';
import { evalSegment } from '../query/exec-segment.ts';
import { parseQuery } from '../query/parser.ts';
import { compress } from 'zstd-napi';
import { crc32c } from '../log/crc.ts';
import { SEG_VERSION, type SectionRef } from './layout.ts';
import { readSegmentFile, withFooter } from './testing.ts';
import { mergeSegments } from './merger.ts';
import { SegmentReader } from './reader.ts';
import { writeSegment } from './writer.ts';

function build(dir: string, n: number, olderVersion?: 3 | 4): SegmentReader {
  let s = 7;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const words = ['common', 'often', 'rare', 'x'];
  const json: string[] = [];
  for (let i = 0; i < n; i++) {
    const msg = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => words[Math.floor(rnd() * (rnd() < 0.9 ? 2 : 4))]).join(' ');
    json.push(JSON.stringify({ message: msg, n: i % 7 }));
  }
  const path = join(dir, 'r.seg');
  // Without patterns: these tests read words' postings through skip blocks (patterns.test.ts covers patterns), and
  // version 1, which asVersion1 rewrites a segment as, had none.
  writeSegment(path, { ts: Float64Array.from({ length: n }, (_, i) => 1000 + Math.floor(i / 3)), seq: Float64Array.from({ length: n }, (_, i) => i), json }, { patterns: false, olderVersion });
  return SegmentReader.open(path);
}

test('range reads through skip blocks equal the whole list cut to the range', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-reader-'));
  try {
    const seg = build(dir, 5000);
    for (const term of ['common', 'often', 'rare', 'x', 'absent']) {
      const all = seg.termDocs('message', term) ?? new Uint32Array(0);
      // 16 blocks and more: its decoded skip list is cached, so the ranges after the first read it from the cache.
      if (term === 'common') assert.ok(all.length >= 16 * 128, `the list spans many skip blocks (${all.length} docs)`);
      assert.equal(seg.termDf('message', term), all.length);
      const full = seg.termPositions('message', term);
      for (const [lo, hi] of [[0, 5000], [1, 2], [127, 129], [128, 4000], [2500, 2501], [4990, 5000], [300, 300], [0, 1]]) {
        const want = Array.from(all).filter((d) => d >= lo && d < hi);
        assert.deepEqual(Array.from(seg.termDocs('message', term, lo, hi) ?? []), want, `${term} [${lo},${hi})`);
        const desc: number[] = [];
        seg.termDocsDesc('message', term, hi, (d) => (d >= lo ? (desc.push(d), true) : false));
        assert.deepEqual(desc, want.slice().reverse(), `desc ${term} [${lo},${hi})`);
        const pr = seg.termPositions('message', term, lo, hi);
        if (full === null) {
          assert.equal(pr, null);
          continue;
        }
        assert.ok(full !== 'no-positions' && pr !== null && pr !== 'no-positions');
        assert.deepEqual(Array.from(pr.docs), want);
        for (let i = 0; i < pr.docs.length; i++) {
          const j = Array.from(full.docs).indexOf(pr.docs[i]);
          assert.deepEqual(Array.from(pr.pos.subarray(pr.start[i], pr.start[i + 1])), Array.from(full.pos.subarray(full.start[j], full.start[j + 1])));
        }
      }
      for (const q of ['"common often"', '"often often common"', 'common -often', 'n:3', 'n>=5', 'rare OR x']) {
        const whole = evalSegment(seg, parseQuery(q));
        for (const [lo, hi] of [[0, 5000], [129, 3000], [4096, 4097]]) {
          const part = evalSegment(seg, parseQuery(q), lo, hi);
          assert.equal(part.countRange(lo, hi), whole.countRange(lo, hi), `${q} [${lo},${hi})`);
        }
      }
    }
    seg.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt section or a truncated file is a clear storage_corrupt error, not a crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-reader-'));
  try {
    build(dir, 300).close();
    const path = join(dir, 'r.seg');
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, good.length - 5));
    assert.throws(() => SegmentReader.open(path), (e: unknown) => e instanceof StrataError && e.code === 'storage_corrupt');
    const flipped = Buffer.from(good);
    flipped[40] ^= 0xff; // inside the first stored block
    writeFileSync(path, flipped);
    const seg = SegmentReader.open(path);
    assert.throws(() => seg.docJson(0), (e: unknown) => e instanceof StrataError && e.code === 'storage_corrupt' && /CRC/.test(e.message));
    seg.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('phrases agree with a scan of the text when position entries take several bytes or positions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-reader-'));
  try {
    let s = 11;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const words = ['alpha', 'beta', 'gamma'];
    const messages: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // Padding before the words puts some positions past 127 (two-byte varints); several words per doc give
      // entries of several positions; docs with none of the words are the entries a phrase skips.
      const pad = rnd() < 0.3 ? Array.from({ length: 100 + Math.floor(rnd() * 100) }, () => 'pad').join(' ') + ' ' : '';
      const n = rnd() < 0.2 ? 0 : 1 + Math.floor(rnd() * 5);
      messages.push(pad + Array.from({ length: n }, () => words[Math.floor(rnd() * 3)]).join(' '));
    }
    const n = messages.length;
    // Without patterns or bigrams, which would answer these phrases of words without reading positions; entries
    // packed (version 4 on) and counted (a version-3 segment).
    for (const counted of [false, true]) {
      const path = join(dir, `p-${counted}.seg`);
      const src = { ts: Float64Array.from({ length: n }, (_, i) => i), seq: Float64Array.from({ length: n }, (_, i) => i), json: messages.map((m) => JSON.stringify({ message: m })) };
      writeSegment(path, src, { patterns: false, bigrams: false, olderVersion: counted ? 3 : undefined });
      if (counted) {
        const { body, footer } = readSegmentFile(path);
        footer.version = 3;
        writeFileSync(path, withFooter([body], footer));
      }
      const seg = SegmentReader.open(path);
      try {
        assert.equal(seg.footer.version, counted ? 3 : SEG_VERSION);
        for (const phrase of [['alpha', 'beta'], ['beta', 'beta'], ['gamma', 'alpha', 'beta'], ['pad', 'alpha'], ['alpha', 'alpha', 'alpha']]) {
          const want = messages.flatMap((m, doc) => (` ${m} `.includes(` ${phrase.join(' ')} `) ? [doc] : []));
          for (const [lo, hi] of [[0, n], [700, 2300]]) {
            const got: number[] = [];
            evalSegment(seg, parseQuery(`"${phrase.join(' ')}"`), lo, hi).forEachAsc((d) => (d < hi && got.push(d), true), lo);
            assert.deepEqual(got, want.filter((d) => d >= lo && d < hi), `${phrase.join(' ')} in [${lo}, ${hi}), counted: ${counted}`);
          }
          assert.ok(phrase[0] === 'alpha' && phrase[1] === 'alpha' ? true : want.length > 0, `${phrase.join(' ')} has matches`);
        }
      } finally {
        seg.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bigram terms answer phrases of common words and are not words to a prefix (a field without patterns)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-reader-'));
  try {
    const messages = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 'alpha beta' : i % 4 === 1 ? 'beta alpha' : i % 4 === 2 ? 'alpha x beta' : `id${i}`));
    const n = messages.length;
    const src = { ts: Float64Array.from({ length: n }, (_, i) => i), seq: Float64Array.from({ length: n }, (_, i) => i), json: messages.map((m) => JSON.stringify({ message: m })) };
    writeSegment(join(dir, 'b.seg'), src, { patterns: false });
    writeSegment(join(dir, 'nob.seg'), src, { bigrams: false, patterns: false });
    const seg = SegmentReader.open(join(dir, 'b.seg'));
    const plain = SegmentReader.open(join(dir, 'nob.seg'));
    try {
      assert.deepEqual(seg.commonTokens('message'), ['alpha', 'beta', 'x']);
      assert.equal(plain.commonTokens('message'), undefined);
      const want = messages.flatMap((m, d) => (m === 'alpha beta' ? [d] : []));
      assert.deepEqual(Array.from(seg.bigramDocs('message', 'alpha', 'beta')!), want);
      assert.equal(seg.bigramDocs('message', 'alpha', 'id1'), null, 'a pair with a rare word is left to positions');
      assert.equal(plain.bigramDocs('message', 'alpha', 'beta'), null);
      assert.deepEqual(Array.from(seg.bigramDocs('message', 'x', 'alpha')!), [], 'a pair of common words that never occurs');
      for (const r of [seg, plain]) {
        const got: number[] = [];
        evalSegment(r, parseQuery('"alpha beta"')).forEachAsc((d) => (got.push(d), true));
        assert.deepEqual(got, want);
      }
      // `alp*` reaches the term `alpha beta` in the dictionary, but matches one word.
      assert.ok(seg.termsOf('message')!.includes('alpha beta'));
      const b = evalSegment(seg, parseQuery('alp*'));
      assert.equal(b.countRange(0, n), 300);
      assert.equal(seg.prefixDocs('message', 'alp', b), 1);
    } finally {
      seg.close();
      plain.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Rewrites a segment file as version 1 wrote it: its stored blocks as newline-joined JSON, one zstd frame each, its
 * dictionaries joined by newlines, and no templates. The version-2 sections stay in the file, unreferenced.
 */
function asVersion1(seg: SegmentReader): void {
  const path = seg.path;
  const docs = Array.from({ length: seg.docs }, (_, d) => seg.docJson(d));
  const dicts = new Map(seg.textFieldNames().map((f) => [f, seg.termsOf(f) ?? []]));
  seg.close();
  const { body, footer } = readSegmentFile(path);
  const parts: Buffer[] = [body];
  let pos = parts[0].length;
  const add = (b: Uint8Array): SectionRef => {
    parts.push(Buffer.from(b));
    pos += b.length;
    return [pos - b.length, b.length, crc32c(b)];
  };
  for (const [f, terms] of dicts) footer.fields[f].text!.dict = add(compress(Buffer.from(terms.join('\n'))));
  const refs: number[] = [];
  for (let i = 0; i < docs.length; i += footer.blockDocs) refs.push(...add(compress(Buffer.from(docs.slice(i, i + footer.blockDocs).join('\n')))));
  footer.blocks = add(compress(Buffer.from(new Float64Array(refs).buffer)));
  delete footer.templates;
  footer.version = 1;
  writeFileSync(path, withFooter(parts, footer));
}

test('segments written by version 1 (stored blocks as joined JSON) read and merge as before', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-reader-'));
  try {
    // Version 1 wrote counted positions entries (the count, then the deltas); this build writes them packed.
    const seg = build(dir, 5000, 3);
    const path = seg.path;
    const docs = Array.from({ length: seg.docs }, (_, d) => seg.docJson(d));
    const terms = seg.termsOf('message')!;
    mkdirSync(join(dir, 'packed'));
    const packed = build(join(dir, 'packed'), 5000);
    const positionsSection = (s: SegmentReader) => s.footer.fields.message.text!.positions[1];
    assert.ok(positionsSection(seg) > positionsSection(packed), 'counted entries on disk take more room');
    const count = (s: SegmentReader, q: string) => evalSegment(s, parseQuery(q)).countRange(0, s.docs);
    const counts = ['common', '"common often"', 'n:3', 'rare OR x', 'ofte*'].map((q) => count(seg, q));
    asVersion1(seg);
    const old = SegmentReader.open(path);
    assert.equal(old.footer.version, 1);
    assert.deepEqual(Array.from({ length: old.docs }, (_, d) => old.docJson(d)), docs);
    assert.deepEqual(old.termsOf('message'), terms);
    const positions = (s: SegmentReader) => terms.filter((t) => !t.includes(' ')).map((t) => s.termPositions('message', t, 100, 4000));
    const packedBytes = (s: SegmentReader) => terms.map((_, k) => Array.from(s.positionBytesAt('message', k) ?? []));
    assert.deepEqual(positions(old), positions(packed));
    assert.deepEqual(packedBytes(old), packedBytes(packed), 'handed to merges packed');
    assert.deepEqual(['common', '"common often"', 'n:3', 'rare OR x', 'ofte*'].map((q) => count(old, q)), counts);
    // A merge reads the old layout and writes the current one.
    const merged = join(dir, 'm.seg');
    mergeSegments(merged, [old]);
    const m = SegmentReader.open(merged);
    assert.equal(m.footer.version, SEG_VERSION);
    assert.ok(m.footer.templates);
    assert.deepEqual(Array.from({ length: m.docs }, (_, d) => m.docJson(d)), docs);
    assert.deepEqual(m.termsOf('message'), terms);
    assert.deepEqual(positions(m), positions(packed));
    old.close();
    m.close();
    packed.close();
    const bumped = readFileSync(path);
    bumped[7] = 9;
    writeFileSync(path, bumped);
    assert.throws(() => SegmentReader.open(path), (e: unknown) => e instanceof StrataError && /unsupported segment version 9/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
