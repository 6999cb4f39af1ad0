import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SegmentReader } from '../segment/reader.ts';
import { tempDir } from '../testing.ts';
import { BuildPool } from './pool.ts';

/** A seal's payload as the log stores it: `ts \t fields JSON \n` per record. */
function payload(messages: string[], first: number): { payload: Buffer; seqs: Float64Array } {
  const text = messages.map((m, i) => `${1_700_000_000_000 + first + i}\t${JSON.stringify({ message: m })}\n`).join('');
  return { payload: Buffer.from(text), seqs: Float64Array.from(messages, (_, i) => first + i) };
}

const until = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('BuildPool', () => {
  test('idle threads exit (so their garbage goes with them), and the pool starts a thread again for the next task', async () => {
    const dir = tempDir('build-pool-idle');
    const pool = new BuildPool(1, 1, { seal: 300, merge: 300 });
    try {
      assert.deepEqual(pool.threads, { seal: 0, merge: 0 }, 'no thread before the first task');
      const a = payload(['alpha one', 'alpha two'], 0);
      // Given as the head's batches are: one payload per batch, joined by the pool.
      const cut = a.payload.indexOf(10) + 1;
      await pool.seal(join(dir.path, 'a.seg'), [a.payload.subarray(0, cut), a.payload.subarray(cut)], a.seqs);
      // In shared memory, as a shard's PayloadArena keeps them: read in place, and left as they were.
      const b = payload(['beta three'], 2);
      const shared = Buffer.from(new SharedArrayBuffer(b.payload.length + 10));
      const view = shared.subarray(5, 5 + b.payload.length);
      b.payload.copy(view);
      await pool.seal(join(dir.path, 'b.seg'), [view], b.seqs);
      assert.deepEqual(Buffer.from(view), b.payload, 'the shared bytes are neither moved nor changed');
      assert.equal(pool.threads.seal, 1, 'the seal ran on a thread');
      await pool.merge(join(dir.path, 'ab.seg'), [join(dir.path, 'a.seg'), join(dir.path, 'b.seg')]);
      assert.equal(pool.threads.merge, 1, 'the merge ran on a thread');
      await until('both pools to be empty', () => pool.threads.seal === 0 && pool.threads.merge === 0);

      // A thread started afresh builds the same as before.
      const c = payload(['gamma four'], 3);
      await pool.seal(join(dir.path, 'c.seg'), [c.payload], c.seqs);
      await pool.merge(join(dir.path, 'abc.seg'), [join(dir.path, 'ab.seg'), join(dir.path, 'c.seg')]);
      const r = SegmentReader.open(join(dir.path, 'abc.seg'));
      try {
        assert.equal(r.docs, 4);
        assert.deepEqual([0, 1, 2, 3].map((d) => JSON.parse(r.docJson(d)).message), ['alpha one', 'alpha two', 'beta three', 'gamma four']);
      } finally {
        r.close();
      }
    } finally {
      await pool.close();
      dir.remove();
    }
  });

  test('counts the CPU time its threads spend on seals and on merges, apart', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const dir = tempDir('build-pool-cpu');
    const pool = new BuildPool(1, 1);
    try {
      assert.deepEqual(pool.cpuSeconds, { seal: 0, merge: 0 });
      const messages = Array.from({ length: 30_000 }, (_, i) => `request ${i} from host-${i % 97} took ${(i * 7919) % 1000} ms`);
      const a = payload(messages, 0);
      await pool.seal(join(dir.path, 'a.seg'), [a.payload], a.seqs);
      const afterSeal = pool.cpuSeconds;
      assert.ok(afterSeal.seal > 0.01, `seal ${afterSeal.seal} s`);
      assert.equal(afterSeal.merge, 0, 'no merge has run');
      const b = payload(messages.slice(0, 1000), 30_000);
      await pool.seal(join(dir.path, 'b.seg'), [b.payload], b.seqs);
      assert.ok(pool.cpuSeconds.seal > afterSeal.seal, 'a second seal adds to the count');
      await pool.merge(join(dir.path, 'ab.seg'), [join(dir.path, 'a.seg'), join(dir.path, 'b.seg')]);
      const afterMerge = pool.cpuSeconds;
      assert.ok(afterMerge.merge > 0.005, `merge ${afterMerge.merge} s`);
      assert.ok(afterMerge.seal > afterSeal.seal);
    } finally {
      await pool.close();
      dir.remove();
    }
  });
});
