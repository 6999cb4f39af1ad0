import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, randomRecords, tempDir } from '../testing.ts';
import { buildScratch, U32Scratch } from './scratch.ts';
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
