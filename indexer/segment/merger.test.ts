import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalSegment } from '../query/exec-segment.ts';
import { parseQuery } from '../query/parser.ts';
import { mergeSegments } from './merger.ts';
import { SegmentReader } from './reader.ts';
import { writeSegment } from './writer.ts';
import { bigramTerm, splitBigram } from './bigrams.ts';
import { tokenize } from '../text/tokenize.ts';

function fieldTokens(r: SegmentReader, doc: number, field: string): string[] {
  const v = r.doc(doc)[field];
  return typeof v === 'string' || typeof v === 'boolean' ? tokenize(String(v)) : [];
}

/**
 * A segment's bigram terms are exactly the adjacent pairs of its common tokens, each with every doc that has the
 * pair (brute force over the docs' tokens, read from a segment holding the same docs).
 */
function checkBigrams(seg: SegmentReader, field: string, tokensOf: (doc: number) => string[]): void {
  const common = new Set(seg.commonTokens(field) ?? []);
  const want = new Map<string, number[]>();
  for (let d = 0; d < seg.docs; d++) {
    const t = tokensOf(d);
    for (let i = 0; i + 1 < t.length; i++) {
      if (!common.has(t[i]) || !common.has(t[i + 1])) continue;
      const docs = want.get(bigramTerm(t[i], t[i + 1])) ?? [];
      if (docs.at(-1) !== d) docs.push(d);
      want.set(bigramTerm(t[i], t[i + 1]), docs);
    }
  }
  const got = new Map((seg.termsOf(field) ?? []).flatMap((t, k) => (splitBigram(t) ? [[t, Array.from(seg.postingsAt(field, k))] as const] : [])));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${field}: bigram terms`);
  for (const [t, docs] of want) assert.deepEqual(got.get(t), docs, `${field}: "${t}"`);
  if (field === 'message' && seg.docs > 1000) assert.ok(want.size > 0, 'the test has common pairs');
}

interface Rec {
  ts: number;
  seq: number;
  json: string;
}

function records(n: number, seed: number): Rec[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = ['alpha', 'beta', 'gamma', 'delta', 'error', 'failed', 'conn', 'connection', 'Ünïcode', 'x_y'];
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  return Array.from({ length: n }, (_, i) => {
    const msg = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => (rnd() < 0.2 ? String(Math.floor(rnd() * 1000)) : pick(words))).join(' ');
    const f: Record<string, unknown> = { message: msg };
    if (rnd() < 0.7) f.level = pick(['info', 'warn', 'error']);
    if (rnd() < 0.5) f.status = pick([200, 404, 500, 503]);
    if (rnd() < 0.3) f.mixed = rnd() < 0.5 ? 'text ' + pick(words) : Math.floor(rnd() * 10);
    if (rnd() < 0.2) f.ok = rnd() < 0.5;
    // Few distinct timestamps, so ties are ordered by seq.
    return { ts: 1_700_000_000_000 + Math.floor(rnd() * 50) * 1000, seq: i, json: JSON.stringify(f) };
  });
}

function write(path: string, recs: Rec[], patterns: boolean): SegmentReader {
  const sorted = recs.slice().sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  writeSegment(path, { ts: Float64Array.from(sorted, (r) => r.ts), seq: Float64Array.from(sorted, (r) => r.seq), json: sorted.map((r) => r.json) }, { patterns });
  return SegmentReader.open(path);
}

const QUERIES = ['alpha', '"alpha beta"', '"beta gamma delta"', 'conn*', 'error -failed', 'level:error', 'status:500', 'status>=404',
  'mixed:text', 'mixed:3', 'mixed:*', 'ok:true', 'ünïcode', 'x_y', '"failed 1*"', '*', 'NOT level:*'];

for (const [mode, patterns] of [['contiguous', true], ['interleaved', true], ['contiguous', false], ['interleaved', false]] as const) {
  test(`a merge of ${mode} segments equals a segment built from all their records (${patterns ? 'with' : 'without'} patterns)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-merge-'));
    try {
      const recs = records(6000, mode === 'contiguous' ? 1 : 2);
      const k = 4;
      // Contiguous: consecutive runs in (ts, seq) order, as seals of a shard usually are, so most terms' parts
      // concatenate (and their encoded positions are copied); interleaved: every input spans the whole time range.
      const ordered = mode === 'contiguous' ? recs.slice().sort((a, b) => a.ts - b.ts || a.seq - b.seq) : recs;
      const inputs = Array.from({ length: k }, (_, j) =>
        write(join(dir, `in${j}.seg`), ordered.filter((_, i) => (mode === 'interleaved' ? i % k === j : Math.floor((i * k) / recs.length) === j)), patterns),
      );
      mergeSegments(join(dir, 'merged.seg'), inputs);
      const merged = SegmentReader.open(join(dir, 'merged.seg'));
      const built = write(join(dir, 'built.seg'), recs, patterns);
      // Fields with few patterns (level, mixed) have them, the message's random word sequences do not fit.
      for (const r of [...inputs, merged, built]) assert.equal(r.patternsOf('level') !== null, patterns);
      assert.equal(merged.docs, recs.length);
      assert.deepEqual(merged.ts, built.ts);
      assert.deepEqual(merged.seq, built.seq);
      for (let d = 0; d < merged.docs; d++) assert.equal(merged.docJson(d), built.docJson(d));
      assert.deepEqual(merged.fieldNames().sort(), built.fieldNames().sort());
      for (const f of built.fieldNames()) {
        assert.deepEqual(merged.numberColumn(f), built.numberColumn(f), f);
        assert.deepEqual(merged.keywordColumn(f), built.keywordColumn(f), f);
        assert.deepEqual(merged.presenceOf(f)?.words, built.presenceOf(f)?.words, f);
        // Tokens: exactly what a build writes. Bigram terms depend on which tokens each side counts common.
        const tokens = (r: SegmentReader) => (r.termsOf(f) ?? []).flatMap((t, k) => (splitBigram(t) ? [] : [[t, k] as const]));
        const mt = tokens(merged);
        const bt = tokens(built);
        assert.deepEqual(mt.map(([t]) => t), bt.map(([t]) => t), f);
        for (let i = 0; i < bt.length; i++) {
          // Positions may be copied as encoded bytes from the inputs: they must be exactly what a build writes.
          assert.deepEqual(merged.postingsAt(f, mt[i][1]), built.postingsAt(f, bt[i][1]), `${f}:${bt[i][0]} postings`);
          assert.deepEqual(merged.positionBytesAt(f, mt[i][1]), built.positionBytesAt(f, bt[i][1]), `${f}:${bt[i][0]} positions`);
        }
        checkBigrams(merged, f, (d) => fieldTokens(built, d, f));
        checkBigrams(built, f, (d) => fieldTokens(built, d, f));
        for (const r of inputs) checkBigrams(r, f, (d) => fieldTokens(r, d, f));
      }
      // Ranges start and stop inside skip blocks, so the skip entries' offsets into both streams are exercised.
      for (const [lo, hi] of [[0, merged.docs], [1, merged.docs - 1], [129, 700], [300, 301], [merged.docs >> 1, merged.docs]]) {
        for (const q of QUERIES) {
          const a = evalSegment(merged, parseQuery(q), lo, hi);
          const b = evalSegment(built, parseQuery(q), lo, hi);
          assert.equal(a.countRange(lo, hi), b.countRange(lo, hi), `${q} in [${lo}, ${hi})`);
        }
      }
      for (const q of QUERIES) {
        const a = evalSegment(merged, parseQuery(q));
        const b = evalSegment(built, parseQuery(q));
        assert.deepEqual(a.words, b.words, q);
      }
      for (const r of [...inputs, merged, built]) r.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
