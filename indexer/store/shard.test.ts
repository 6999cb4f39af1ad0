import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildPool } from '../build/pool.ts';
import type { BuildResult } from '../build/tasks.ts';
import type { LogEntry } from '../log/frame.ts';
import { tempDir } from '../testing.ts';
import { compileMatcher } from '../query/match-record.ts';
import { parseQuery } from '../query/parser.ts';
import { searchShard } from '../query/search-shard.ts';
import { HEAD_READ_RECENT_MS, Shard, type ShardOptions } from './shard.ts';

/**
 * A real pool behind a seam that controls when each seal is reported done (or failed), so that a later seal can
 * finish first, as it does when an earlier one is larger or its thread is descheduled.
 */
class GatedPool {
  calls = 0;
  /** The file each seal was asked to write, in call order. */
  paths: string[] = [];
  /** Seals reported done or failed to the shard. */
  reported = 0;
  private releaseFirst!: () => void;
  /** Settles just after the second seal is reported, whichever seal's build ends first. */
  private secondReported = new Promise<void>((ok) => (this.releaseFirst = ok));
  constructor(private real: BuildPool, private plan: { holdFirst?: boolean; failFirst?: boolean; failSecond?: boolean }) {}

  async seal(path: string, payload: readonly Uint8Array[], seqs: Float64Array): Promise<BuildResult> {
    try {
      return await this.gatedSeal(path, payload, seqs);
    } finally {
      this.reported++;
    }
  }

  private async gatedSeal(path: string, payload: readonly Uint8Array[], seqs: Float64Array): Promise<BuildResult> {
    const call = this.calls++;
    this.paths.push(path);
    const result = await this.real.seal(path, payload, seqs);
    if (call === 0 && (this.plan.holdFirst || this.plan.failFirst || this.plan.failSecond)) {
      await this.secondReported;
      if (this.plan.failFirst) throw new Error('simulated build failure');
    }
    if (call === 1) {
      setTimeout(() => this.releaseFirst(), 20);
      // Fails while the first is still held: nothing awaits this seal's outcome yet.
      if (this.plan.failSecond) throw new Error('simulated build failure');
    }
    return result;
  }
  merge(path: string, inputs: string[]): Promise<BuildResult> {
    return this.real.merge(path, inputs);
  }
}

/** Waits until the first two seals have been reported to the shard, and a moment for it to act on them. */
async function bothReported(pool: GatedPool): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (pool.reported < 2 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 10));
  assert.equal(pool.reported, 2, 'both seals reported');
  await new Promise((ok) => setTimeout(ok, 50));
}

function options(dir: string, pool: GatedPool): ShardOptions {
  return {
    dir,
    durability: { mode: 'batch' },
    pool: pool as unknown as BuildPool,
    sealDocs: 10,
    sealBytes: 1 << 30,
    sealAgeMs: 3_600_000,
    maxHeadBytes: 1 << 30,
    sealConcurrency: 2,
    maxLogFileBytes: 1 << 20,
    merge: { minSegments: 1000, maxMergedDocs: 1_000_000 },
    retention: { maxAgeMs: 0, maxBytes: 0 },
    warn: () => {},
  };
}

const batch = (from: number, n: number): { entries: LogEntry[]; fields: Record<string, string>[] } => {
  const fields = Array.from({ length: n }, (_, k) => ({ message: `record ${from + k}` }));
  return { entries: fields.map((f, k) => ({ ts: 1_700_000_000_000 + from + k, fieldsJson: JSON.stringify(f) })), fields };
};

/** Every record, from segments and head, exactly once and intact. */
function assertHoldsExactly(shard: Shard, count: number, ctx: string): void {
  const seen: number[] = [];
  const v = shard.view();
  for (const seg of v.segments) for (let d = 0; d < seg.docs; d++) {
    assert.equal(seg.doc(d).message, `record ${seg.seq[d]}`, ctx);
    seen.push(seg.seq[d]);
  }
  for (const b of v.head) for (let i = 0; i < b.ts.length; i++) seen.push(b.baseOffset + i);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i), ctx);
}

