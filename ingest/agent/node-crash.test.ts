import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mulberry32Float } from '../../lib/prng.ts';
import { adminFetch, LineWriter, freePort, spawnAgent, tempDir, waitFor, waitForAll, TEST_AUTH_YAML } from './testing.ts';
import { TEST_ADMIN_PASSWORD } from '../../node/testing.ts';

/**
 * `kill -9` of the NODE, in its own process, 3 times at seeded random moments while an agent process ships files
 * that keep growing; each time the node is started again on the same data directory and port, the one URL in the
 * agent's config. In the end every line of every file is found, and exactly once: the node answers a record only
 * once it is durable, the agent moves its registry only over answered records, and a batch the node stored but
 * could not answer before dying comes again under the same `_id`s, which the restarted node knows from replaying
 * its log (format.md, "Record ids"). So duplicates are 0 by design, and the test asserts 0.
 */

const BIN = resolve(import.meta.dirname, '../../bin/strata.js');
const INDEX = 'node-crash';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NodeProc {
  child: ChildProcess;
  exited: Promise<void>;
}

/** `strata node` as a process on a fixed port (the agent's config names it), ready once it says so. */
async function startNodeProc(dataDir: string, port: number): Promise<NodeProc> {
  const child = spawn(process.execPath, [BIN, 'node', '--data-dir', dataDir, '--port', String(port), '--build-threads', '1'], { env: { ...process.env, STRATA_PASSWORD: TEST_ADMIN_PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  let err = '';
  await new Promise<void>((ok, fail) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('node ready on')) ok();
    });
    void exited.then(() => fail(new Error(`the node exited before it was ready: ${err.slice(-2000)}`)));
  });
  return { child, exited };
}

/** Lines in a file, as `wc -l` counts them (newlines). */
function wcL(path: string): number {
  const b = readFileSync(path);
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/** Records per `log.file.path`, as the node counts them (a terms aggregation: duplicates would count too). */
async function countPerFile(url: string): Promise<Map<string, number>> {
  const res = await adminFetch(`${url}/api/v1/search`, {
    method: 'POST',
    body: JSON.stringify({ index: INDEX, query: '*', size: 0, aggs: { files: { terms: { field: 'log.file.path', size: 100 } } } }),
  });
  const json = (await res.json()) as { aggs: { files: { buckets: { key: string; doc_count: number }[] } } };
  assert.equal(res.status, 200, JSON.stringify(json));
  return new Map(json.aggs.files.buckets.map((b) => [b.key, b.doc_count]));
}

/** Records the node answered 409 (`_id` already stored) on `_bulk` since it started. */
async function conflicts(url: string): Promise<number> {
  const text = await (await adminFetch(`${url}/metrics`)).text();
  return Number(/^strata_ingest_rejected_total\{endpoint="elasticsearch",reason="conflict"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** A counter of the agent's Prometheus text, 0 when absent. */
const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? 0);

test('kill -9 of the node 3 times while the agent ships growing files: every line found exactly once', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('node-crash');
  t.after(() => dir.remove());
  const dataDir = join(dir.path, 'node');
  const port = await freePort();
  const metricsPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let node = await startNodeProc(dataDir, port);
  t.after(async () => {
    node.child.kill('SIGKILL');
    await node.exited;
  });

  const logs = join(dir.path, 'logs');
  mkdirSync(logs);
  const writers = Array.from({ length: 3 }, (_, i) => new LineWriter(`n${i}`, join(logs, `f${i}.log`)));
  for (const w of writers) w.write(200);
  const config = join(dir.path, 'agent.yaml');
  writeFileSync(
    config,
    `registry: { path: ${JSON.stringify(join(dir.path, 'registry'))}, write_interval_ms: 50 }
inputs:
  - type: file
    paths: [${JSON.stringify(join(logs, '*.log'))}]
    scan_interval_ms: 200
    poll_interval_ms: 25
output:
  urls: [${JSON.stringify(url)}]
  auth: ${TEST_AUTH_YAML}
  index: ${INDEX}
  batch: { max_records: 300, max_wait_ms: 30 }
  retry: { initial_backoff_ms: 20, max_backoff_ms: 300 }
metrics: { listen: "127.0.0.1:${metricsPort}" }
`,
  );
  const agentErr: string[] = [];
  const agent = spawnAgent(config, agentErr);
  t.after(() => agent.child.kill('SIGKILL'));
  await agent.ready;
  assert.equal(agent.child.exitCode, null, agentErr.join(''));

  const random = mulberry32Float(4_20_2611);
  // Its own generator: the writer's draws interleave with the kills by timing, which must not move the kills.
  const schedule = mulberry32Float(1_234_567);
  let writing = true;
  const writer = (async () => {
    while (writing) {
      writers[Math.floor(random() * writers.length)].write(1 + Math.floor(random() * 30));
      await pause(15);
    }
  })();

  const kills: string[] = [];
  /** Resent records the node refused as already stored, summed over the node's lives (its counters restart with it). */
  let refused = 0;
  const shipped = async () => metric(await (await adminFetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), 'strata_agent_records_shipped_total');
  for (let k = 0; k < 3; k++) {
    // Once this life of the node has acknowledged a batch (so batches flow), a moment at random; then the node
    // stays down for a while, the files still growing.
    const before = await shipped();
    await waitFor(async () => (await shipped()) > before, 30_000, 'the agent to ship to the node (re)started');
    const upMs = 200 + Math.floor(schedule() * 1500);
    await pause(upMs);
    const sent = await shipped();
    refused += await conflicts(url);
    node.child.kill('SIGKILL');
    await node.exited;
    const downMs = 100 + Math.floor(schedule() * 900);
    kills.push(`${upMs} ms after the first acknowledgement (${sent} records shipped in all), down ${downMs} ms`);
    await pause(downMs);
    node = await startNodeProc(dataDir, port);
  }
  await pause(300);
  writing = false;
  await writer;

  const found = await waitForAll(url, writers, 45_000, INDEX);
  const perFile = await countPerFile(url);
  refused += await conflicts(url);
  const agentMetrics = await (await adminFetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agentErr.join(''));

  const written = writers.reduce((n, w) => n + w.written, 0);
  t.diagnostic(
    `3 node kills (${kills.join('; ')}): ${written} lines in ${writers.length} files, all found; duplicates ${found.duplicates}; ` +
      `${refused} records resent and refused by the node as already stored (409); ` +
      `agent: ${metric(agentMetrics, 'strata_agent_requests_failed_total')} requests failed, ${metric(agentMetrics, 'strata_agent_batches_retried_total')} batch resends`,
  );
  for (const w of writers) {
    const lines = wcL(w.path);
    assert.equal(lines, w.written);
    assert.equal(perFile.get(w.path), lines, `${w.path}: the node counts ${perFile.get(w.path)} records, wc -l ${lines}`);
    assert.equal(found.perTag.get(w.tag)!.found, lines, `${w.path}: distinct lines found`);
  }
  assert.equal(found.missing, 0);
  assert.equal(found.duplicates, 0, 'a line stored twice: the node must drop a resent `_id` even across its own restart');
  // The kills must have hit the agent mid-stream, or this test proved nothing about them.
  assert.ok(metric(agentMetrics, 'strata_agent_requests_failed_total') >= 3, agentMetrics);
});
