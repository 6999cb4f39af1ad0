import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminFetch, ingest, postJson, startTestNode, type TestNode } from './testing.ts';

type Field = { name: string; type: string };

async function fields(node: TestNode, index?: string): Promise<{ status: number; json: any }> {
  const res = await adminFetch(`${node.url}/api/v1/fields${index === undefined ? '' : `?index=${encodeURIComponent(index)}`}`);
  return { status: res.status, json: await res.json() };
}

const asMap = (fs: Field[]) => Object.fromEntries(fs.map((f) => [f.name, f.type]));

describe('GET /api/v1/fields', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(async () => node.close());

  test('types from the head: string, number, boolean, mixed, nested keys flattened, @timestamp as date, sorted', async () => {
    const lines = [
      { '@timestamp': 1767225600000, message: 'a', status: 200, ok: true, mix: 'x', host: { name: 'web-1' } },
      { '@timestamp': 1767225600001, message: 'b', status: 503, ok: false, mix: 7 },
    ];
    assert.equal((await ingest(node.url, 'fhead', lines.map((l) => JSON.stringify(l)).join('\n'))).json.accepted, 2);
    const r = await fields(node, 'fhead');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.fields, [
      { name: '@timestamp', type: 'date' },
      { name: 'host.name', type: 'string' },
      { name: 'message', type: 'string' },
      { name: 'mix', type: 'mixed' },
      { name: 'ok', type: 'boolean' },
      { name: 'status', type: 'number' },
    ]);
  });

  test('sealed segments answer from their footers, the same types as the head; head and segments combine', async () => {
    const lines = [
      { message: 'sealed one', code: 1, flag: true, word: 'true', level: 'info' },
      { message: 'sealed two', code: 2, flag: false, word: 'maybe', level: 'warn' },
    ];
    await ingest(node.url, 'fseal', lines.map((l) => JSON.stringify(l)).join('\n'));
    const head = asMap((await fields(node, 'fseal')).json.fields);
    assert.equal((await postJson(`${node.url}/api/v1/indices/fseal/flush`, {})).status, 200);
    assert.equal(node.engine.indices.get('fseal')!.shards[0].stats().headDocs, 0, 'everything sealed');
    const sealed = asMap((await fields(node, 'fseal')).json.fields);
    assert.deepEqual(sealed, head);
    assert.deepEqual(sealed, { '@timestamp': 'date', message: 'string', code: 'number', flag: 'boolean', word: 'string', level: 'string' });
    // A later record with another type in the head makes the field mixed; a new field appears.
    await ingest(node.url, 'fseal', JSON.stringify({ code: 'E42', extra: 1.5 }));
    const both = asMap((await fields(node, 'fseal')).json.fields);
    assert.equal(both.code, 'mixed');
    assert.equal(both.extra, 'number');
    assert.equal(both.flag, 'boolean');
    // Merged segments keep what their inputs said.
    assert.equal((await postJson(`${node.url}/api/v1/indices/fseal/flush?merge=true`, {})).status, 200);
    const st = node.engine.indices.get('fseal')!.shards[0].stats();
    assert.deepEqual([st.segments, st.headDocs], [1, 0]);
    assert.deepEqual(asMap((await fields(node, 'fseal')).json.fields), both);
  });

  test('patterns union their indices; a sender _id is not listed as a field; default index is *', async () => {
    const bulk = ['{"index":{"_index":"fpat-a","_id":"x1"}}', '{"message":"m","only_a":"s"}', '{"index":{"_index":"fpat-b"}}', '{"only_a":5,"only_b":true}', ''].join('\n');
    const b = await adminFetch(`${node.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(((await b.json()) as { errors: boolean }).errors, false);
    const r = asMap((await fields(node, 'fpat-*')).json.fields);
    assert.deepEqual(r, { '@timestamp': 'date', message: 'string', only_a: 'mixed', only_b: 'boolean' });
    const one = asMap((await fields(node, 'fpat-a')).json.fields);
    assert.deepEqual(one, { '@timestamp': 'date', message: 'string', only_a: 'string' });
    const all = asMap((await fields(node)).json.fields);
    for (const k of ['only_a', 'only_b', 'status', 'host.name', 'flag']) assert.ok(k in all, k);
    assert.equal('_id' in all, false);
  });

  test('an unknown index name is a 404 in the JSON error shape; a pattern matching nothing lists only @timestamp', async () => {
    const r = await fields(node, 'nosuch');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'index_not_found');
    assert.match(r.json.error.message, /nosuch/);
    const p = await fields(node, 'nosuch-*');
    assert.equal(p.status, 200);
    assert.deepEqual(p.json.fields, [{ name: '@timestamp', type: 'date' }]);
  });
});
