import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, createReadStream, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { mulberry32Float } from '../../lib/prng.ts';
import { startAgent } from './agent.ts';
import { parseAgentConfig } from './config.ts';
import { LineWriter, searchAll, startNode, startNodeIn, tempDir, TraceWriter, waitFor, waitForAll, TEST_AUTH, TEST_AUTH_YAML } from './testing.ts';

/** The stdin input: `cat app.log | strata agent --config c.yaml` ships the file once and exits 0. */

const BIN = resolve(import.meta.dirname, '../../bin/strata.js');
const KiB = 1024;

test('a file piped into a real agent process: every line found, the last one without its newline too, then exit 0', async (t) => {
  const dir = tempDir('stdin-cli');
  const node = await startNodeIn(t, dir);
  const w = new LineWriter('s', join(dir.path, 'x.log'));
  w.write(5000);
  appendFileSync(w.path, w.line(w.written++).trimEnd());
  const config = join(dir.path, 'agent.yaml');
  // No registry: stdin keeps no offsets.
  writeFileSync(
    config,
    `inputs: [{ type: stdin, fields: { job: piped } }]
output: { urls: [${JSON.stringify(node.url)}], index: stdin, auth: ${TEST_AUTH_YAML}, batch: { max_records: 1000, max_wait_ms: 5000 } }
host_name: piper
`,
  );
  const child = spawn(process.execPath, [BIN, 'agent', '--config', config], { stdio: ['pipe', 'ignore', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const err: string[] = [];
  child.stderr.on('data', (c: Buffer) => err.push(c.toString()));
  createReadStream(w.path).pipe(child.stdin);
  const started = Date.now();
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  assert.equal(code, 0, err.join(''));
  // Exiting did not wait for max_wait_ms: the end of stdin seals the last batch.
  assert.ok(Date.now() - started < 15_000);
  // Everything was acknowledged before the exit: it is all there now, without waiting.
  const found = await waitForAll(node.url, [w], 100, 'stdin');
  assert.equal(found.duplicates, 0);
  const hit = (await searchAll(node.url, 'stdin')).find((h) => h.message === w.line(0).trimEnd())!;
  assert.equal(hit['input.type'], 'stdin');
  assert.equal(hit['host.name'], 'piper');
  assert.equal(hit.job, 'piped');
  assert.match(hit._id, /^[0-9a-f]{16}-0$/);
});

test('stdin with multiline and processors; at the memory bound the stream is paused, and nothing is lost', async (t) => {
  const dir = tempDir('stdin-pause');
  t.after(() => dir.remove());
  // The node is away at first: the agent must stop taking stdin at its bound.
  const dataDir = join(dir.path, 'node');
  const first = await startNode(dataDir);
  const port = first.port;
  const url = first.url;
  await first.close();
  const stdin = new PassThrough({ highWaterMark: 16 * KiB });
  const maxPending = 128 * KiB;
  const cfg = parseAgentConfig(
    {
      inputs: [{ type: 'stdin', multiline: { mode: 'indent', timeout_ms: 100 }, processors: [{ drop: { pattern: 'request served in 1\\d\\d ms' } }] }],
      output: { urls: [url], index: 'stdin-ml', auth: TEST_AUTH, batch: { max_bytes: 32 * KiB, max_wait_ms: 50 }, retry: { initial_backoff_ms: 20, max_backoff_ms: 200 } },
      memory: { max_pending_bytes: maxPending },
    },
    'test',
  );
  const agent = await startAgent(cfg, () => {}, { stdin });
  t.after(() => agent.close());
  const random = mulberry32Float(4242);
  const w = new TraceWriter('st', join(dir.path, 'copy.log'), random);
  // About 1.5 MB of records offered while the node is away.
  let accepted = true;
  w.write(1000);
  const text = Buffer.from(w.records.map((r) => r + '\n').join(''));
  for (let at = 0; at < text.length; at += 8 * KiB) accepted = stdin.write(text.subarray(at, at + 8 * KiB)) && accepted;
  stdin.end();
  await waitFor(() => agent.stats().failedRequests >= 2, 5000, 'requests to the absent node');
  await new Promise((r) => setTimeout(r, 200));
  const peak = agent.stats().peakPendingBytes;
  assert.equal(accepted, false, 'the writer was told to wait');
  // Over the bound by at most what one stream chunk held.
  assert.ok(peak <= maxPending + 32 * KiB, `peak ${peak} bytes pending, bound ${maxPending}`);
  assert.ok(agent.stats().linesRead < text.toString().split('\n').length - 1, 'reading stopped before the end');

  const node = await startNode(dataDir, port);
  t.after(() => node.close());
  await agent.stopped;
  const dropped = w.records.filter((r) => /request served in 1\d\d ms$/.test(r)).length;
  assert.ok(dropped > 0);
  const all = await searchAll(node.url, 'stdin-ml');
  assert.equal(all.length, w.written - dropped, 'every record but the dropped ones, once');
  for (const h of all) {
    const seq = Number(/ st (\d{7})/.exec(h.message)![1]);
    assert.equal(h.message, w.records[seq], 'each trace arrived whole');
  }
  assert.equal(agent.stats().dropped.drop_processor, dropped);
});
