import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, randomRecords, tempDir } from '../testing.ts';
import { encodePayload } from '../log/frame.ts';
import run from '../build/worker.ts';
import { buildScratch, docF64, docU32, TypedScratch, U32Scratch } from './scratch.ts';
import { writeSegment } from './writer.ts';

describe('U32Scratch', () => {
  test('hands out the smallest free array that fits, else a new one, and keeps only the largest arrays given', () => {
    const s = new U32Scratch(2);
    const big = new Uint32Array(1 << 20);
    const mid = new Uint32Array(1 << 19);
    s.give(big, mid, new Uint32Array(100));
    assert.equal(s.held, 2, 'an array under 1 MiB is not kept');
    const small = s.take(1000);
    assert.ok(small !== big && small !== mid && small.length === 1000, 'a small request gets a new array of its own');
    assert.equal(s.take(300_000), mid, 'the smallest that fits');
    assert.equal(s.take(300_000), big);
    const fresh = s.take(300_000);
    assert.ok(fresh !== big && fresh !== mid && fresh.length === 300_000, 'none left: a new one');
    s.give(mid, big, new Uint32Array(1 << 21));
    s.give(big);
    assert.equal(s.held, 2, 'at most `keep`, and an array given twice is held once');
    assert.equal(s.take(1 << 19).length, 1 << 20, 'the mid one was dropped, the two largest kept');
    assert.equal(s.take(1 << 21).length, 1 << 21);
    assert.equal(s.held, 0);
  });
});

describe('seals with the thread\'s scratch arrays', () => {
  test('write the same bytes whatever earlier seals left in the arrays', () => {
    const dir = tempDir('scratch-seal');
    try {
      // Long messages, so that the term table and writeTerms ask for arrays the pool keeps (over 1 MiB).
      const recs = randomRecords(new Rng(7), 30_000).map((r, i) => ({ ...r, fields: { ...r.fields, message: `${r.fields.message} ${i} ${i * 7919} id-${i % 101} ${r.fields.message}` } }));
      recs.sort((a, b) => a.ts - b.ts);
      const src = { ts: Float64Array.from(recs, (r) => r.ts), seq: Float64Array.from(recs, (_, i) => i), json: recs.map((r) => JSON.stringify(r.fields)) };
      while (buildScratch.held > 0) buildScratch.take(1 << 18);
      writeSegment(join(dir.path, 'clean.seg'), src);
      const kept = buildScratch.held;
      assert.ok(kept >= 3, `the seal gave back ${kept} arrays`);
      // Now every free array is full of junk, as if another seal had just used it.
      const junk: Uint32Array[] = [];
      while (buildScratch.held > 0) junk.push(buildScratch.take(1 << 18));
      for (const a of junk) a.fill(0xdeadbeef);
      buildScratch.give(...junk);
      writeSegment(join(dir.path, 'reused.seg'), src);
      assert.ok(readFileSync(join(dir.path, 'reused.seg')).equals(readFileSync(join(dir.path, 'clean.seg'))));
      assert.equal(buildScratch.held, kept, 'the second seal took and gave back the same arrays');
    } finally {
      dir.remove();
    }
  });
});

describe('TypedScratch.takeExact', () => {
  test('hands out views of the length asked, and a view given back serves a larger request later', () => {
    const s = new TypedScratch<Uint32Array>((n) => new Uint32Array(n), 4, 1 << 14);
    const a = s.takeExact(100_000);
    assert.equal(a.length, 100_000);
    s.give(a);
    assert.equal(s.held, 1);
    const b = s.takeExact(104_000);
    assert.equal(b.length, 104_000);
    assert.equal(b.buffer, a.buffer, 'the same memory: made to the next eighth of 2^16 (106,496 elements)');
    s.give(b);
    const c = s.takeExact(120_000);
    assert.notEqual(c.buffer, a.buffer, 'too large for it: a new one');
    assert.equal(s.held, 1);
  });
});

describe('a seal\'s per-doc arrays', () => {
  test('come from pools of their own, go back after the seal, and junk left in them changes no byte', () => {
    const dir = tempDir('scratch-docs');
    try {
      // Out of time order, so the worker's sort moves every record; an `_id` and a number field among them.
      const recs = randomRecords(new Rng(11), 40_000);
      const payload = encodePayload(recs.map((r, i) => ({ ts: r.ts, fieldsJson: JSON.stringify(i % 7 === 0 ? { ...r.fields, _id: `d-${i}` } : r.fields) })));
      const seqs = Float64Array.from(recs, (_, i) => i);
      const seal = (name: string) => run({ kind: 'seal', path: join(dir.path, name), payload: [payload], seqs: seqs.slice().buffer, bigrams: true, patterns: true });
      while (docU32.held > 0) docU32.take(1 << 14);
      while (docF64.held > 0) docF64.take(1 << 13);
      seal('clean.seg');
      const kept = { u32: docU32.held, f64: docF64.held };
      // The worker's order, offsets and sorted copy; each field's ranges and keyword ordinals; the timestamps.
      assert.ok(kept.u32 >= 7, `the seal gave back ${kept.u32} per-doc Uint32Arrays`);
      assert.ok(kept.f64 >= 3, `the seal gave back ${kept.f64} per-doc Float64Arrays`);
      const junkU: Uint32Array[] = [];
      const junkF: Float64Array[] = [];
      while (docU32.held > 0) junkU.push(docU32.take(1 << 14));
      while (docF64.held > 0) junkF.push(docF64.take(1 << 13));
      for (const a of junkU) a.fill(0xdeadbeef);
      for (const a of junkF) a.fill(-1e300);
      docU32.give(...junkU);
      docF64.give(...junkF);
      seal('reused.seg');
      assert.ok(readFileSync(join(dir.path, 'reused.seg')).equals(readFileSync(join(dir.path, 'clean.seg'))));
      assert.deepEqual({ u32: docU32.held, f64: docF64.held }, kept, 'the second seal took and gave back as many');
    } finally {
      dir.remove();
    }
  });
});
