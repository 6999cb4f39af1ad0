/**
 * What a caller may read or write is enforced at the level of indices, through every path records leave or enter
 * the node by: searches over wildcards and lists, aggregations, fields, live tail, surrounding lines, saved
 * searches, and each ingest protocol. The audit index is the node's alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TailClient } from '../tail-client.testing.ts';
import { adminFetch, ingest, postJson, startTestNode, waitFor, type TestNode } from '../testing.ts';
import { AUDIT_INDEX } from './index.ts';

const WEB = 30;
const APP = 20;

describe('index-level privileges', () => {
  let node: TestNode;
  let readApp: string;
  let ingestWeb: string;
  let webby: string;
  let editor: string;

  const search = async (authorization: string, body: Record<string, unknown>) => {
    const res = await adminFetch(`${node.url}/api/v1/search`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };

  before(async () => {
    node = await startTestNode();
    const rec = (svc: string, i: number, extra: object) => JSON.stringify({ '@timestamp': 1_700_000_000_000 + i * 1000, message: `request ${i} served by ${svc}`, svc, ...extra });
    assert.equal((await ingest(node.url, 'web-1', Array.from({ length: WEB }, (_, i) => rec('web', i, { web_only: i })).join('\n'))).json.accepted, WEB);
    assert.equal((await ingest(node.url, 'app-1', Array.from({ length: APP }, (_, i) => rec('app', i, { app_only: i })).join('\n'))).json.accepted, APP);
    const key = async (indices: string[], actions: string[]) => `ApiKey ${(await postJson(`${node.url}/api/v1/security/api_keys`, { name: 'scoped', privileges: [{ indices, actions }] })).json.encoded}`;
    readApp = await key(['app-*'], ['read']);
    ingestWeb = await key(['web-*'], ['ingest']);
    assert.equal((await adminFetch(`${node.url}/api/v1/security/roles/web_reader`, { method: 'PUT', body: JSON.stringify({ indices: [{ indices: ['web-*'], actions: ['read'] }] }) })).status, 200);
    assert.equal((await postJson(`${node.url}/api/v1/security/users`, { username: 'webby', password: 'webby-password', role: 'web_reader' })).status, 201);
    assert.equal((await postJson(`${node.url}/api/v1/security/users`, { username: 'ed', password: 'ed-password', role: 'editor' })).status, 201);
    webby = `Basic ${Buffer.from('webby:webby-password').toString('base64')}`;
    editor = `Basic ${Buffer.from('ed:ed-password').toString('base64')}`;
  });
  after(() => node.close());

  test('a wildcard reaches only readable indices: hits, totals, terms and histogram counts alike', async () => {
    const aggs = { svc: { terms: { field: 'svc' } }, t: { date_histogram: { field: '@timestamp', fixed_interval: '1h' } } };
    const r = await search(readApp, { index: '*', query: 'request', size: 100, aggs });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.total, APP);
    assert.deepEqual(new Set(r.json.hits.map((h: any) => h._index)), new Set(['app-1']));
    assert.deepEqual(r.json.aggs.svc.buckets.map((b: any) => [b.key, b.count ?? b.doc_count]), [['app', APP]]);
    assert.equal(r.json.aggs.t.buckets.reduce((n: number, b: any) => n + (b.count ?? b.doc_count), 0), APP);
    // The same search as the admin sees both: the narrowing is the caller's, not the data's.
    assert.equal((await search(`Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`, { index: '*', query: 'request', size: 0 })).json.total, WEB + APP);
    // A list mixing patterns: each pattern narrowed the same way.
    assert.equal((await search(webby, { index: 'web-*,app-*', query: '', size: 0 })).json.total, WEB);
  });

  test('a named index the caller may not read is refused, before its existence is told', async () => {
    for (const index of ['web-1', 'app-1,web-1', 'no-such-index']) {
      const r = await search(readApp, { index, query: '' });
      assert.equal(r.status, 403, `${index}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, 'forbidden');
    }
    // One it could read but that does not exist is a plain 404.
    assert.equal((await search(readApp, { index: 'app-zzz', query: '' })).status, 404);
  });

  test('fields, indices and surrounding lines follow the same rule', async () => {
    const fields = (await (await adminFetch(`${node.url}/api/v1/fields?index=*`, { headers: { authorization: readApp } })).json()) as any;
    const names = fields.fields.map((f: any) => f.name);
    assert.ok(names.includes('app_only') && !names.includes('web_only'), names.join(','));
    const indices = (await (await adminFetch(`${node.url}/api/v1/indices`, { headers: { authorization: webby } })).json()) as any;
    assert.deepEqual(indices.indices.map((i: any) => i.index), ['web-1']);
    const hit = (await search(webby, { index: 'web-1', query: '', size: 1 })).json.hits[0];
    const ctx = (auth: string) => adminFetch(`${node.url}/api/v1/context?index=web-1&id=${encodeURIComponent(hit._id)}`, { headers: { authorization: auth } });
    assert.equal((await ctx(webby)).status, 200);
    assert.equal((await ctx(readApp)).status, 403);
  });

  test('live tail of * carries only records of readable indices, including indices created after it began', async () => {
    const tail = await TailClient.open(node, { index: '*', query: '' }, readApp);
    try {
      assert.equal((await tail.next()).event, 'ready');
      assert.equal((await ingest(node.url, 'web-2', '{"message":"secret web line"}\n')).status, 200);
      assert.equal((await ingest(node.url, 'app-2', '{"message":"app line"}\n')).status, 200);
      const got = await tail.collect(1);
      assert.deepEqual(got.hits.map((h: any) => [h._index, h.message]), [['app-2', 'app line']]);
      await assert.rejects(tail.next(700), /no event within/);
    } finally {
      tail.close();
    }
    const refused = await adminFetch(`${node.url}/api/v1/tail?index=web-1`, { headers: { authorization: readApp } });
    assert.equal(refused.status, 403);
  });

  test('saved searches: seen and saved only over readable indices; others are not found', async () => {
    const save = (auth: string, index: string) =>
      adminFetch(`${node.url}/api/v1/saved_searches`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `over ${index}`, query: '', index }) });
    const web = (await (await save(editor, 'web-*')).json()) as any;
    const app = (await (await save(editor, 'app-1')).json()) as any;
    const list = (await (await adminFetch(`${node.url}/api/v1/saved_searches`, { headers: { authorization: webby } })).json()) as any;
    assert.deepEqual(list.saved_searches.map((s: any) => s.id), [web.id]);
    assert.equal((await adminFetch(`${node.url}/api/v1/saved_searches/${app.id}`, { headers: { authorization: webby } })).status, 404);
    assert.equal((await adminFetch(`${node.url}/api/v1/saved_searches/${web.id}`, { headers: { authorization: webby } })).status, 200);
    // A custom role without save_objects cannot save at all; an editor cannot save over the audit index.
    assert.equal((await save(webby, 'web-*')).status, 403);
    assert.equal((await save(editor, AUDIT_INDEX)).status, 403);
  });

  test('ingest: only into allowed indices, by every protocol; a bulk stores the allowed items and refuses the rest', async () => {
    const post = (path: string, body: string, ct = 'application/x-ndjson') => adminFetch(`${node.url}${path}`, { method: 'POST', headers: { authorization: ingestWeb, 'content-type': ct }, body });
    assert.equal((await post('/api/v1/indices/web-3/ingest', '{"message":"ok"}')).status, 200);
    assert.equal((await post('/api/v1/indices/app-3/ingest', '{"message":"no"}')).status, 403);
    assert.equal((await post('/loki/api/v1/push?index=app-3', JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [['1700000000000000000', 'x']] }] }), 'application/json')).status, 403);
    const bulk = await post('/_bulk', '{"index":{"_index":"web-3"}}\n{"message":"yes"}\n{"index":{"_index":"app-3"}}\n{"message":"no"}\n');
    const items = ((await bulk.json()) as any).items.map((i: any) => i.index.status);
    assert.deepEqual(items, [201, 403]);
    // The key cannot read what it wrote, and nothing reached app-3.
    assert.equal((await search(ingestWeb, { index: 'web-3', query: '' })).status, 403);
    assert.equal((await search(`Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`, { index: 'app-*', query: 'no', size: 0 })).json.total, 0);
  });

  test('a pipeline cannot carry records into an index the caller may not ingest into', async () => {
    const put = await adminFetch(`${node.url}/api/v1/pipelines/reroute`, { method: 'PUT', body: JSON.stringify({ processors: [{ route: { index: 'app-9', if: 'level:error' } }] }) });
    assert.equal(put.status, 201, await put.text());
    const send = (body: string) =>
      adminFetch(`${node.url}/api/v1/indices/web-4/ingest?pipeline=reroute`, { method: 'POST', headers: { authorization: ingestWeb, 'content-type': 'application/x-ndjson' }, body });
    // Records the pipeline leaves in web-4 are stored; one it routes to app-9 refuses the request.
    assert.equal((await send('{"message":"kept","level":"info"}')).status, 200);
    const r = await send('{"message":"rerouted","level":"error"}');
    assert.equal(r.status, 403, await r.text());
    const admin = `Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`;
    assert.equal((await search(admin, { index: 'app-*', query: 'rerouted', size: 0 })).json.total, 0);
  });

  test('the audit index: written by the node alone, read with manage_security only, out of wildcards', async () => {
    const admin = `Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`;
    await adminFetch(`${node.url}/api/v1/search`, { method: 'POST', headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' }, body: '{}' });
    await waitFor(async () => (await search(admin, { index: AUDIT_INDEX, query: 'authentication_failed', size: 0 })).json.total >= 1, 5000, 'the failure to be audited');
    const events = (await search(admin, { index: AUDIT_INDEX, query: '', size: 1000 })).json.hits;
    const actions = new Set(events.map((e: any) => e['event.action']));
    for (const a of ['authentication_failed', 'api_key_created', 'user_created', 'role_changed', 'access_denied', 'api_key_used']) assert.ok(actions.has(a), `${a} in ${[...actions]}`);
    const denied = events.find((e: any) => e['event.action'] === 'access_denied');
    assert.ok(denied['user.name'] && denied['source.ip'] && denied['event.target'], JSON.stringify(denied));
    assert.equal((await search(admin, { index: '*', query: 'authentication_failed', size: 0 })).json.total, 0);
    assert.equal((await search(editor, { index: AUDIT_INDEX, query: '' })).status, 403);
    assert.equal((await search(editor, { index: 'strata-*', query: '', size: 0 })).json.total, 0);
    assert.equal((await ingest(node.url, AUDIT_INDEX, '{"message":"forged"}')).status, 403);
  });
});
