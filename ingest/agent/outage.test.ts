import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent } from './agent.ts';
import { LineWriter, nodeSlot, tempDir, testConfig, waitFor, waitForAll } from './testing.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KiB = 1024;

test('the node down for a while, then back: the agent stops reading at its memory bound, and every line arrives', async (t) => {
  const dir = tempDir('outage');
  const nodes = nodeSlot(t, dir);
  let node = await nodes.start();
  const port = node.port;
  const w = new LineWriter('o', join(dir.path, 'app.log'));
  w.write(1000);
  const maxPending = 256 * KiB;
  const logs: string[] = [];
  const agent = await startAgent(
    testConfig(join(dir.path, 'registry'), [w.path], node.url, { output: { index: 'outage', batch: { max_bytes: 64 * KiB, max_records: 200 } }, memory: { max_pending_bytes: maxPending } }),
    (m) => logs.push(m),
  );
  nodes.closeFirst(agent);
  await waitForAll(node.url, [w], 10_000, 'outage');
  await node.close();

  // Far more than the memory bound while the node is away (20,000 lines are about 4 MB of records).
  for (let k = 0; k < 10; k++) {
    w.write(2000);
    await pause(30);
  }
  await waitFor(() => agent.stats().failedRequests >= 3, 5000, 'retries against the absent node');
  await pause(300);
  const stats = agent.stats();
  const file = agent.files()[0];
  // One record past the bound at most: the reader stops after the line that reached it.
  const oneRecord = 400;
  assert.ok(stats.peakPendingBytes <= maxPending + oneRecord, `peak ${stats.peakPendingBytes} bytes pending, bound ${maxPending}`);
  assert.ok(file.readOffset < statSync(w.path).size / 2, `read ${file.readOffset} of ${statSync(w.path).size} bytes: reading stopped`);
  assert.ok(logs.some((m) => /output: POST .*\/_bulk: .*ECONNREFUSED/.test(m)), logs.join('\n'));

  node = await nodes.start(port);
  const found = await waitForAll(node.url, [w], 20_000, 'outage');
  t.diagnostic(`peak pending ${stats.peakPendingBytes} bytes (bound ${maxPending}); lines ${w.written}, found ${found.perTag.get('o')!.found}, duplicates ${found.duplicates} (batches the node stored but could not answer as it went down)`);
  assert.equal(found.missing, 0);
  await waitFor(() => agent.files()[0].committed === statSync(w.path).size, 5000, 'the registry offset to reach the end');
});
