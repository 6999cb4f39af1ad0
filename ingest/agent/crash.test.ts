import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32Float } from '../../lib/prng.ts';
import { adminFetch, LineWriter, spawnAgent, startNodeIn, tempDir, waitForAll, TEST_AUTH_YAML } from './testing.ts';

/**
 * `kill -9` of the agent at random moments while lines are written, then a last start: every line must be found.
 * After each kill one file is rotated (renamed out of the glob, recreated) while the agent is down: the restarted
 * agent must find the renamed file by its inode and read its rest. What may repeat is bounded by the batches in
 * flight at each kill, and the node drops those by `_id` once it deduplicates; the count of repeats is reported.
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 at random moments while lines are written: after a restart every line is found', async (t) => {
  const dir = tempDir('crash');
  const node = await startNodeIn(t, dir);
  const logs = join(dir.path, 'logs');
  const writers = Array.from({ length: 4 }, (_, i) => new LineWriter(`k${i}`, join(logs, `f${i}.log`)));
  mkdirSync(logs);
  for (const w of writers) w.write(100);
  const config = join(dir.path, 'agent.yaml');
  writeFileSync(
    config,
    `registry: { path: ${JSON.stringify(join(dir.path, 'registry'))}, write_interval_ms: 50 }
inputs:
  - type: file
    paths: [${JSON.stringify(join(logs, '*.log'))}]
    scan_interval_ms: 100
    poll_interval_ms: 20
    close_inactive_ms: 500
output:
  urls: [${JSON.stringify(node.url)}]
  auth: ${TEST_AUTH_YAML}
  index: crash
  batch: { max_records: 200, max_wait_ms: 30 }
  retry: { initial_backoff_ms: 20, max_backoff_ms: 200 }
`,
  );
  const random = mulberry32Float(20261129);
  let writing = true;
  let rotations = 0;
  const rotate = () => {
    const w = writers[0];
    renameSync(w.path, `${w.path}.${++rotations}`);
    w.create();
  };
  const writer = (async () => {
    while (writing) {
      writers[Math.floor(random() * writers.length)].write(1 + Math.floor(random() * 40));
      await pause(5);
    }
  })();

  const out: string[] = [];
  const kills = 5;
  for (let k = 0; k < kills; k++) {
    const a = spawnAgent(config, out);
    await a.ready;
    await pause(Math.floor(random() * 700));
    a.child.kill('SIGKILL');
    await a.exited;
    writers[0].write(50);
    rotate();
  }
  writing = false;
  await writer;
  const last = spawnAgent(config, out);
  t.after(() => last.child.kill('SIGKILL'));
  const found = await waitForAll(node.url, writers, 90_000, 'crash');
  last.child.kill('SIGTERM');
  assert.equal(await last.exited, 0, out.join(''));
  const written = writers.reduce((n, w) => n + w.written, 0);
  // Records sent again after a kill that the node already had: stored twice before it deduplicates by `_id`,
  // answered 409 (and counted as a conflict) once it does.
  const metrics = await (await adminFetch(`${node.url}/metrics`)).text();
  const refused = Number(/strata_ingest_rejected_total\{endpoint="elasticsearch",reason="conflict"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  t.diagnostic(`${kills} kills, ${rotations} rotations: ${written} lines written, all found; ${found.duplicates} stored twice, ${refused} resent and refused by the node as duplicates`);
  assert.equal(found.missing, 0);
});