describe('Shard: concurrent seals', () => {
  test('two seals build at once and commit in order, even when the later one finishes first', async () => {
    const dir = tempDir('shard-seal-order');
    const real = new BuildPool(2, 1);
    try {
      const pool = new GatedPool(real, { holdFirst: true });
      const shard = await Shard.open(options(dir.path, pool));
      for (let i = 0; i < 3; i++) {
        const b = batch(i * 10, 10);
        await shard.append(b.entries, b.fields);
      }
      await shard.flush();
      assert.equal(pool.calls, 3, 'three seals of 10');
      const stats = shard.stats();
      assert.deepEqual([stats.segments, stats.headDocs, stats.docs], [3, 0, 30]);
      assertHoldsExactly(shard, 30, 'after flush');
      // Segment order follows offsets: the held first seal still comes first.
      assert.deepEqual(shard.view().segments.map((s) => s.seq[0]), [0, 10, 20]);
      const manifest = JSON.parse(readFileSync(join(dir.path, 'manifest.json'), 'utf8')) as { sealedUpTo: number };
      assert.equal(manifest.sealedUpTo, 30);
      await shard.close();

      const again = await Shard.open(options(dir.path, new GatedPool(real, {})));
      assert.equal(again.stats().headDocs, 0, 'nothing replayed: all sealed');
      assertHoldsExactly(again, 30, 'after restart');
      await again.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });

  test('when a seal fails, the seal after it does not commit; everything is sealed again and nothing is lost', async () => {
    const dir = tempDir('shard-seal-fail');
    const real = new BuildPool(2, 1);
    try {
      const pool = new GatedPool(real, { failFirst: true });
      const warnings: string[] = [];
      const shard = await Shard.open({ ...options(dir.path, pool), warn: (m) => warnings.push(m) });
      for (let i = 0; i < 2; i++) {
        const b = batch(i * 10, 10);
        await shard.append(b.entries, b.fields);
      }
      // The second seal finished while the first was failing: it must not commit over the gap. (Both batches are
      // due again, so the shard's next tick may already have sealed them anew, into other files.)
      await bothReported(pool);
      assertHoldsExactly(shard, 20, 'after the failure');
      const committed = shard.view().segments.map((g) => g.path);
      assert.ok(!committed.includes(pool.paths[1]), 'no segment committed past a failed one');
      assert.ok(warnings.some((w) => /simulated build failure/.test(w)), warnings.join('\n'));
      await shard.flush();
      assert.deepEqual([shard.stats().headDocs, shard.stats().docs], [0, 20]);
      assertHoldsExactly(shard, 20, 'after sealing again');
      await shard.close();
      const again = await Shard.open(options(dir.path, new GatedPool(real, {})));
      assertHoldsExactly(again, 20, 'after restart');
      await again.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

describe('Shard: a later seal failing first', () => {
  test('does not crash the process; the earlier seal commits, the failed records stay searchable and are sealed again', async () => {
    const dir = tempDir('shard-seal-fail2');
    const real = new BuildPool(2, 1);
    try {
      const pool = new GatedPool(real, { failSecond: true });
      const warnings: string[] = [];
      const shard = await Shard.open({ ...options(dir.path, pool), warn: (m) => warnings.push(m) });
      for (let i = 0; i < 2; i++) {
        const b = batch(i * 10, 10);
        await shard.append(b.entries, b.fields);
      }
      await bothReported(pool);
      assert.ok(shard.stats().segments >= 1, 'the first seal committed');
      assertHoldsExactly(shard, 20, 'after the failure');
      // The failed batch is due, so it is sealed again at the shard's next tick, with no append or flush to prompt it.
      await until('the failed records sealed again', () => shard.stats().segments === 2);
      assert.ok(warnings.some((w) => /simulated build failure/.test(w)), warnings.join('\n'));
      assert.equal(shard.stats().lastError, null, 'cleared by the seal that succeeded');
      await shard.flush();
      assert.deepEqual([shard.stats().segments, shard.stats().headDocs], [2, 0]);
      assertHoldsExactly(shard, 20, 'after sealing again');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

/** A real pool whose first `failures` seals fail, as seals do on a full disk. */
class FailingPool {
  calls = 0;
  reported = 0;
  constructor(private real: BuildPool, private failures: number) {}
  async seal(path: string, payload: readonly Uint8Array[], seqs: Float64Array): Promise<BuildResult> {
    try {
      if (this.calls++ < this.failures) throw new Error('simulated disk full');
      return await this.real.seal(path, payload, seqs);
    } finally {
      this.reported++;
    }
  }
  merge(path: string, inputs: string[]): Promise<BuildResult> {
    return this.real.merge(path, inputs);
  }
}

describe('Shard: failed seals back off', () => {
  test('after a failure the next background seal waits 1 s, then 2 s after another; appends do not hurry it', async () => {
    const dir = tempDir('shard-seal-backoff');
    const real = new BuildPool(1, 1);
    let clock = 1_000_000;
    const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
    try {
      const pool = new FailingPool(real, 2);
      const opts = { ...options(dir.path, pool as unknown as GatedPool), sealConcurrency: 1, now: () => clock };
      const shard = await Shard.open(opts);
      const a = batch(0, 10);
      await shard.append(a.entries, a.fields);
      await until('the first seal failed', () => pool.reported === 1);
      // Due all along: the shard's ticks (every 250 ms) and an append would start a seal but for the backoff.
      clock += 900;
      const b = batch(10, 10);
      await shard.append(b.entries, b.fields);
      await sleep(700);
      assert.equal(pool.calls, 1, 'no retry within 1 s of the failure');
      clock += 100;
      await until('retried once 1 s has passed', () => pool.calls === 2);
      await until('the second seal failed', () => pool.reported === 2);
      clock += 1_900;
      await sleep(700);
      assert.equal(pool.calls, 2, 'no retry within 2 s of the second failure');
      clock += 100;
      await until('retried once 2 s have passed', () => shard.stats().segments > 0);
      await shard.flush();
      assert.deepEqual([shard.stats().headDocs, shard.stats().lastError], [0, null]);
      assertHoldsExactly(shard, 20, 'sealed once the failures stopped');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

describe('Shard: pages across segments', () => {
  test('records with one timestamp in several segments page by offset, both orders, one term or any query', async () => {
    const dir = tempDir('shard-ties');
    const real = new BuildPool(1, 1);
    try {
      const shard = await Shard.open(options(dir.path, new GatedPool(real, {})));
      for (let i = 0; i < 4; i++) {
        const fields = Array.from({ length: 10 }, (_, k) => ({ message: `same time ${i * 10 + k}` }));
        await shard.append(fields.map((f) => ({ ts: 1_700_000_000_000, fieldsJson: JSON.stringify(f) })), fields);
      }
      await shard.flush();
      assert.equal(shard.stats().segments, 4);
      for (const text of ['same', '*', 'same AND time']) {
        const query = parseQuery(text);
        for (const order of ['desc', 'asc'] as const) {
          const r = searchShard(shard.view(), { query, matcher: compileMatcher(query), fromMs: -Infinity, toMs: Infinity, size: 5, order, after: null, collectors: [] });
          assert.equal(r.total, 40, `${text} ${order}: total`);
          const want = order === 'desc' ? [39, 38, 37, 36, 35] : [0, 1, 2, 3, 4];
          assert.deepEqual(r.hits.map((h) => h.seq), want, `${text} ${order}: hits`);
        }
      }
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

/** A real pool whose seals numbered in `hold` wait, once built, for `release(n)`; it counts merges asked for. */
class HoldingPool {
  seals = 0;
  merges = 0;
  /** Merges asked for while some seal was building or held. */
  mergesWhileSealing = 0;
  /** Seals built and waiting for their release. */
  held = 0;
  private sealing = 0;
  private gates = new Map<number, { wait: Promise<void>; open: () => void }>();
  constructor(private real: BuildPool, hold: number[]) {
    for (const n of hold) {
      let open!: () => void;
      const wait = new Promise<void>((ok) => (open = ok));
      this.gates.set(n, { wait, open });
    }
  }
  release(n: number): void {
    this.gates.get(n)!.open();
  }
  async seal(path: string, payload: readonly Uint8Array[], seqs: Float64Array): Promise<BuildResult> {
    const gate = this.gates.get(this.seals++);
    this.sealing++;
    try {
      const r = await this.real.seal(path, payload, seqs);
      if (gate) {
        this.held++;
        await gate.wait;
        this.held--;
      }
      return r;
    } finally {
      this.sealing--;
    }
  }
  merge(path: string, inputs: string[]): Promise<BuildResult> {
    this.merges++;
    if (this.sealing > 0) this.mergesWhileSealing++;
    return this.real.merge(path, inputs);
  }
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond() && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 10));
  assert.ok(cond(), what);
}

describe('Shard: merges yield to seals', () => {
  test('no merge starts while a seal builds, until segments pile up past four tiers; then they merge anyway', async () => {
    const dir = tempDir('shard-merge-yield');
    const real = new BuildPool(2, 1);
    try {
      // Two segments make a tier, so a merge is due from the second seal on. Seals 2 and 3 build at once and are
      // held; releasing seal 2 commits the second segment while seal 3 still builds: the merge must wait for it
      // (the shard's own tick comes every 250 ms; it gets several).
      const pool = new HoldingPool(real, [1, 2]);
      const opts = { ...options(dir.path, pool as unknown as GatedPool), merge: { minSegments: 2, maxMergedDocs: 1_000_000 } };
      const shard = await Shard.open(opts);
      const add = async (i: number) => {
        const b = batch(i * 10, 10);
        await shard.append(b.entries, b.fields);
      };
      await add(0);
      await until('seal 1 committed', () => shard.stats().segments === 1);
      await add(1);
      await until('seal 2 built and held', () => pool.held === 1);
      await add(2);
      await until('seal 3 built and held', () => pool.held === 2);
      pool.release(1);
      await until('seal 2 committed', () => shard.stats().segments === 2);
      await new Promise((ok) => setTimeout(ok, 800));
      assert.equal(pool.merges, 0, 'no merge while seal 3 builds');
      pool.release(2);
      await until('the merge starts once no seal builds', () => pool.merges > 0);
      await shard.flush();
      assertHoldsExactly(shard, 30, 'after the merge');
      await shard.close();

      // A backlog: 8 segments (4 tiers of 2) already waiting, and a seal building: the merge goes ahead.
      const dir2 = tempDir('shard-merge-backlog');
      try {
        const pool2 = new HoldingPool(real, []);
        const shard2 = await Shard.open({ ...opts, dir: dir2.path, pool: pool2 as unknown as BuildPool, merge: { minSegments: 1000, maxMergedDocs: 1_000_000 } });
        for (let i = 0; i < 8; i++) {
          const c = batch(i * 10, 10);
          await shard2.append(c.entries, c.fields);
          await until(`seal ${i + 1} committed`, () => shard2.stats().segments === i + 1);
        }
        await shard2.close();
        const pool3 = new HoldingPool(real, [0]);
        const shard3 = await Shard.open({ ...opts, dir: dir2.path, pool: pool3 as unknown as BuildPool });
        const c = batch(80, 10);
        await shard3.append(c.entries, c.fields);
        await until('a merge starts with 8 segments waiting, though a seal builds', () => pool3.mergesWhileSealing > 0);
        pool3.release(0);
        await shard3.flush();
        assertHoldsExactly(shard3, 90, 'after the backlog merge');
        await shard3.close();
      } finally {
        dir2.remove();
      }
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

describe('Shard: compaction of sealed segments', () => {
  test('a sealed segment no merge takes is rewritten compact 30 s after its seal once nothing waits to be sealed; flush compacts at once', async () => {
    const dir = tempDir('shard-compact');
    const real = new BuildPool(1, 1);
    try {
      let clock = 1_000_000;
      const pool = new HoldingPool(real, []);
      const shard = await Shard.open({ ...options(dir.path, pool as unknown as GatedPool), now: () => clock });
      const joined = () => shard.view().segments.map((r) => r.storedJoined);
      const a = batch(0, 10);
      await shard.append(a.entries, a.fields);
      await until('seal 1 committed', () => shard.stats().segments === 1);
      assert.deepEqual(joined(), [true], 'a seal stores its records joined');
      // A record appended but not sealed (sealDocs is 10) holds compaction back, however old the segment.
      const b = batch(10, 5);
      await shard.append(b.entries, b.fields);
      clock += 60_000;
      await new Promise((ok) => setTimeout(ok, 700));
      assert.equal(pool.merges, 0, 'no compaction while the head holds records to seal');
      const c = batch(15, 5);
      await shard.append(c.entries, c.fields);
      await until('seal 2 committed', () => shard.stats().segments === 2);
      clock += 29_000;
      await until('the first segment, sealed long ago, is compacted', () => joined().includes(false));
      await new Promise((ok) => setTimeout(ok, 700));
      assert.equal(pool.merges, 1, 'the second, sealed 29 s ago, not yet');
      assert.deepEqual(joined().sort(), [false, true]);
      clock += 1_000;
      await until('the second is compacted 30 s after its seal', () => pool.merges === 2 && joined().every((j) => !j));
      assertHoldsExactly(shard, 20, 'after compaction');
      const d = batch(20, 10);
      await shard.append(d.entries, d.fields);
      await until('seal 3 committed', () => shard.stats().segments === 3);
      await shard.flush();
      assert.deepEqual(joined(), [false, false, false], 'flush compacts what the background would');
      assertHoldsExactly(shard, 30, 'after flush');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

describe('Shard: failed merges back off', () => {
  test('a compaction that fails is tried again after 1 s, then 2 s after another failure, not on every tick', async () => {
    const dir = tempDir('shard-merge-backoff');
    const real = new BuildPool(1, 1);
    try {
      let clock = 1_000_000;
      let merges = 0;
      const pool = {
        seal: (path: string, payload: readonly Uint8Array[], seqs: Float64Array) => real.seal(path, payload, seqs),
        merge: async () => {
          merges++;
          throw new Error('simulated merge failure');
        },
      };
      const warnings: string[] = [];
      const shard = await Shard.open({ ...options(dir.path, pool as unknown as GatedPool), now: () => clock, warn: (w) => warnings.push(w) });
      const a = batch(0, 10);
      await shard.append(a.entries, a.fields);
      await until('seal 1 committed', () => shard.stats().segments === 1);
      clock += 30_000;
      await until('the compaction is tried', () => merges === 1);
      // Ticks come every 250 ms: without the backoff each would try again.
      await new Promise((ok) => setTimeout(ok, 800));
      assert.equal(merges, 1, 'no retry before 1 s has passed');
      clock += 1_000;
      await until('tried again after 1 s', () => merges === 2);
      clock += 1_000;
      await new Promise((ok) => setTimeout(ok, 800));
      assert.equal(merges, 2, 'then not before 2 s');
      clock += 1_000;
      await until('tried again after 2 s', () => merges === 3);
      assert.ok(warnings.some((w) => /simulated merge failure/.test(w)), warnings.join('\n'));
      assertHoldsExactly(shard, 10, 'the records stay in their sealed segment');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

describe('Shard: a full head', () => {
  // Every batch of 10 records is a seal's worth (sealDocs 10) and over the head's cap (about 200 bytes a batch).
  /** A shard whose head is full: its first batch is appended and that batch's seal is built and held. */
  const fullHead = async (dir: string, real: BuildPool, headFullWaitMs: number) => {
    const pool = new HoldingPool(real, [0]);
    const shard = await Shard.open({ ...options(dir, pool as unknown as GatedPool), sealConcurrency: 1, maxHeadBytes: 100, headFullWaitMs });
    const a = batch(0, 10);
    await shard.append(a.entries, a.fields);
    await until('seal 1 built and held', () => pool.held === 1);
    return { pool, shard };
  };

  test('a seal that came due while every build thread was busy starts when one frees, with no append to prompt it', async () => {
    const dir = tempDir('shard-seal-next');
    const real = new BuildPool(1, 1);
    try {
      const pool = new HoldingPool(real, [0]);
      // One build thread, no age limit in reach, no head cap: only the seals' own progress can seal batch 2.
      const shard = await Shard.open({ ...options(dir.path, pool as unknown as GatedPool), sealConcurrency: 1 });
      for (let i = 0; i < 2; i++) {
        const b = batch(i * 10, 10);
        await shard.append(b.entries, b.fields);
      }
      await until('seal 1 built and held', () => pool.held === 1);
      assert.equal(pool.seals, 1, 'batch 2 waits for the thread');
      pool.release(0);
      await until('batch 2 sealed without another append', () => shard.stats().segments === 2);
      assert.equal(shard.stats().headDocs, 0);
      assertHoldsExactly(shard, 20, 'both sealed');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });

  test('an append waits for a seal to make room, and is stored once it does', async () => {
    const dir = tempDir('shard-head-wait');
    const real = new BuildPool(1, 1);
    try {
      const { pool, shard } = await fullHead(dir.path, real, 30_000);
      const b = batch(10, 10);
      let settled = false;
      const second = shard.append(b.entries, b.fields).finally(() => (settled = true));
      await new Promise((ok) => setTimeout(ok, 300));
      assert.equal(settled, false, 'held while the head is full');
      pool.release(0);
      const r = await second;
      assert.deepEqual(r.offsets, Array.from({ length: 10 }, (_, i) => 10 + i));
      await shard.flush();
      assertHoldsExactly(shard, 20, 'the held batch was stored');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });

  test('with no room within headFullWaitMs (or at once with 0) the append is refused as overloaded and nothing of it is stored', async () => {
    const real = new BuildPool(1, 1);
    try {
      for (const waitMs of [0, 400]) {
        const dir = tempDir('shard-head-full');
        try {
          const { pool, shard } = await fullHead(dir.path, real, waitMs);
          const b = batch(10, 10);
          const t0 = performance.now();
          await assert.rejects(shard.append(b.entries, b.fields), (e: unknown) => (e as { code?: string }).code === 'overloaded');
          assert.ok(performance.now() - t0 >= waitMs - 5, `refused after ${(performance.now() - t0).toFixed(0)} ms, wait ${waitMs} ms`);
          pool.release(0);
          await shard.flush();
          assertHoldsExactly(shard, 10, `wait ${waitMs} ms: only the first batch`);
          await shard.close();
        } finally {
          dir.remove();
        }
      }
    } finally {
      await real.close();
    }
  });

  test('closing the shard wakes a waiting append, which is refused as shutting down', async () => {
    const dir = tempDir('shard-head-close');
    const real = new BuildPool(1, 1);
    try {
      const { pool, shard } = await fullHead(dir.path, real, 60_000);
      const b = batch(10, 10);
      const t0 = performance.now();
      const second = shard.append(b.entries, b.fields);
      await new Promise((ok) => setTimeout(ok, 100));
      const closing = shard.close();
      await assert.rejects(second, (e: unknown) => (e as { code?: string }).code === 'shutting_down');
      assert.ok(performance.now() - t0 < 30_000, 'not held for the whole wait');
      pool.release(0);
      await closing;
    } finally {
      await real.close();
      dir.remove();
    }
  });
});

describe('Shard: the head keeps parsed fields only while it is searched', () => {
  test('batches appended without a search lately are parsed when read; those appended while searches come in keep the ingest objects', async () => {
    const dir = tempDir('shard-head-fields');
    const real = new BuildPool(1, 1);
    let clock = 1_000_000;
    try {
      const shard = await Shard.open({ ...options(dir.path, new GatedPool(real, {})), sealDocs: 1000, now: () => clock });
      const a = batch(0, 3);
      await shard.append(a.entries, a.fields);
      // The first search parses batch a from its payload: equal records, not the objects ingest made.
      const first = shard.view().head[0].fields;
      assert.deepEqual(first, a.fields);
      assert.notEqual(first[0], a.fields[0]);
      const b = batch(3, 3);
      await shard.append(b.entries, b.fields);
      assert.equal(shard.view().head[1].fields[0], b.fields[0], 'searched a moment ago: the ingest objects are kept');
      clock += HEAD_READ_RECENT_MS + 1;
      const c = batch(6, 3);
      await shard.append(c.entries, c.fields);
      const third = shard.view().head[2].fields;
      assert.deepEqual(third, c.fields);
      assert.notEqual(third[0], c.fields[0], 'no search for a minute: parsed again when read');
      // Searched again (just above), and a batch comes whose decoder did not keep some objects (null): the head
      // parses that batch when read rather than keep holes.
      assert.equal(shard.wantsFields(), true);
      const d = batch(9, 3);
      await shard.append(d.entries, [d.fields[0], null, d.fields[2]]);
      assert.deepEqual(shard.view().head[3].fields, d.fields);
      clock += HEAD_READ_RECENT_MS + 1;
      assert.equal(shard.wantsFields(), false, 'a minute without searches');
      await shard.close();
    } finally {
      await real.close();
      dir.remove();
    }
  });
});
