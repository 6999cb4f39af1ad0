import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32Float } from '../../lib/prng.ts';
import { spawnAgent, startNodeIn, tempDir, TraceWriter, waitForRecords, TEST_AUTH_YAML } from './testing.ts';

/**
 * crash.test.ts with multiline records: `kill -9` at random moments while stack traces are written and joined,
 * one file rotated after each kill. A record being joined at a kill was not committed (the registry stays at the
 * end of the last record acknowledged), so the restarted agent reads it again from its first line: every record
 * must be found, and whole, never a trace cut where a kill fell.
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 while multiline records are shipped: after a restart every record is found, whole', async (t) => {
  const dir = tempDir('ml-crash');
  const node = await startNodeIn(t, dir);
  const logs = join(dir.path, 'logs');
  mkdirSync(logs);
  const random = mulberry32Float(20261130);
  const writers = Array.from({ length: 3 }, (_, i) => new TraceWriter(`c${i}`, join(logs, `f${i}.log`), random));
  for (const w of writers) w.write(50);
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
    multiline: { mode: indent, timeout_ms: 150 }
output:
  urls: [${JSON.stringify(node.url)}]
  index: ml-crash
  auth: ${TEST_AUTH_YAML}
  batch: { max_records: 100, max_wait_ms: 30 }
  retry: { initial_backoff_ms: 20, max_backoff_ms: 200 }
`,
  );
  let writing = true;
  let rotations = 0;
  const writer = (async () => {
    while (writing) {
      writers[Math.floor(random() * writers.length)].write(1 + Math.floor(random() * 15));
      await pause(5);
    }
  })();

  const out: string[] = [];
  const kills = 4;
  for (let k = 0; k < kills; k++) {
    const a = spawnAgent(config, out);
    await a.ready;
    await pause(200 + Math.floor(random() * 600));
    a.child.kill('SIGKILL');
    await a.exited;
    const w = writers[0];
    w.write(20);
    renameSync(w.path, `${w.path}.${++rotations}`);
    writeFileSync(w.path, '');
  }
  writing = false;
  await writer;
  const last = spawnAgent(config, out);
  t.after(() => last.child.kill('SIGKILL'));
  const found = await waitForRecords(node.url, writers, 20_000, 'ml-crash');
  last.child.kill('SIGTERM');
  assert.equal(await last.exited, 0, out.join(''));
  const written = writers.reduce((n, w) => n + w.written, 0);
  t.diagnostic(`${kills} kills, ${rotations} rotations: ${written} records written, all found whole; ${found.duplicates} stored twice`);
  assert.deepEqual(found.wrong, [], 'no record cut or joined wrongly');
  assert.equal(found.missing, 0);
});
