import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client, errors } from '@elastic/elasticsearch';
import { adminFetch, postJson, startTestNode, type TestNode, TEST_ADMIN_PASSWORD } from './testing.ts';
import { ingestKey } from './security/testing.ts';

/** Every hit of a query, paged through with the cursor. */
async function searchAll(node: TestNode, index: string, query = ''): Promise<Record<string, unknown>[]> {
  const hits: Record<string, unknown>[] = [];
  let after: string | null = null;
  do {
    const r = await postJson(`${node.url}/api/v1/search`, { index, query, size: 1000, sort: 'asc', search_after: after });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    hits.push(...(r.json.hits as Record<string, unknown>[]));
    after = r.json.next;
  } while (after !== null);
  return hits;
}

describe('Elasticsearch-compatible API', () => {
  let node: TestNode;
  let client: Client;
  before(async () => {
    node = await startTestNode({ maxRecordBytes: 4096 });
    // As a shipper would: an API key that may only ingest.
    client = new Client({ node: node.url, auth: { apiKey: await ingestKey(node) } });
  });
  after(async () => {
    await client.close();
    await node.close();
  });

  test('the official client accepts the node: root document, product header, license and health', async () => {
    const info = await client.info();
    assert.equal(info.version.number.split('.')[0], '8');
    assert.equal(info.tagline, 'You Know, for Search');
    const raw = await adminFetch(node.url + '/');
    assert.equal(raw.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal((await adminFetch(node.url + '/', { method: 'HEAD' })).status, 200);
    const lic = (await (await adminFetch(node.url + '/_license')).json()) as { license: { status: string } };
    assert.equal(lic.license.status, 'active');
    const health = await client.cluster.health();
    assert.equal(health.status, 'green');
    const cat = await (await adminFetch(node.url + '/_cat/health')).text();
    assert.match(cat, / strata green /);
    // Template and ILM probes are answered harmlessly: none exists, installing one is acknowledged.
    assert.equal((await adminFetch(node.url + '/_index_template/logs')).status, 404);
    const put = await adminFetch(node.url + '/_index_template/logs', { method: 'PUT', body: '{"index_patterns":["logs-*"]}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await put.json(), { acknowledged: true });
    assert.equal((await adminFetch(node.url + '/_ilm/policy/p', { method: 'PUT', body: '{}' })).status, 200);
  });

  test('the bulk helper ships 5,000 documents and every one is found by search', async () => {
    const docs = Array.from({ length: 5000 }, (_, i) => ({
      '@timestamp': new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      message: `request ${i} served`,
      status: 200 + (i % 5),
      host: { name: `web-${i % 3}` },
    }));
    const stats = await client.helpers.bulk({ datasource: docs, onDocument: () => ({ index: { _index: 'es-helper' } }), flushBytes: 64 * 1024 });
    assert.equal(stats.total, 5000);
    assert.equal(stats.successful, 5000);
    assert.equal(stats.failed, 0);
    const hits = await searchAll(node, 'es-helper');
    assert.equal(hits.length, 5000);
    const seen = new Set(hits.map((h) => h.message));
    for (const d of docs) assert.ok(seen.has(d.message), d.message);
    const one = hits.find((h) => h.message === 'request 7 served')!;
    assert.equal(one['host.name'], 'web-1');
    assert.equal(one.status, 202);
    assert.equal(one['@timestamp'], docs[7]['@timestamp']);
  });

  test('items are answered in request order with their status; ids are honoured and searchable', async () => {
    const res = await client.bulk({
      operations: [
        { create: { _index: 'es-items', _id: 'order-1' } },
        { message: 'first', '@timestamp': 1767225600000 },
        { index: { _index: 'es-items' } },
        { message: 'second' },
        { delete: { _index: 'es-items', _id: 'order-1' } },
        { index: { _index: 'Not Valid' } },
        { message: 'bad index' },
      ],
    });
    assert.equal(res.errors, true);
    assert.deepEqual(res.items.map((it) => Object.keys(it)[0]), ['create', 'index', 'delete', 'index']);
    assert.deepEqual(res.items.map((it) => Object.values(it)[0]!.status), [201, 201, 400, 400]);
    assert.equal(res.items[0].create!._id, 'order-1');
    assert.equal(res.items[0].create!.result, 'created');
    assert.match(res.items[2].delete!.error!.reason!, /append-only/);
    assert.equal(res.items[3].index!.error!.type, 'invalid_index_name_exception');
    const generated = res.items[1].index!._id;
    const hits = await searchAll(node, 'es-items');
    assert.deepEqual(hits.map((h) => [h._id, h.message]).sort(), [[generated, 'second'], ['order-1', 'first']].sort());
    assert.deepEqual((await searchAll(node, 'es-items', '_id:"order-1"')).map((h) => h.message), ['first']);
    // The same, read from a sealed segment.
    assert.equal((await postJson(`${node.url}/api/v1/indices/es-items/flush`, {})).status, 200);
    assert.deepEqual((await searchAll(node, 'es-items')).map((h) => [h._id, h.message]).sort(), [[generated, 'second'], ['order-1', 'first']].sort());
  });

  test('single documents: index, index with an id, create', async () => {
    const a = await client.index({ index: 'es-single', document: { message: 'alpha' } });
    assert.equal(a.result, 'created');
    const b = await client.index({ index: 'es-single', id: 'b-1', document: { message: 'beta' } });
    assert.equal(b._id, 'b-1');
    const c = await client.create({ index: 'es-single', id: 'c-1', document: { message: 'gamma' } });
    assert.equal(c._id, 'c-1');
    const hits = await searchAll(node, 'es-single');
    assert.deepEqual(hits.map((h) => h.message).sort(), ['alpha', 'beta', 'gamma']);
  });

  test('what shippers in the field send: any content type, gzip, CRLF, _type, a trailing line without newline', async () => {
    const body = ['{"index":{"_index":"es-raw","_type":"events"}}', '{"message":"from rsyslog"}', '{"index":{"_type":"_doc"}}', '{"message":"from fluent bit"}'].join('\r\n');
    const r = await adminFetch(`${node.url}/es-raw/_bulk`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
    const j = (await r.json()) as { errors: boolean; items: { index: { status: number } }[] };
    assert.equal(j.errors, false);
    assert.deepEqual(j.items.map((i) => i.index.status), [201, 201]);
    assert.deepEqual((await searchAll(node, 'es-raw')).map((h) => h.message).sort(), ['from fluent bit', 'from rsyslog']);
  });

  test('overload is answered per item with 429 inside a 200, and the helper retries those items until stored', async () => {
    // Hold the node's whole ingest budget, as a flood of other requests would.
    const hold = node.engine.admit(node.engine.cfg.maxInflightBytes);
    const raw = await adminFetch(`${node.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"index":{"_index":"es-busy","_id":"k1"}}\n{"message":"one"}\n{"create":{"_index":"es-busy"}}\n{"message":"two"}\n',
    });
    assert.equal(raw.status, 200);
    const j = (await raw.json()) as { errors: boolean; items: Record<string, { status: number; _id: string | null; error: { type: string } }>[] };
    assert.equal(j.errors, true);
    assert.deepEqual(j.items.map((i) => Object.values(i)[0].status), [429, 429]);
    assert.equal(j.items[0].index._id, 'k1');
    assert.equal(j.items[1].create.error.type, 'es_rejected_execution_exception');
    assert.equal(node.engine.indices.get('es-busy'), undefined, 'nothing was stored');

    setTimeout(hold, 300);
    const docs = Array.from({ length: 50 }, (_, i) => ({ message: `retried ${i}` }));
    const stats = await client.helpers.bulk({ datasource: docs, onDocument: () => ({ index: { _index: 'es-busy' } }), retries: 10, wait: 100 });
    assert.equal(stats.successful, 50);
    assert.equal(stats.failed, 0);
    assert.equal((await searchAll(node, 'es-busy')).length, 50);
  });

  test('metrics count the endpoint: requests, records by outcome, rejections by reason', async () => {
    const text = await (await adminFetch(`${node.url}/metrics`)).text();
    assert.match(text, /strata_ingest_records_total\{endpoint="elasticsearch",outcome="accepted"\} \d+/);
    const accepted = Number(/strata_ingest_records_total\{endpoint="elasticsearch",outcome="accepted"\} (\d+)/.exec(text)![1]);
    assert.equal(accepted, 5000 + 2 + 3 + 2 + 50);
    // The raw request's two items, and each of the helper's 50 at least once before the budget was released.
    const overloaded = Number(/strata_ingest_rejected_total\{endpoint="elasticsearch",reason="overloaded"\} (\d+)/.exec(text)![1]);
    assert.ok(overloaded >= 52, String(overloaded));
    assert.match(text, /strata_ingest_rejected_total\{endpoint="elasticsearch",reason="invalid_field"\} \d+/);
    assert.match(text, /strata_ingest_request_duration_seconds_bucket\{le="[^"]+",endpoint="elasticsearch"\} \d+/);
  });
});

describe('Elasticsearch _id: a record whose id is already stored is not stored again', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-es-ids-'));
  let node: TestNode;
  let client: Client;
  const start = async () => {
    // No seal by age: records not flushed stay in the head, so the restart replays them from the log.
    node = await startTestNode({ dataDir, sealAgeMs: 3_600_000 });
    client = new Client({ node: node.url, auth: { username: 'admin', password: TEST_ADMIN_PASSWORD } });
  };
  before(start);
  after(async () => {
    await client.close();
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Records as issue 4's agent sends them: ids from file identity and offset. */
  const docs = (from: number, n: number) =>
    Array.from({ length: n }, (_, k) => ({ id: `host-${(from + k) % 7}/var/log/app.log:${(from + k) * 512}`, message: `line ${from + k}`, '@timestamp': 1767225600000 + (from + k) * 1000 }));
  const ops = (op: 'create' | 'index', ds: ReturnType<typeof docs>) => ds.flatMap(({ id, ...source }) => [{ [op]: { _index: 'es-ids', _id: id } }, source]);
  const statuses = (items: Record<string, { status: number }>[]) => items.map((it) => Object.values(it)[0].status);
  const count = async () => (await postJson(`${node.url}/api/v1/search`, { index: 'es-ids', size: 0 })).json.total as number;
  const first = docs(0, 300);
  const mid = docs(400, 60);
  const later = docs(300, 100);
  let seqNos: (number | undefined)[] = [];

  /** Sends the records again as `create`: every item must be answered 409, and nothing stored. */
  async function resendRefused(ds: ReturnType<typeof docs>, want: number): Promise<void> {
    const res = await client.bulk({ operations: ops('create', ds) });
    assert.equal(res.errors, true);
    assert.deepEqual(statuses(res.items), ds.map(() => 409));
    const err = res.items[0].create!.error!;
    assert.equal(err.type, 'version_conflict_engine_exception');
    assert.equal(err.reason, `[${ds[0].id}]: version conflict, document already exists (current version [1])`);
    assert.equal(await count(), want);
  }

  test('a bulk sent twice: the second is answered 409 per item; as index, noop; nothing is stored twice', async () => {
    assert.equal((await adminFetch(`${node.url}/api/v1/indices/es-ids`, { method: 'PUT', body: '{"shards":3}' })).status, 200);
    // The request repeats its first id at the end: the first wins.
    const res = await client.bulk({ operations: [...ops('create', first), { create: { _index: 'es-ids', _id: first[0].id } }, { message: 'a duplicate' }] });
    assert.deepEqual(statuses(res.items), [...first.map(() => 201), 409]);
    seqNos = res.items.slice(0, 300).map((it) => it.create!._seq_no);
    assert.equal(await count(), 300);
    // Routed by id, the records spread over the three shards.
    const shards = (await (await adminFetch(`${node.url}/api/v1/indices`)).json()) as { indices: { index: string; shards: { docs: number }[] }[] };
    assert.ok(shards.indices.find((i) => i.index === 'es-ids')!.shards.every((s) => s.docs > 50));

    await resendRefused(first, 300);
    const again = await client.bulk({ operations: ops('index', first) });
    assert.equal(again.errors, false);
    assert.ok(again.items.every((it) => it.index!.status === 200 && it.index!.result === 'noop'));
    // A noop names the record that holds the id, as first stored.
    assert.deepEqual(again.items.map((it) => it.index!._seq_no), seqNos);
    const hits = await searchAll(node, 'es-ids');
    assert.deepEqual(hits.map((h) => h._id).sort(), first.map((d) => d.id).sort());
    assert.equal(hits.find((h) => h._id === first[0].id)!.message, 'line 0');
  });

  test('after the records are sealed and merged', async () => {
    const segments = async () => {
      const j = (await (await adminFetch(`${node.url}/api/v1/indices`)).json()) as { indices: { index: string; shards: { segments: number; headDocs: number }[] }[] };
      return j.indices.find((i) => i.index === 'es-ids')!.shards.map((s) => [s.segments, s.headDocs]);
    };
    assert.equal((await postJson(`${node.url}/api/v1/indices/es-ids/flush`, {})).status, 200);
    assert.equal((await client.bulk({ operations: ops('create', mid) })).errors, false);
    assert.equal((await postJson(`${node.url}/api/v1/indices/es-ids/flush`, {})).status, 200);
    assert.deepEqual(await segments(), [[2, 0], [2, 0], [2, 0]]);
    assert.equal((await postJson(`${node.url}/api/v1/indices/es-ids/flush?merge=true`, {})).status, 200);
    assert.deepEqual(await segments(), [[1, 0], [1, 0], [1, 0]]);
    await resendRefused([...mid, ...first], 360);
    // The helper does not retry 409s: it reports them as dropped documents.
    const dropped: unknown[] = [];
    const stats = await client.helpers.bulk({ datasource: first.slice(0, 40), onDocument: (d) => ({ create: { _index: 'es-ids', _id: d.id } }), onDrop: (d) => dropped.push(d) });
    assert.deepEqual([stats.successful, stats.failed, dropped.length], [0, 40, 40]);
    assert.equal(await count(), 360);
  });

  test('across a restart: sealed records, and records replayed into the head from the log', async () => {
    const res = await client.bulk({ operations: ops('create', later) });
    assert.equal(res.errors, false);
    await client.close();
    await node.close();
    await start();
    const stats = (await (await adminFetch(`${node.url}/api/v1/indices`)).json()) as { indices: { index: string; shards: { headDocs: number }[] }[] };
    assert.equal(stats.indices.find((i) => i.index === 'es-ids')!.shards.reduce((n, s) => n + s.headDocs, 0), 100, 'the unsealed records were replayed');
    await resendRefused([...later.slice(0, 50), ...first, ...mid, ...later.slice(50)], 460);
  });

  test('single documents: _create of an existing id answers 409, _doc with one answers noop', async () => {
    await assert.rejects(
      client.create({ index: 'es-ids', id: first[5].id, document: { message: 'again' } }),
      (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 409 && (e.body as { error: { type: string } }).error.type === 'version_conflict_engine_exception',
    );
    const put = await adminFetch(`${node.url}/es-ids/_create/${encodeURIComponent(later[3].id)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"message":"x"}' });
    assert.equal(put.status, 409);
    const noop = await client.index({ index: 'es-ids', id: first[6].id, document: { message: 'again' } });
    assert.equal(noop.result, 'noop');
    assert.equal(noop._seq_no, seqNos[6]);
    const fresh = await client.create({ index: 'es-ids', id: 'brand-new', document: { message: 'new' } });
    assert.equal(fresh.result, 'created');
    assert.equal(await count(), 461);
    const text = await (await adminFetch(`${node.url}/metrics`)).text();
    // Since the restart: 460 refused by the bulk, then the two 409s and the noop here.
    assert.match(text, /strata_ingest_rejected_total\{endpoint="elasticsearch",reason="conflict"\} 463\n/);
  });
});
