import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type Agent, startAgent } from './agent.ts';
import type { AgentConfig } from './config.ts';
import { type Node, LineWriter, searchAll, startNode, tempDir, testConfig, waitFor, waitForAll } from './testing.ts';

/**
 * Rotation as log files live it, with the writer going on meanwhile: rename (by the name the globs match, or
 * through a held handle when they do not), copytruncate, delete and recreate. Each ends with every line found
 * once. The bursts written just before a rotation are written synchronously in this process, where the agent
 * also runs: the agent cannot have read them before the rotation, so each test proves that the old file's rest
 * is read after it.
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines of every file in `dir` whose name starts with `base` (as `wc -l` counts them). */
function linesOnDisk(dir: string, base: string): number {
  return readdirSync(dir)
    .filter((n) => n.startsWith(base))
    .reduce((n, name) => n + readFileSync(join(dir, name), 'utf8').split('\n').length - 1, 0);
}

/** Waits until the agent has read `lines` lines in all. */
const caughtUp = (agent: Agent, lines: number) => waitFor(() => agent.stats().linesRead >= lines, 30_000, `the agent to read ${lines} lines`);

describe('agent: rotation', () => {
  const dir = tempDir('rotation');
  let node: Node;
  const logs: string[] = [];
  const started: Agent[] = [];
  const start = async (cfg: AgentConfig) => {
    const a = await startAgent(cfg, (m) => logs.push(m));
    started.push(a);
    return a;
  };
  before(async () => {
    node = await startNode(join(dir.path, 'node'));
  });
  after(async () => {
    for (const a of started) await a.close();
    await node.close();
    dir.remove();
  });

  for (const glob of ['app.log', 'app.log*']) {
    test(`rename rotation, glob ${glob}: the renamed file is read to its end (the writer still appends to it), then the new one from 0`, async () => {
      const d = join(dir.path, `rename-${glob.length}`);
      mkdirSync(d);
      const index = `rename-${glob.length}`;
      const w = new LineWriter('r', join(d, 'app.log'));
      w.write(100);
      // One batch in flight: the node then stores lines in the order they were read, which the test checks. Small
      // reads and little memory: the rest of a rotated file takes many reads, spread over acknowledgements, which
      // round robin would interleave with the new file's.
      const agent = await start(
        testConfig(join(d, 'registry'), [join(d, glob)], node.url, {
          output: { index, max_in_flight_batches: 1, batch: { max_records: 500, max_bytes: 16_384, max_wait_ms: 50 } },
          input: { read_buffer_bytes: 4096 },
          memory: { max_pending_bytes: 65_536 },
        }),
      );
      for (let round = 1; round <= 4; round++) {
        for (let k = 0; k < 5; k++) {
          w.write(40);
          await pause(15);
        }
        // A file must have been found to be followed: one created and rotated away within a scan is never seen.
        await caughtUp(agent, w.written);
        w.write(3000); // unread when the rotation happens
        for (let n = round - 1; n >= 1; n--) renameSync(join(d, `app.log.${n}`), join(d, `app.log.${n + 1}`));
        renameSync(join(d, 'app.log'), join(d, 'app.log.1'));
        // The writer has not reopened its log yet: it goes on writing into the renamed file for a while.
        w.path = join(d, 'app.log.1');
        w.write(30);
        await pause(40);
        w.write(30);
        w.path = join(d, 'app.log');
        w.create();
        w.write(20);
      }
      const t = await waitForAll(node.url, [w], 60_000, index);
      assert.equal(t.perTag.get('r')!.found, linesOnDisk(d, 'app.log'));
      assert.equal(t.duplicates, 0);
      // In order across the rotations: the old file to its end, then the new one (hits sort by read time, then
      // by arrival).
      const seqs = (await searchAll(node.url, index)).map((h) => Number(h.message.slice(2, 9)));
      const backwards = seqs.findIndex((s, i) => i > 0 && s < seqs[i - 1]);
      assert.equal(backwards, -1, `line ${seqs[backwards]} arrived after line ${seqs[backwards - 1]}`);
      if (glob === 'app.log') {
        // The renamed files are out of the globs: read through the handle, then closed once idle.
        await waitFor(() => agent.files().length === 1, 30_000, 'the rotated files to be closed and dropped');
        assert.equal(agent.files()[0].path, join(d, 'app.log'));
      } else {
        assert.deepEqual(agent.files().map((f) => f.path).sort(), ['app.log', 'app.log.1', 'app.log.2', 'app.log.3', 'app.log.4'].map((n) => join(d, n)));
      }
      await agent.close();
    });
  }

  for (const glob of ['app.log', 'app.log*']) {
    test(`copytruncate, glob ${glob}: the lines not yet read when the file was truncated are read from the copy, and the copy is not read again`, async () => {
      const d = join(dir.path, `copy-${glob.length}`);
      mkdirSync(d);
      const index = `copy-${glob.length}`;
      const w = new LineWriter('c', join(d, 'app.log'));
      w.write(100);
      const agent = await start(testConfig(join(d, 'registry'), [join(d, glob)], node.url, { output: { index } }));
      for (let round = 1; round <= 3; round++) {
        for (let k = 0; k < 5; k++) {
          w.write(40);
          await pause(15);
        }
        await caughtUp(agent, w.written);
        w.write(500); // unread when the copy is truncated
        for (let n = round - 1; n >= 1; n--) renameSync(join(d, `app.log.${n}`), join(d, `app.log.${n + 1}`));
        copyFileSync(join(d, 'app.log'), join(d, 'app.log.1'));
        // With the copy matched by the glob, let scans see it before the truncation, as a slow copy would.
        if (glob !== 'app.log') await pause(250);
        truncateSync(join(d, 'app.log'), 0);
        // The last time, the writer outgrows the old size before the agent looks: only the first bytes tell.
        w.write(round === 3 ? 1500 : 25);
      }
      const t = await waitForAll(node.url, [w], 60_000, index);
      assert.equal(t.perTag.get('c')!.written, w.written);
      assert.equal(t.duplicates, 0, `duplicates: ${JSON.stringify([...t.perTag])}`);
      assert.ok(logs.some((m) => m.includes('reading the rest of its old content from its copy')));
      await agent.close();
    });
  }

  test('delete and recreate while running: the deleted file is read to its end, the new one from 0', async () => {
    const d = join(dir.path, 'recreate');
    mkdirSync(d);
    const path = join(d, 'app.log');
    let w = new LineWriter('g0', path);
    const writers = [w];
    w.write(50);
    const agent = await start(testConfig(join(d, 'registry'), [path], node.url, { output: { index: 'recreate' } }));
    for (let gen = 1; gen <= 4; gen++) {
      await caughtUp(agent, writers.reduce((n, x) => n + x.written, 0));
      w.write(400); // unread when the file is deleted
      unlinkSync(path);
      w = new LineWriter(`g${gen}`, path);
      writers.push(w);
      w.create();
      w.write(10 * gen);
    }
    const t = await waitForAll(node.url, writers, 10_000, 'recreate');
    assert.equal(t.duplicates, 0);
    await agent.close();
  });

  test('delete and recreate while the agent is stopped, on the same inode: the new file is a new identity, read from 0', async () => {
    const d = join(dir.path, 'recreate-stopped');
    mkdirSync(d);
    const path = join(d, 'app.log');
    const old = new LineWriter('s0', path);
    old.write(20);
    const cfg = testConfig(join(d, 'registry'), [path], node.url, { output: { index: 'recreate-stopped' } });
    let agent = await start(cfg);
    await waitForAll(node.url, [old], 30_000, 'recreate-stopped');
    await agent.close();
    let fresh: LineWriter | null = null;
    let sameInode = false;
    // ext4 hands a freed inode to the next file created, mostly; try a few times to get that case.
    for (let k = 0; k < 20 && !sameInode; k++) {
      const ino = statSync(path).ino;
      unlinkSync(path);
      fresh = new LineWriter(`s${k + 1}`, path);
      fresh.create();
      sameInode = statSync(path).ino === ino;
    }
    // More bytes than the old file had: an agent trusting the inode alone would resume inside the new content.
    fresh!.write(60);
    assert.ok(existsSync(path));
    agent = await start(cfg);
    const t = await waitForAll(node.url, [old, fresh!], 30_000, 'recreate-stopped');
    assert.equal(t.duplicates, 0);
    assert.equal(agent.stats().linesRead, 60);
    if (!sameInode) console.log('# the file system gave the recreated file another inode: only the different-inode case was exercised');
    await agent.close();
  });

  test('copytruncate while the agent is stopped: the restarted agent reads the lines it had not read from the copy', async () => {
    const d = join(dir.path, 'copy-stopped');
    mkdirSync(d);
    const w = new LineWriter('cs', join(d, 'app.log'));
    w.write(100);
    const cfg = testConfig(join(d, 'registry'), [join(d, 'app.log')], node.url, { output: { index: 'copy-stopped' } });
    let agent = await start(cfg);
    await waitForAll(node.url, [w], 30_000, 'copy-stopped');
    await agent.close();
    w.write(300); // never read by the first agent
    copyFileSync(join(d, 'app.log'), join(d, 'app.log.1'));
    truncateSync(join(d, 'app.log'), 0);
    w.write(40);
    agent = await start(cfg);
    const t = await waitForAll(node.url, [w], 30_000, 'copy-stopped');
    assert.equal(t.duplicates, 0);
    assert.equal(agent.stats().linesRead, 340, 'the copy is read from where the first agent stopped');
    await agent.close();
  });
});
