import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../lib/prng.ts';
import { type SseEvent, TailClient } from './tail-client.testing.ts';
import { adminFetch, ingest, postJson, startTestNode, waitFor, type TestNode } from './testing.ts';

const ndjson = (recs: object[]) => recs.map((r) => JSON.stringify(r)).join('\n');

describe('GET /api/v1/tail (server-sent events)', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
    await adminFetch(`${node.url}/api/v1/indices/tail-a`, { method: 'PUT', body: JSON.stringify({ shards: 3 }) });
  });
  after(async () => node.close());

  test('a bad query is a 400 invalid_query with its position, an unknown index a 404, before any stream', async () => {
    const bad = await adminFetch(`${node.url}/api/v1/tail?index=tail-a&query=${encodeURIComponent('level:(error')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type')!, /application\/json/);
    const j = (await bad.json()) as any;
    assert.equal(j.error.code, 'invalid_query');
    assert.equal(j.error.position, 6);
    const missing = await adminFetch(`${node.url}/api/v1/tail?index=nosuch`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.code, 'index_not_found');
    assert.equal(node.engine.tail.subscribers, 0);
  });

  test('streams matching records only, all of them, in ingest order, one event per stored batch, with search ids', async () => {
    const t = await TailClient.open(node, { index: 'tail-*', query: 'level:error' });
    assert.equal(t.res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(t.res.headers.get('cache-control'), 'no-cache');
    assert.equal(t.res.headers.get('x-accel-buffering'), 'no');
    assert.deepEqual(await t.next(), { event: 'ready', data: { index: 'tail-*', query: 'level:error' } });
    assert.equal(node.engine.tail.subscribers, 1);

    const rnd = mulberry32(7);
    let ts = Date.parse('2026-03-01T00:00:00Z');
    const want: { message: string; batch: number }[] = [];
    const batches: object[][] = [];
    for (let b = 0; b < 4; b++) {
      const recs = [];
      for (let i = 0; i < 30; i++) {
        const level = rnd() % 3 === 0 ? 'error' : 'info';
        const r = { '@timestamp': ts++, level, message: `b${b} r${i} ${level}`, n: i };
        recs.push(r);
        if (level === 'error') want.push({ message: r.message, batch: b });
      }
      batches.push(recs);
    }
    // Batch 2 goes to an index created after the tail started: the pattern is resolved per batch.
    const targets = ['tail-a', 'tail-a', 'tail-late', 'tail-a'];
    for (let b = 0; b < 4; b++) assert.equal((await ingest(node.url, targets[b], ndjson(batches[b]))).json.accepted, 30);
    // Not in the pattern: never sent.
    await ingest(node.url, 'other', ndjson([{ level: 'error', message: 'elsewhere' }]));

    const events: SseEvent[] = [];
    let got = 0;
    while (got < want.length) {
      const e = await t.next();
      assert.equal(e.event, 'hits');
      events.push(e);
      got += e.data.hits.length;
    }
    assert.equal(events.length, 4, 'one event per stored batch');
    const hits = events.flatMap((e) => e.data.hits);
    assert.deepEqual(
      hits.map((h) => h.message),
      want.map((w) => w.message),
    );
    assert.deepEqual(
      events.map((e) => e.data.hits[0]._index),
      targets,
    );
    // Exactly what search answers for the same records: same ids, same members in the same order.
    for (const idx of ['tail-a', 'tail-late']) {
      const s = await postJson(`${node.url}/api/v1/search`, { index: idx, query: 'level:error', size: 1000, sort: 'asc' });
      const mine = hits.filter((h) => h._index === idx);
      assert.equal(s.json.total, mine.length);
      assert.deepEqual(mine, s.json.hits);
      assert.deepEqual(Object.keys(mine[0]), ['_id', '_index', '@timestamp', 'level', 'message', 'n']);
    }
    // Records spread over the three shards of tail-a.
    assert.equal(new Set(hits.filter((h) => h._index === 'tail-a').map((h) => h._id.split('-')[0])).size, 3);
    // Nothing else was queued: the next event would be a timeout.
    await assert.rejects(t.next(300), /no event/);
    t.close();
    await waitFor(async () => node.engine.tail.subscribers === 0, 3000, 'the tail to unsubscribe');
    assert.equal(node.engine.tail.active, false);
  });

  test("a sender's _id is the hit's id, as in search; after a seal, search still agrees", async () => {
    const t = await TailClient.open(node, { index: 'tail-*', query: '' });
    await t.next();
    const bulk = ['{"create":{"_index":"tail-ids","_id":"alpha"}}', '{"message":"one"}', '{"create":{"_index":"tail-ids"}}', '{"message":"two"}', ''].join('\n');
    const r = await adminFetch(`${node.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(((await r.json()) as any).errors, false);
    const e = await t.next();
    assert.equal(e.event, 'hits');
    assert.deepEqual(
      e.data.hits.map((h: any) => [h._id, h.message]),
      [
        ['alpha', 'one'],
        ['0-1', 'two'],
      ],
    );
    // A retried create stores nothing, so nothing is tailed.
    await adminFetch(`${node.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk.split('\n').slice(0, 2).join('\n') + '\n' });
    await assert.rejects(t.next(300), /no event/);
    await postJson(`${node.url}/api/v1/indices/tail-ids/flush`, {});
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'tail-ids', size: 10, sort: 'asc' });
    assert.deepEqual(s.json.hits, e.data.hits);
    t.close();
    await waitFor(async () => node.engine.tail.subscribers === 0, 3000, 'the tail to unsubscribe');
  });

  test('a client that stops reading gets records dropped and counted, not buffered; ingest and search stay fast', async () => {
    await ingest(node.url, 'tail-flood', ndjson([{ message: 'stored before the tail' }]));
    const t = await TailClient.open(node, { index: 'tail-flood' });
    await t.next();
    const pad = 'x'.repeat(400);
    const batches = 40;
    const per = 1000;
    let slowest = 0;
    for (let b = 0; b < batches; b++) {
      const recs = Array.from({ length: per }, (_, i) => ({ message: `flood ${b} ${i} ${pad}` }));
      const started = performance.now();
      assert.equal((await ingest(node.url, 'tail-flood', ndjson(recs))).json.accepted, per);
      slowest = Math.max(slowest, performance.now() - started);
    }
    const s0 = performance.now();
    const health = await adminFetch(`${node.url}/api/v1/health`);
    assert.equal(health.status, 200);
    assert.ok(performance.now() - s0 < 1000, 'the node answers while a tail is backed up');
    assert.ok(slowest < 5000, `ingest was not held up (slowest batch ${slowest.toFixed(0)} ms)`);
    // What the node holds for this client is bounded: its bound plus one event, not 16 MB of hits.
    const sockets = [...(node.engine.tail as any).subs].map((e: any) => e.sub.res.writableLength as number);
    assert.equal(sockets.length, 1);
    assert.ok(sockets[0] < 3 << 20, `buffered ${sockets[0]} bytes`);

    // Reading again: every record either arrives (in order) or is counted as dropped.
    const got = await t.collect(batches * per, 20_000);
    assert.ok(got.dropped > 0, 'some records were dropped');
    assert.ok(got.hits.length > 0, 'some records arrived');
    assert.equal(got.hits.length + got.dropped, batches * per);
    assert.ok(got.events.includes('dropped'));
    const order = got.hits.map((h) => h.message.split(' ').slice(1, 3).map(Number));
    for (let i = 1; i < order.length; i++) {
      const [b0, i0] = order[i - 1];
      const [b1, i1] = order[i];
      assert.ok(b1 > b0 || (b1 === b0 && i1 > i0), `in order at ${i}`);
    }
    // Once it keeps up, records flow again with nothing dropped.
    await ingest(node.url, 'tail-flood', ndjson([{ message: 'after the flood' }]));
    const e = await t.next();
    assert.equal(e.event, 'hits');
    assert.deepEqual(
      e.data.hits.map((h: any) => h.message),
      ['after the flood'],
    );
    t.close();
    await waitFor(async () => node.engine.tail.subscribers === 0, 3000, 'the tail to unsubscribe');
  });
});

describe('tail and shutdown', () => {
  test('closing the node ends open streams and does not hang', async () => {
    const node = await startTestNode();
    await ingest(node.url, 'shut', ndjson([{ message: 'x' }]));
    const t = await TailClient.open(node, { index: 'shut' });
    await t.next();
    const started = performance.now();
    await node.close();
    assert.ok(performance.now() - started < 5000);
    // The stream ends (or the connection is cut): not a wait that times out.
    await assert.rejects(t.next(2000), (e: Error) => !/no event/.test(e.message));
    assert.equal(node.engine.tail.subscribers, 0);
  });
});
