import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { startTestNode } from '../../node/testing.ts';
import { type Agent, startAgent } from './agent.ts';
import { AGENT_ID_FILE, derivedAgentId } from './agent-id.ts';
import { parseAgentConfig } from './config.ts';
import { newCounters } from './counters.ts';
import { renderMetrics } from './metrics.ts';
import { ingestKey } from '../../node/security/testing.ts';
import { adminFetch, freePort, LineWriter, startNodeIn, tempDir, testConfig, waitFor, waitForAll } from './testing.ts';
import { AGENT_VERSION } from './version.ts';

/** The heartbeat: agents in-process against real nodes, read back from the node's agent list. */

interface Listed {
  id: string;
  name: string;
  version: string;
  host: string;
  started_at: string;
  interval_ms: number;
  inputs: { type: string; paths?: string[]; listen?: string; protocol?: string }[];
  status: string;
  stats: Record<string, number>;
  last_error: string | null;
  last_seen: string;
  health: string;
}

async function agents(url: string): Promise<Listed[]> {
  return ((await (await adminFetch(`${url}/api/v1/agents`)).json()) as { agents: Listed[] }).agents;
}

const quick = { heartbeat: { interval_ms: 100 } };

test("the agent's version is package.json's", () => {
  const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  assert.equal(AGENT_VERSION, pkg.version);
});

test('heartbeats list the agent with its id, version, host, inputs and stats; the id stays over a restart', async (t) => {
  const dir = tempDir('heartbeat');
  const node = await startNodeIn(t, dir);
  const started: Agent[] = [];
  t.after(async () => {
    for (const a of started) await a.close();
  });
  const registry = join(dir.path, 'registry');
  const w = new LineWriter('hb', join(dir.path, 'a.log'));
  w.write(250);
  const cfg = testConfig(registry, [join(dir.path, '*.log')], node.url, { ...quick, name: 'web-1 shipper' });
  let agent = await startAgent(cfg, () => {});
  started.push(agent);
  await waitForAll(node.url, [w], 10_000);
  let listed: Listed[] = [];
  await waitFor(
    async () => {
      listed = await agents(node.url);
      return listed.length === 1 && listed[0].stats.records_shipped === 250 && listed[0].stats.lag_bytes === 0;
    },
    5000,
    () => `the heartbeat to show every line shipped: ${JSON.stringify(listed)}`,
  );
  const a = listed[0];
  assert.equal(a.id, agent.id);
  assert.match(a.id, /^[0-9a-f]{32}$/);
  assert.equal(readFileSync(join(registry, AGENT_ID_FILE), 'utf8').trim(), a.id);
  assert.deepEqual(
    [a.name, a.version, a.host, a.interval_ms, a.status, a.health, a.last_error],
    ['web-1 shipper', AGENT_VERSION, 'test-host', 100, 'ok', 'healthy', null],
  );
  assert.deepEqual(a.inputs, [{ type: 'file', paths: [join(dir.path, '*.log')] }]);
  assert.deepEqual(a.stats, { lines_read: 250, records_shipped: 250, records_dropped: 0, batches_retried: 0, pending_bytes: 0, lag_bytes: 0 });
  assert.ok(Math.abs(Date.parse(a.started_at) - Date.now()) < 60_000);
  assert.ok(agent.stats().heartbeatsSent >= 1);
  assert.equal(agent.stats().heartbeatsFailed, 0);
  const firstStart = a.started_at;

  await agent.close();
  await new Promise((r) => setTimeout(r, 20));
  agent = await startAgent(cfg, () => {});
  started.push(agent);
  await waitFor(
    async () => {
      listed = await agents(node.url);
      return listed.length === 1 && listed[0].started_at !== firstStart;
    },
    5000,
    () => `the restarted agent's heartbeat, under the same id: ${JSON.stringify(listed)}`,
  );
  assert.equal(listed[0].id, a.id);
});

