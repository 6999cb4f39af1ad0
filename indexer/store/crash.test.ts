/**
 * kill -9 test with a real node process: a writer posts NDJSON batches of uniquely numbered records and notes
 * which were acknowledged (HTTP 200); at a seeded random moment the node is SIGKILLed (sometimes in the middle of
 * a seal or merge it was asked for) and restarted on the same data dir. Every acknowledged record must be found
 * exactly once; unacknowledged ones may or may not be. A kill -9 keeps the page cache, so this checks the
 * process-level protocol (ack after the log write, replay, manifest commits, orphan cleanup), not fsync; the
 * fsync side is covered by the simulated power loss in indexer/log/append-log.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, tempDir } from '../testing.ts';
import { adminFetch, TEST_ADMIN_PASSWORD } from '../../node/testing.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'strata.js');
const INDEX = 'crash';
const BASE_TS = Date.UTC(2024, 5, 1);
/** Every request has a deadline, so a hung node fails the test instead of hanging it. */
const deadline = () => AbortSignal.timeout(15_000);

interface RunningNode {
  proc: ChildProcess;
  url: string;
  stderr: string[];
  exited: Promise<number | null>;
}

async function startNode(dataDir: string): Promise<RunningNode> {
  // Started outside the repository on purpose: the CLI and its build threads must not depend on the working directory.
  const proc = spawn(process.execPath, [BIN, 'node', '--data-dir', dataDir, '--port', '0'], { cwd: dataDir, env: { ...process.env, STRATA_PASSWORD: TEST_ADMIN_PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`node did not start in 20 s:\n${stderr.join('')}`)), 20_000);
    let buf = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr.push(chunk);
      buf += chunk;
      const m = /node ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`node exited with ${code} before it was ready:\n${stderr.join('')}`));
    });
  });
  return { proc, url, stderr, exited };
}

async function kill9(node: RunningNode): Promise<void> {
  node.proc.kill('SIGKILL');
  await node.exited;
}

interface WriterState {
  next: number;
  /** Ids of records in batches answered 200. */
  acked: Set<number>;
  /** Ids of records ever sent (acknowledged or not). */
  sent: Set<number>;
  batchesAcked: number;
  batchesLost: number;
  flushes: number;
}

/**
 * Several concurrent posters, until the node dies (`fetch` fails) or `stop()` is called. Now and then a flush
 * (seal) or merge is requested without waiting for it, so some kills land mid-seal or mid-merge.
 */
function startWriters(url: string, st: WriterState, rng: Rng, concurrency = 4): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  const one = async () => {
    while (!stopped) {
      const count = rng.int(1, 40);
      const ids = Array.from({ length: count }, () => st.next++);
      const body = ids
        .map((n) => JSON.stringify({ '@timestamp': BASE_TS + Math.floor(n / 7), message: `rec-${n} payload ${rng.pick(['alpha', 'beta', 'gamma'])}`, n }))
        .join('\n');
      for (const n of ids) st.sent.add(n);
      if (rng.chance(0.04)) {
        st.flushes++;
        void adminFetch(`${url}/api/v1/indices/${INDEX}/flush${rng.chance(0.5) ? '?merge=true' : ''}`, { method: 'POST', signal: deadline() }).then((r) => r.arrayBuffer(), () => {});
      }
      try {
        const res = await adminFetch(`${url}/api/v1/indices/${INDEX}/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, signal: deadline() });
        const json = (await res.json()) as { accepted?: number };
        if (res.status === 200) {
          assert.equal(json.accepted, count);
          for (const n of ids) st.acked.add(n);
          st.batchesAcked++;
        } else {
          st.batchesLost++;
        }
      } catch {
        // The node is gone (killed mid-request): this batch is not acknowledged.
        st.batchesLost++;
        return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, one)).then(() => undefined);
  return { stop: () => (stopped = true), done };
}

/** Every record in the index, by paging through a match-all search. */
async function allIds(url: string): Promise<{ ids: number[]; total: number }> {
  const ids: number[] = [];
  let after: string | null = null;
  let total = -1;
  for (;;) {
    const res = await adminFetch(`${url}/api/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ index: INDEX, query: '', size: 10_000, sort: 'asc', search_after: after }),
      signal: deadline(),
    });
    assert.equal(res.status, 200);
    const j = (await res.json()) as { total: number; hits: { n: number; message: string }[]; next: string | null };
    if (total < 0) total = j.total;
    for (const h of j.hits) {
      assert.match(h.message, new RegExp(`^rec-${h.n} `), 'stored content intact');
      ids.push(h.n);
    }
    if (!j.next) break;
    after = j.next;
  }
  return { ids, total };
}

