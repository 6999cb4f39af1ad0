import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fields } from '../../lib/record.ts';
import { BuildPool } from '../build/pool.ts';
import type { LogEntry } from '../log/frame.ts';
import { FaultyFileSystem, tempDir } from '../testing.ts';
import { type AppendResult, Shard, type ShardOptions } from './shard.ts';

/** `_id` uniqueness of one shard across its head, sealed and merged segments, restarts and concurrent appends. */

function options(dir: string, pool: BuildPool, extra: Partial<ShardOptions> = {}): ShardOptions {
  return {
    dir,
    durability: { mode: 'batch' },
    pool,
    // Nothing seals or merges on its own: each test decides where its records are.
    sealDocs: 1_000_000,
    sealBytes: 1 << 30,
    sealAgeMs: 3_600_000,
    maxHeadBytes: 1 << 30,
    sealConcurrency: 1,
    maxLogFileBytes: 1 << 20,
    merge: { minSegments: 1000, maxMergedDocs: 1_000_000 },
    retention: { maxAgeMs: 0, maxBytes: 0 },
    warn: () => {},
    ...extra,
  };
}

/** Records with these ids (null: none), each with a distinct message. */
function recs(ids: (string | null)[], tag: string): { entries: LogEntry[]; fields: Fields[] } {
  const fields = ids.map((id, k): Fields => (id === null ? { message: `${tag} ${k}` } : { _id: id, message: `${tag} ${k}` }));
  return { entries: fields.map((f, k) => ({ ts: 1_700_000_000_000 + k, fieldsJson: JSON.stringify(f) })), fields };
}

async function append(shard: Shard, ids: (string | null)[], tag: string): Promise<AppendResult> {
  const r = recs(ids, tag);
  return shard.append(r.entries, r.fields);
}

/** Every stored record's message by offset, from segments and head. */
function contents(shard: Shard): Map<number, string> {
  const out = new Map<number, string>();
  const v = shard.view();
  for (const seg of v.segments) for (let d = 0; d < seg.docs; d++) out.set(seg.seq[d], String(seg.doc(d).message));
  for (const b of v.head) b.fields.forEach((f, i) => out.set(b.baseOffset + i, String(f.message)));
  return out;
}

async function withShard(name: string, fn: (open: (extra?: Partial<ShardOptions>) => Promise<Shard>) => Promise<void>): Promise<void> {
  const dir = tempDir(name);
  const pool = new BuildPool(1, 1);
  const open: Shard[] = [];
  try {
    await fn(async (extra) => {
      const s = await Shard.open(options(dir.path, pool, extra));
      open.push(s);
      return s;
    });
  } finally {
    for (const s of open) await s.close().catch(() => {});
    await pool.close();
    dir.remove();
  }
}