test('without a registry the id is derived from host, name, index and inputs: the same config gives the same id', () => {
  const cfg = (over: Record<string, unknown> = {}) =>
    parseAgentConfig({ inputs: [{ type: 'syslog', listen: '127.0.0.1:5140' }], output: { urls: ['http://127.0.0.1:9400'], index: 'syslog' }, ...over }, 'test');
  const id = derivedAgentId(cfg(), 'h1');
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(derivedAgentId(cfg(), 'h1'), id);
  assert.notEqual(derivedAgentId(cfg(), 'h2'), id);
  assert.notEqual(derivedAgentId(cfg({ name: 'other' }), 'h1'), id);
  assert.notEqual(derivedAgentId(cfg({ output: { urls: ['http://127.0.0.1:9400'], index: 'syslog2' } }), 'h1'), id);
  assert.notEqual(derivedAgentId(cfg({ inputs: [{ type: 'syslog', listen: '127.0.0.1:5141' }] }), 'h1'), id);
  // The node's URL may change (a new load balancer) without the agent becoming another.
  assert.equal(derivedAgentId(cfg({ output: { urls: ['http://10.0.0.1:9400'], index: 'syslog' } }), 'h1'), id);
});

test('a damaged agent.id is replaced by a new id, said in the log', async (t) => {
  const dir = tempDir('heartbeat-id');
  t.after(() => dir.remove());
  const registry = join(dir.path, 'registry');
  const cfg = testConfig(registry, [join(dir.path, '*.log')], 'http://127.0.0.1:9', { heartbeat: { enabled: false } });
  let agent = await startAgent(cfg, () => {});
  const first = agent.id;
  await agent.close();
  writeFileSync(join(registry, AGENT_ID_FILE), 'not an id\n');
  const logs: string[] = [];
  agent = await startAgent(cfg, (m) => logs.push(m));
  await agent.close();
  assert.notEqual(agent.id, first);
  assert.match(agent.id, /^[0-9a-f]{32}$/);
  assert.ok(logs.some((l) => l.includes('does not hold an agent id')), logs.join('\n'));
});

