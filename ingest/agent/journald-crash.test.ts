import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32Float } from '../../lib/prng.ts';
import { adminFetch, childrenOf, JOURNAL_REMOTE, JournalWriter, type Node, searchAll, spawnAgent, startNode, tempDir, waitFor, TEST_AUTH_YAML } from './testing.ts';

/**
 * `kill -9` of an agent following a journal while entries are appended, at random moments, then a last start:
 * every entry must be found, and found once: what was in flight at a kill is sent again under the same ids (made
 * of the entries' cursors), which the node drops.
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = tempDir('journald-crash');
let node: Node;
before(async () => {
  node = await startNode(join(dir.path, 'node'));
});
after(async () => {
  await node.close();
  dir.remove();
});

test('kill -9 mid-stream, again and again: after a last start every entry is found once', { skip: !existsSync(JOURNAL_REMOTE) && `needs ${JOURNAL_REMOTE}` }, async (t) => {
  const journal = join(dir.path, 'journal');
  mkdirSync(journal);
  const d = { journal, registry: join(dir.path, 'registry') };
  const w = new JournalWriter('k', join(journal, 'x.journal'));
  const config = join(dir.path, 'agent.yaml');
  writeFileSync(
    config,
    `registry: { path: ${JSON.stringify(d.registry)}, write_interval_ms: 30 }
inputs:
  - type: journald
    directory: ${JSON.stringify(d.journal)}
    from: beginning
output:
  urls: [${JSON.stringify(node.url)}]
  auth: ${TEST_AUTH_YAML}
  index: j-crash
  batch: { max_records: 50, max_wait_ms: 20 }
  retry: { initial_backoff_ms: 20, max_backoff_ms: 200 }
heartbeat: { enabled: false }
`,
  );
  const random = mulberry32Float(20261129);
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await w.write(1 + Math.floor(random() * 40));
      await pause(20);
    }
  })();
  const out: string[] = [];
  const kills = 3;
  for (let k = 0; k < kills; k++) {
    const a = spawnAgent(config, out);
    await a.ready;
    await pause(200 + Math.floor(random() * 500));
    // journalctl outlives a killed agent until its next write fails; the test ends it itself.
    const children = childrenOf(a.child.pid!);
    a.child.kill('SIGKILL');
    await a.exited;
    for (const pid of children) process.kill(pid, 'SIGKILL');
  }
  writing = false;
  await writer;
  const last = spawnAgent(config, out);
  t.after(() => last.child.kill('SIGKILL'));
  await waitFor(async () => (await searchAll(node.url, 'j-crash')).length >= w.written, 20_000, `${w.written} entries`).catch((e: Error) => assert.fail(`${e.message}\n${out.join('')}`));
  last.child.kill('SIGTERM');
  assert.equal(await last.exited, 0, out.join(''));
  const hits = new Map<string, number>();
  for (const h of await searchAll(node.url, 'j-crash')) hits.set(h.message, (hits.get(h.message) ?? 0) + 1);
  for (let seq = 0; seq < w.written; seq++) assert.ok(hits.has(w.message(seq)), `${w.message(seq)} missing`);
  const twice = [...hits.values()].filter((c) => c > 1).length;
  const metrics = await (await adminFetch(`${node.url}/metrics`)).text();
  const refused = Number(/strata_ingest_rejected_total\{endpoint="elasticsearch",reason="conflict"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  t.diagnostic(`${w.written} entries written across ${kills} kills, all found; ${twice} stored twice, ${refused} resent and refused by the node as duplicates`);
  assert.equal(twice, 0);
});

