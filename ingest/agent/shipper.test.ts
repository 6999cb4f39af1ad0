import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { type Batch, BatchBuilder, BufferPool, type SpanOwner } from './batch.ts';
import { BulkClient } from './bulk-client.ts';
import { parseAgentConfig } from './config.ts';
import { Shipper } from './shipper.ts';

/** The shipper against scripted nodes: what it resends, when, and where. */

interface Seen {
  ids: string[];
  headers: IncomingMessage['headers'];
  atMs: number;
}
type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang';

const servers: Server[] = [];
after(() => servers.forEach((s) => {
  s.closeAllConnections();
  s.close();
}));

/** A node that records each request's ids and answers as `script` says. */
async function fakeNode(script: (ids: string[], n: number) => Answer): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body = Buffer.concat(parts);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const lines = body.toString('utf8').split('\n').filter((l) => l !== '');
      const ids = lines.filter((_, i) => i % 2 === 0).map((l) => (JSON.parse(l) as { create: { _id: string } }).create._id);
      seen.push({ ids, headers: req.headers, atMs: Date.now() });
      const a = script(ids, seen.length);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body ?? {}));
    });
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A 200 `_bulk` answer with each item's status. */
const items = (ids: string[], status: (id: string, k: number) => number): Answer => ({
  status: 200,
  body: {
    took: 1,
    errors: ids.some((id, k) => status(id, k) >= 300),
    items: ids.map((id, k) => ({ create: { _index: 't', _id: id, status: status(id, k), ...(status(id, k) >= 300 ? { error: { type: 'x', reason: `because ${status(id, k)}` } } : {}) } })),
  },
});

function output(urls: string[], extra: Record<string, unknown> = {}) {
  return parseAgentConfig(
    { registry: '/r', inputs: [{ type: 'file', paths: ['/x'] }], output: { urls, index: 't', retry: { initial_backoff_ms: 10, max_backoff_ms: 50 }, ...extra } },
    'test',
  ).output;
}

/** Ships one batch of `n` records (ids `k-0` … `k-(n-1)`) and resolves with it once delivered. */
async function ship(urls: string[], n: number, extra: Record<string, unknown> = {}, logs: string[] = []): Promise<{ batch: Batch; shipper: Shipper; ms: number }> {
  const cfg = output(urls, extra);
  const owner: SpanOwner = { idPrefix: Buffer.from('{"create":{"_index":"t","_id":"k-'), tail: Buffer.from('","host.name":"h"}\n'), pending: [] };
  const ts = Buffer.from('2026-11-29T12:00:00.000Z');
  let sealed: Batch | null = null;
  const builder = new BatchBuilder({ maxRecords: 100_000, maxBytes: 64 << 20 }, new BufferPool(64 << 20, 1), (b) => (sealed = b));
  const line = Buffer.from('a line of text');
  for (let i = 0; i < n; i++) builder.append(owner, line, 0, line.length, i, i + 1, ts);
  builder.seal();
  const started = Date.now();
  return new Promise((ok) => {
    const shipper = new Shipper(cfg, new BulkClient(cfg), (m) => logs.push(m), () => {}, (b) => {
      shipper.close();
      ok({ batch: b, shipper, ms: Date.now() - started });
    });
    shipper.enqueue(sealed!);
  });
}

test('per item: 201 and 409 are delivered, 429 and 5xx resent alone, other 4xx refused for good', async () => {
  const node = await fakeNode((ids, n) =>
    items(ids, (id) => {
      const i = Number(id.slice(2));
      if (n === 1) return [201, 409, 429, 503, 400][i % 5];
      return n === 2 && i === 3 ? 500 : 201;
    }),
  );
  const logs: string[] = [];
  const { shipper } = await ship([node.url], 10, {}, logs);
  assert.deepEqual(node.seen.map((s) => s.ids), [
    ['k-0', 'k-1', 'k-2', 'k-3', 'k-4', 'k-5', 'k-6', 'k-7', 'k-8', 'k-9'],
    ['k-2', 'k-3', 'k-7', 'k-8'],
    ['k-3'],
  ]);
  assert.deepEqual({ ...shipper.stats, bytesSent: 0 }, { requests: 3, failedRequests: 0, stored: 6, duplicates: 2, retriedItems: 5, rejected: 2, retriedBatches: 2, bytesSent: 0 });
  assert.match(logs.join('\n'), /the node refused record k-4 with 400 \(x: because 400\); it is not sent again/);
});

test('a busy node: 429/503 with Retry-After is honoured before the retry', async () => {
  const node = await fakeNode((ids, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1' }, body: { error: 'busy' } } : items(ids, () => 201)));
  const { ms } = await ship([node.url], 3);
  assert.equal(node.seen.length, 2);
  assert.ok(node.seen[1].atMs - node.seen[0].atMs >= 990, `waited ${node.seen[1].atMs - node.seen[0].atMs} ms`);
  assert.ok(ms >= 990);
});

test('413: the batch is halved until it fits; a single record too large is refused', async () => {
  const node = await fakeNode((ids) => (ids.length > 3 ? { status: 413, body: {} } : items(ids, () => 201)));
  const { shipper } = await ship([node.url], 10);
  const delivered = node.seen.filter((s) => s.ids.length <= 3).flatMap((s) => s.ids);
  assert.deepEqual(delivered.sort(), Array.from({ length: 10 }, (_, i) => `k-${i}`).sort());
  assert.equal(shipper.stats.stored, 10);
  const tiny = await fakeNode(() => ({ status: 413, body: {} }));
  const one = await ship([tiny.url], 1);
  assert.equal(one.shipper.stats.rejected, 1);
});

test('fails over: a node answering 500, a connection refused and a node that never answers are each skipped', async () => {
  const broken = await fakeNode(() => ({ status: 500, body: { error: 'boom' } }));
  const silent = await fakeNode(() => 'hang');
  const good = await fakeNode((ids) => items(ids, () => 201));
  const refused = await fakeNode(() => ({ status: 200 }));
  servers.pop()!.close();
  const { shipper } = await ship([broken.url, refused.url, silent.url, good.url], 5, { timeout_ms: 200 });
  assert.equal(broken.seen.length, 1);
  assert.equal(silent.seen.length, 1);
  assert.equal(good.seen.length, 1);
  assert.equal(shipper.stats.failedRequests, 3);
  assert.equal(shipper.stats.stored, 5);
});

test('bodies are gzip (or not), with the configured authentication', async () => {
  const node = await fakeNode((ids) => items(ids, () => 201));
  await ship([node.url], 2, { auth: { api_key: 'secret-key' } });
  await ship([node.url], 2, { auth: { username: 'ann', password: 'p:w' }, compression: 'none' });
  assert.equal(node.seen[0].headers['content-encoding'], 'gzip');
  assert.equal(node.seen[0].headers.authorization, 'ApiKey secret-key');
  assert.equal(node.seen[0].headers['content-type'], 'application/x-ndjson');
  assert.equal(node.seen[1].headers['content-encoding'], undefined);
  assert.equal(node.seen[1].headers.authorization, `Basic ${Buffer.from('ann:p:w').toString('base64')}`);
  assert.deepEqual(node.seen[1].ids, ['k-0', 'k-1']);
});