test('heartbeats that hang never hold up shipping; they are counted as failed, and shown in /metrics', async (t) => {
  const dir = tempDir('heartbeat-hang');
  const node = await startNodeIn(t, dir);
  // A front for the node that passes `_bulk` through and never answers a heartbeat.
  const held: Record<string, unknown>[] = [];
  const front = createServer((req, res) => {
    if (req.url !== '/_bulk') {
      // Held open: the agent must give up on it by itself.
      held.push({ url: req.url, method: req.method, authorization: req.headers.authorization, type: req.headers['content-type'] });
      return;
    }
    const up = request(`${node.url}/_bulk`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((ok) => front.listen(0, '127.0.0.1', ok));
  t.after(() => {
    front.closeAllConnections();
    front.close();
  });
  const logs: string[] = [];
  const w = new LineWriter('hh', join(dir.path, 'a.log'));
  w.write(300);
  const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  const key = await ingestKey(node);
  const agent = await startAgent(testConfig(join(dir.path, 'registry'), [join(dir.path, '*.log')], frontUrl, { ...quick, output: { auth: { api_key: key } } }), (m) => logs.push(m));
  t.after(() => agent.close());
  const started = Date.now();
  await waitForAll(node.url, [w], 10_000);
  const shippedMs = Date.now() - started;
  // Heartbeats time out after 1 s (their floor): shipping did not wait for the first one.
  assert.ok(shippedMs < 5000, `shipped in ${shippedMs} ms`);
  await waitFor(() => agent.stats().heartbeatsFailed >= 2, 5000, 'two heartbeats to time out');
  assert.equal(agent.stats().heartbeatsSent, 0);
  // Heartbeats carry the output's credentials, as its batches do; one at a time, so one is held per timeout.
  assert.deepEqual(held[0], { url: '/api/v1/agents/heartbeat', method: 'POST', authorization: `ApiKey ${key}`, type: 'application/json' });
  assert.ok(held.length <= agent.stats().heartbeatsFailed + 1, `${held.length} heartbeats held, ${agent.stats().heartbeatsFailed} failed`);
  assert.deepEqual(await agents(node.url), []);
  // Logged once, not per heartbeat.
  assert.equal(logs.filter((l) => l.startsWith('heartbeat:')).length, 1, logs.join('\n'));
  assert.match(logs.find((l) => l.startsWith('heartbeat:'))!, /no answer within 1000 ms; shipping goes on/);
  w.write(100);
  await waitForAll(node.url, [w], 10_000);

  const counters = { ...newCounters(), heartbeatsSent: 4, heartbeatsFailed: agent.stats().heartbeatsFailed };
  const shipper = { requests: 0, failedRequests: 0, stored: 0, duplicates: 0, retriedItems: 0, rejected: 0, retriedBatches: 0, bytesSent: 0 };
  const text = renderMetrics({ counters, shipper, pendingBytes: 0, files: [] });
  assert.ok(text.includes('strata_agent_heartbeats_total{outcome="ok"} 4\n'), text);
  assert.ok(text.includes(`strata_agent_heartbeats_total{outcome="failed"} ${counters.heartbeatsFailed}\n`), text);
});

test('records the node refuses make the agent degraded, with the reason as last_error; healthy again once nothing fails', async (t) => {
  const dir = tempDir('heartbeat-degraded');
  t.after(() => dir.remove());
  // A node whose records may be 300 bytes at most: longer lines are refused for good (400 per item).
  const node = await startTestNode({ maxRecordBytes: 300 });
  t.after(() => node.close());
  const w = new LineWriter('hd', join(dir.path, 'a.log'));
  w.write(20);
  const long = new LineWriter('hdlong', join(dir.path, 'b.log'), 'x'.repeat(400));
  long.write(3);
  const agent = await startAgent(testConfig(join(dir.path, 'registry'), [join(dir.path, '*.log')], node.url, quick), () => {});
  t.after(() => agent.close());
  let listed: Listed[] = [];
  await waitFor(
    async () => {
      listed = await agents(node.url);
      return listed[0]?.health === 'degraded' && listed[0].stats.records_dropped === 3;
    },
    10_000,
    () => `a degraded agent: ${JSON.stringify(listed)}`,
  );
  assert.equal(listed[0].status, 'degraded');
  assert.match(listed[0].last_error!, /the node refused record [0-9a-f]{16}-\d+ with 400 .*over the limit of 300/);
  assert.equal(listed[0].stats.records_shipped, 20);
  // Nothing fails any more: the next heartbeats say ok, and last_error stays as the latest error.
  await waitFor(
    async () => {
      listed = await agents(node.url);
      return listed[0].health === 'healthy';
    },
    5000,
    () => `the agent healthy again: ${JSON.stringify(listed)}`,
  );
  assert.match(listed[0].last_error!, /refused record/);
});

test('heartbeats fail over to the next URL, as batches do; the heartbeat section is validated', async (t) => {
  const dir = tempDir('heartbeat-failover');
  const node = await startNodeIn(t, dir);
  const closed = await freePort();
  const cfg = testConfig(join(dir.path, 'registry'), [join(dir.path, '*.log')], [`http://127.0.0.1:${closed}`, node.url], quick);
  const agent = await startAgent(cfg, () => {});
  t.after(() => agent.close());
  await waitFor(async () => (await agents(node.url)).length === 1, 5000, 'the agent listed through its second URL');
  assert.ok(agent.stats().heartbeatsFailed >= 1);

  const base = { inputs: [{ type: 'stdin' }], output: { urls: ['http://127.0.0.1:9400'], index: 'a' } };
  assert.deepEqual(parseAgentConfig(base, 'test').heartbeat, { enabled: true, interval_ms: 10_000 });
  assert.throws(() => parseAgentConfig({ ...base, heartbeat: { interval_ms: 50 } }, 'test'), /heartbeat\.interval_ms/);
  assert.throws(() => parseAgentConfig({ ...base, heartbeat: { every: 5 } }, 'test'), /heartbeat\.every: unknown key; expected one of enabled, interval_ms/);
  assert.throws(() => parseAgentConfig({ ...base, name: '' }, 'test'), /name/);
});