async function verify(url: string, st: WriterState, ctx: string): Promise<number> {
  const { ids, total } = await allIds(url);
  assert.equal(total, ids.length, `${ctx}: total matches the hits paged through`);
  const seen = new Set<number>();
  for (const n of ids) {
    assert.ok(!seen.has(n), `${ctx}: record ${n} found twice`);
    seen.add(n);
    assert.ok(st.sent.has(n), `${ctx}: record ${n} was never sent`);
  }
  const missing = [...st.acked].filter((n) => !seen.has(n));
  assert.deepEqual(missing.slice(0, 20), [], `${ctx}: ${missing.length} acknowledged records lost`);
  // Unique tokens are searchable too: a sample of acknowledged ids, each found exactly once by its token.
  const sample = [...st.acked].slice(-5);
  for (const n of sample) {
    const res = await adminFetch(`${url}/api/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ index: INDEX, query: `"rec-${n}"`, size: 10 }),
      signal: deadline(),
    });
    const j = (await res.json()) as { total: number; hits: { n: number }[] };
    assert.deepEqual(j.hits.map((h) => h.n), [n], `${ctx}: query "rec-${n}"`);
  }
  return ids.length;
}

describe('crash safety of a real node', () => {
  test('kill -9 at random moments loses no acknowledged record (3 kill points)', { timeout: 90_000 }, async (t) => {
    const rng = new Rng(0x9a11);
    const dir = tempDir('crash');
    const st: WriterState = { next: 0, acked: new Set(), sent: new Set(), batchesAcked: 0, batchesLost: 0, flushes: 0 };
    let node: RunningNode | null = null;
    try {
      node = await startNode(dir.path);
      for (let kill = 0; kill < 3; kill++) {
        const w = startWriters(node.url, st, rng);
        // The kill lands at a random moment once writes are flowing (a loaded machine may take a while to answer
        // the first): a kill before anything was acknowledged would prove nothing.
        const acked = st.batchesAcked;
        const until = Date.now() + 30_000;
        while (st.batchesAcked === acked && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, rng.int(300, 1500)));
        await kill9(node);
        w.stop();
        await w.done;
        node = await startNode(dir.path);
        const found = await verify(node.url, st, `after kill ${kill + 1}`);
        assert.ok(found >= st.acked.size);
      }
      // Some more writes after the last restart, then a clean shutdown and one more check.
      const w = startWriters(node.url, st, rng);
      await new Promise((r) => setTimeout(r, 300));
      w.stop();
      await w.done;
      node.proc.kill('SIGTERM');
      assert.equal(await node.exited, 0, node.stderr.join(''));
      node = await startNode(dir.path);
      await verify(node.url, st, 'after a clean restart');
      assert.ok(existsSync(join(dir.path, 'indices', INDEX, 'index.json')));
      t.diagnostic(`records acked ${st.acked.size}, batches acked ${st.batchesAcked}, cut off ${st.batchesLost}, flushes asked ${st.flushes}`);
      // The test only means something if writes were both acknowledged and cut off by the kills.
      assert.ok(st.batchesAcked > 20, `acknowledged batches: ${st.batchesAcked}`);
      assert.ok(st.batchesLost >= 3, `batches cut off by kills: ${st.batchesLost}`);
    } finally {
      if (node && node.proc.exitCode === null && node.proc.signalCode === null) await kill9(node);
      dir.remove();
    }
  });
});
