import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderMetrics } from './metrics.ts';
import { newCounters } from './counters.ts';
import { adminFetch, freePort, LineWriter, nodeSlot, tempDir, waitFor, waitForAll, TEST_AUTH_YAML } from './testing.ts';

/** `/metrics` and `/health`, scraped from a real agent process while its node is away, then back. */

const BIN = resolve(import.meta.dirname, '../../bin/strata.js');

/** The value of one sample of a scrape, or NaN when it is not there. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('the text format: HELP and TYPE per family, label values escaped', () => {
  const shipper = { requests: 3, failedRequests: 1, stored: 5, duplicates: 2, retriedItems: 0, rejected: 1, retriedBatches: 1, bytesSent: 10 };
  const text = renderMetrics({ counters: newCounters(), shipper, pendingBytes: 0, files: [{ path: '/l/a "b"\\c\nd.log', key: 'k1', size: 100, committed: 40 }] });
  assert.ok(text.endsWith('\n'));
  for (const l of text.trimEnd().split('\n')) assert.match(l, /^(# (HELP|TYPE) strata_agent_\w+ .+|strata_agent_\w+(\{[^}]*\})? \d+)$/);
  assert.equal(sample(text, 'strata_agent_records_shipped_total'), 7);
  assert.equal(sample(text, 'strata_agent_records_dropped_total', '{reason="rejected"}'), 1);
  assert.equal(sample(text, 'strata_agent_file_lag_bytes', '{path="/l/a \\"b\\"\\\\c\\nd.log",key="k1"}'), 60);
});

test('scraping a running agent: lag per file while the node is away, retries, drops by reason, then the lag back to 0', async (t) => {
  const dir = tempDir('metrics');
  const nodes = nodeSlot(t, dir);
  const away = await nodes.start();
  const nodePort = away.port;
  await away.close();
  const a = new LineWriter('ma', join(dir.path, 'a.log'));
  const b = new LineWriter('mb', join(dir.path, 'b.log'));
  a.write(300);
  b.write(100);
  const debug = 50;
  writeFileSync(join(dir.path, 'c.log'), 'DEBUG noise\n'.repeat(debug));
  const metricsPort = await freePort();
  const config = join(dir.path, 'agent.yaml');
  writeFileSync(
    config,
    `registry: { path: registry, write_interval_ms: 50 }
inputs:
  - type: file
    paths: ["*.log"]
    scan_interval_ms: 100
    poll_interval_ms: 20
processors:
  - drop: { pattern: "^DEBUG" }
output:
  urls: ["http://127.0.0.1:${nodePort}"]
  auth: ${TEST_AUTH_YAML}
  index: metrics
  batch: { max_records: 100, max_wait_ms: 30 }
  retry: { initial_backoff_ms: 20, max_backoff_ms: 100 }
metrics: { listen: "127.0.0.1:${metricsPort}" }
`,
  );
  const err: string[] = [];
  const child = spawn(process.execPath, [BIN, 'agent', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  nodes.closeFirst({ close: () => void child.kill('SIGKILL') });
  child.stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const base = `http://127.0.0.1:${metricsPort}`;
  const scrape = async () => {
    const res = await adminFetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  await waitFor(() => adminFetch(`${base}/health`).then((r) => r.ok, () => false), 10_000, () => `the agent's metrics port (${err.join('')})`);
  const lag = (text: string, path: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`strata_agent_file_lag_bytes{path="${path}",`));
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  let text = '';
  await waitFor(
    async () => {
      text = await scrape();
      return sample(text, 'strata_agent_batches_retried_total') >= 2 && sample(text, 'strata_agent_records_dropped_total', '{reason="drop_processor"}') === debug;
    },
    10_000,
    () => `retries and the drops in a scrape:\n${text}`,
  );
  assert.equal(lag(text, a.path), statSync(a.path).size, 'nothing of a.log acknowledged');
  assert.equal(lag(text, b.path), statSync(b.path).size);
  // A file whose every line was dropped is handled: nothing to wait for.
  assert.equal(lag(text, join(dir.path, 'c.log')), 0);
  assert.equal(sample(text, 'strata_agent_files'), 3);
  assert.ok(sample(text, 'strata_agent_pending_bytes') > 0);
  assert.ok(sample(text, 'strata_agent_requests_failed_total') >= 2);
  assert.equal(sample(text, 'strata_agent_records_shipped_total'), 0);

  const node = await nodes.start(nodePort);
  a.write(100);
  await waitForAll(node.url, [a, b], 15_000, 'metrics');
  await waitFor(
    async () => {
      text = await scrape();
      return lag(text, a.path) === 0 && lag(text, b.path) === 0;
    },
    5000,
    () => `the lag back to 0:\n${text}`,
  );
  assert.equal(sample(text, 'strata_agent_lines_read_total'), 500 + debug);
  assert.equal(sample(text, 'strata_agent_records_processed_total'), 500 + debug);
  assert.ok(sample(text, 'strata_agent_records_shipped_total') >= 450);
  assert.equal(sample(text, 'strata_agent_pending_bytes'), 0);
  assert.equal(sample(text, 'strata_agent_bytes_acknowledged_total'), statSync(a.path).size + statSync(b.path).size + debug * 'DEBUG noise\n'.length);

  const health = await adminFetch(`${base}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  assert.equal((await adminFetch(`${base}/nope`)).status, 404);
  assert.equal((await adminFetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  child.kill('SIGTERM');
  assert.equal(await new Promise((ok) => child.once('exit', ok)), 0, err.join(''));
});