describe('Shard: record ids', () => {
  test('in the head: an existing id is a conflict pointing at its holder; the first of a batch wins', async () => {
    await withShard('ids-head', async (open) => {
      const shard = await open();
      const first = await append(shard, ['a', 'b', null, 'c'], 'first');
      assert.deepEqual(first, { offsets: [0, 1, 2, 3], conflicts: [] });
      const second = await append(shard, ['b', 'd', 'd', null, 'a', 'e'], 'second');
      assert.deepEqual(second.conflicts, [0, 2, 4]);
      // Conflicts point at the record holding the id: an earlier append's, or the batch's own first.
      assert.deepEqual(second.offsets, [1, 4, 4, 5, 0, 6]);
      assert.equal(shard.stats().docs, 7);
      assert.deepEqual([...contents(shard).values()], ['first 0', 'first 1', 'first 2', 'first 3', 'second 1', 'second 3', 'second 5']);
      // Several ids repeated within one batch, each pointing at its own first; `e` and `d` were stored after
      // conflicts of their batch, at offsets those conflicts did not take.
      assert.deepEqual(await append(shard, ['p', 'p', 'q', 'b', 'q', 'p', 'e', 'd'], 'third'), { offsets: [7, 7, 8, 1, 8, 7, 6, 4], conflicts: [1, 3, 4, 5, 6, 7] });
      // Records without ids are never conflicts, however alike.
      assert.deepEqual((await append(shard, [null, null], 'first')).conflicts, []);
    });
  });

  test('a batch of nothing but conflicts writes nothing', async () => {
    await withShard('ids-allconflict', async (open) => {
      const shard = await open();
      await append(shard, ['x', 'y'], 'one');
      const next = shard.stats().nextOffset;
      assert.deepEqual(await append(shard, ['y', 'x', 'y'], 'two'), { offsets: [1, 0, 1], conflicts: [0, 1, 2] });
      assert.equal(shard.stats().nextOffset, next);
    });
  });

  test('sealed, merged, and after restarts (head replayed from the log, segments reopened)', async () => {
    await withShard('ids-sealed', async (open) => {
      let shard = await open();
      const ids = (from: number, n: number) => Array.from({ length: n }, (_, k) => `rec-${from + k}`);
      // Three sealed segments of 50, then 20 records left in the head.
      for (let s = 0; s < 3; s++) {
        await append(shard, ids(s * 50, 50), `seg${s}`);
        await shard.flush();
      }
      await append(shard, ids(150, 20), 'head');
      assert.deepEqual([shard.stats().segments, shard.stats().headDocs], [3, 20]);
      const check = async (where: string) => {
        // One id from each segment and one from the head, plus a new one; offsets as first assigned.
        const r = await append(shard, ['rec-10', 'rec-60', 'rec-149', 'rec-160', `new-${where}`], `retry ${where}`);
        assert.deepEqual(r.conflicts, [0, 1, 2, 3], where);
        assert.deepEqual(r.offsets.slice(0, 4), [10, 60, 149, 160], where);
      };
      await check('sealed');

      await shard.close();
      shard = await open();
      assert.ok(shard.stats().headDocs > 0, 'the head was replayed');
      await check('restarted');

      await shard.mergeAll();
      assert.deepEqual([shard.stats().segments, shard.stats().headDocs], [1, 0]);
      await check('merged');
      // Ids stored before the merge (`new-sealed`, `new-restarted`) are in the merged segment too.
      assert.deepEqual((await append(shard, ['new-sealed', 'new-restarted'], 'again')).conflicts, [0, 1]);

      await shard.close();
      shard = await open();
      await check('merged-restarted');
      assert.equal(shard.stats().docs, 170 + 4);
    });
  });

  test('past the filter\'s first size, rebuilt from segments and head, no stored id is missed', async () => {
    await withShard('ids-many', async (open) => {
      let shard = await open();
      const ids = (b: number) => Array.from({ length: 2000 }, (_, k) => `agent-${k % 9}/var/log/app.log:${(b * 2000 + k) * 97}`);
      // 24k ids: the first filter holds about 6.5k, so it is rebuilt while records move from head to segments.
      for (let b = 0; b < 12; b++) {
        assert.deepEqual((await append(shard, ids(b), `b${b}`)).conflicts, []);
        if (b % 4 === 3) await shard.flush();
      }
      assert.ok(shard.stats().segments === 3 && shard.stats().headDocs === 0);
      const all = (r: AppendResult) => r.conflicts.length === 2000;
      for (let b = 0; b < 12; b++) assert.ok(all(await append(shard, ids(b), 'again')), `batch ${b}`);
      await shard.close();
      shard = await open();
      for (let b = 0; b < 12; b += 5) assert.ok(all(await append(shard, ids(b), 'after restart')), `batch ${b} after restart`);
      assert.equal(shard.stats().docs, 24_000);
    });
  });

  test('concurrent appends with the same id: exactly one stores it, the others see its offset', async () => {
    await withShard('ids-concurrent', async (open) => {
      const shard = await open();
      const results = await Promise.all(Array.from({ length: 12 }, (_, k) => append(shard, [`own-${k}`, 'shared', `own-${k}b`], `req${k}`)));
      const winners = results.filter((r) => !r.conflicts.includes(1));
      assert.equal(winners.length, 1);
      const at = winners[0].offsets[1];
      for (const r of results) {
        assert.equal(r.offsets[1], at);
        assert.ok(!r.conflicts.includes(0) && !r.conflicts.includes(2), 'unique ids are stored');
      }
      assert.equal(shard.stats().docs, 12 * 2 + 1);
      assert.equal([...contents(shard).values()].filter((m) => m.endsWith(' 1')).length, 1);
    });
  });

  test('a failed append releases its ids: a concurrent append waiting on them stores them instead', async () => {
    const fs = new FaultyFileSystem();
    await withShard('ids-release', async (open) => {
      const shard = await open({ fs });
      await append(shard, ['warm'], 'warm');
      fs.failNextAppend(0, 'ENOSPC');
      const failing = append(shard, ['z', 'y'], 'fails');
      // Started while the first holds `z`: it must wait for that outcome, not answer "exists".
      const waiting = append(shard, ['z'], 'waits');
      await assert.rejects(failing, /ENOSPC/);
      const w = await waiting;
      assert.deepEqual(w.conflicts, []);
      assert.deepEqual((await append(shard, ['y', 'z'], 'later')).conflicts, [1]);
      assert.deepEqual([...contents(shard).values()], ['warm 0', 'waits 0', 'later 0']);
    });
  });
});
