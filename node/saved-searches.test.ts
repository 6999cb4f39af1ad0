import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SavedSearchStore } from './saved-searches.ts';
import { adminFetch, startTestNode, type TestNode } from './testing.ts';

async function call(node: TestNode, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await adminFetch(`${node.url}/api/v1/saved_searches${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const KEYS = ['id', 'name', 'query', 'index', 'from', 'to', 'columns', 'created_at', 'updated_at'];

describe('saved searches', () => {
  test('create, read, list by name, replace, delete; survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-saved-'));
    try {
      let node = await startTestNode({ dataDir });
      const a = await call(node, 'POST', '', { name: 'Zeta errors', query: 'level:error', index: 'web-*', from: 'now-15m', to: 'now', columns: ['host.name', 'message'] });
      assert.equal(a.status, 201);
      assert.deepEqual(Object.keys(a.json), KEYS);
      assert.match(a.json.id, /^[A-Za-z0-9_-]{12,}$/);
      assert.equal(a.json.from, 'now-15m');
      assert.equal(a.json.created_at, a.json.updated_at);
      assert.ok(!Number.isNaN(Date.parse(a.json.created_at)));
      const b = await call(node, 'POST', '', { name: 'Alpha', query: '', index: 'demo' });
      assert.equal(b.status, 201);
      assert.deepEqual([b.json.from, b.json.to, b.json.columns], [null, null, []]);
      assert.notEqual(a.json.id, b.json.id);

      const list = await call(node, 'GET', '');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json.saved_searches.map((s: any) => s.name),
        ['Alpha', 'Zeta errors'],
      );
      assert.deepEqual((await call(node, 'GET', `/${a.json.id}`)).json, a.json);

      await new Promise((r) => setTimeout(r, 5));
      const put = await call(node, 'PUT', `/${a.json.id}`, { name: 'Beta', query: 'status>=500', index: 'web-1', to: null });
      assert.equal(put.status, 200);
      assert.deepEqual({ ...put.json, updated_at: 0 }, { id: a.json.id, name: 'Beta', query: 'status>=500', index: 'web-1', from: null, to: null, columns: [], created_at: a.json.created_at, updated_at: 0 });
      assert.ok(put.json.updated_at > a.json.updated_at);

      const del = await call(node, 'DELETE', `/${b.json.id}`);
      assert.deepEqual([del.status, del.json], [200, { deleted: true }]);
      assert.equal((await call(node, 'GET', `/${b.json.id}`)).status, 404);
      assert.equal((await call(node, 'DELETE', `/${b.json.id}`)).status, 404);

      await node.close();
      const onDisk = JSON.parse(readFileSync(join(dataDir, 'saved-searches.json'), 'utf8'));
      assert.equal(onDisk.version, 1);
      node = await startTestNode({ dataDir });
      const after = await call(node, 'GET', '');
      assert.deepEqual(after.json.saved_searches, [put.json]);
      await node.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('validation: each problem is a 400 naming it, in the JSON error shape; unknown ids are 404', async () => {
    const node = await startTestNode();
    try {
      const ok = { name: 'n', query: 'a', index: 'i' };
      const cases: [unknown, number, string, RegExp][] = [
        [{ ...ok, colour: 'red', size: 3 }, 400, 'invalid_config', /Unrecognized keys: "colour", "size"/],
        [{ ...ok, name: '' }, 400, 'invalid_config', /name/],
        [{ ...ok, name: 'x'.repeat(201) }, 400, 'invalid_config', /name/],
        [{ ...ok, query: 'level:(error' }, 400, 'invalid_query', /missing '\)' for this '\(' \(at position 6\)/],
        [{ ...ok, query: 'x'.repeat(16_385) }, 400, 'invalid_config', /query/],
        [{ ...ok, index: '' }, 400, 'invalid_config', /index/],
        [{ name: 'n', query: 'a' }, 400, 'invalid_config', /index/],
        [{ ...ok, from: 5 }, 400, 'invalid_config', /from/],
        [{ ...ok, columns: Array.from({ length: 51 }, (_, i) => `c${i}`) }, 400, 'invalid_config', /columns/],
        [{ ...ok, columns: 'message' }, 400, 'invalid_config', /columns/],
        [[ok], 400, 'invalid_config', /expected object/],
        ['{not json', 400, 'invalid_request', /not valid JSON/],
      ];
      for (const [body, status, code, msg] of cases) {
        const r = await call(node, 'POST', '', body);
        assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
        assert.equal(r.json.error.code, code, JSON.stringify(body).slice(0, 80));
        assert.match(r.json.error.message, msg);
      }
      assert.equal((await call(node, 'GET', '')).json.saved_searches.length, 0, 'nothing refused was stored');
      const q = await call(node, 'POST', '', { ...ok, query: 'a)' });
      assert.equal(q.json.error.position, 1);
      assert.equal((await call(node, 'GET', '/nope')).status, 404);
      const put = await call(node, 'PUT', '/nope', ok);
      assert.equal(put.status, 404);
      assert.equal(put.json.error.code, 'not_found');
      // A PUT with a bad body to an existing id changes nothing.
      const made = await call(node, 'POST', '', ok);
      assert.equal((await call(node, 'PUT', `/${made.json.id}`, { ...ok, extra: 1 })).status, 400);
      assert.deepEqual((await call(node, 'GET', `/${made.json.id}`)).json, made.json);
    } finally {
      await node.close();
    }
  });

  test('the store keeps at most 10,000 (409 beyond) and refuses a corrupt file at start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-saved-'));
    try {
      // Written as a node would have left it, rather than 10,000 fsynced requests.
      const now = new Date().toISOString();
      const list = Array.from({ length: 10_000 }, (_, i) => ({ id: `id${String(i).padStart(10, '0')}`, name: `s${i}`, query: '', index: 'x', from: null, to: null, columns: [], created_at: now, updated_at: now }));
      writeFileSync(join(dataDir, 'saved-searches.json'), JSON.stringify({ version: 1, saved_searches: list }));
      const node = await startTestNode({ dataDir });
      const full = await call(node, 'POST', '', { name: 'one more', query: '', index: 'x' });
      await node.close();
      assert.equal(full.status, 409);
      assert.equal(full.json.error.code, 'conflict');
      const store = SavedSearchStore.open(dataDir);
      assert.equal(store.list().length, 10_000);
      assert.throws(
        () => store.create({ name: 'one more', query: '', index: 'x' }),
        (e: any) => e.code === 'conflict' && e.httpStatus === 409 && /10000 saved searches/.test(e.message),
      );
      store.delete('id0000000000');
      assert.equal(store.create({ name: 'one more', query: '', index: 'x' }).name, 'one more');
      writeFileSync(join(dataDir, 'saved-searches.json'), '{"version":1,"saved_searches":[{"id":"a"}]}');
      assert.throws(() => SavedSearchStore.open(dataDir), (e: any) => e.code === 'storage_corrupt' && /saved-searches\.json/.test(e.message));
      writeFileSync(join(dataDir, 'saved-searches.json'), '{');
      assert.throws(() => SavedSearchStore.open(dataDir), (e: any) => e.code === 'storage_corrupt' && /not valid JSON/.test(e.message));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
