import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../lib/prng.ts';
import { adminFetch, ingest, postJson, startTestNode, type TestNode } from './testing.ts';

type Hit = Record<string, any>;

async function context(node: TestNode, params: Record<string, string>): Promise<{ status: number; json: any }> {
  const res = await adminFetch(`${node.url}/api/v1/context?${new URLSearchParams(params)}`);
  return { status: res.status, json: await res.json() };
}

async function allHits(node: TestNode, index: string): Promise<Hit[]> {
  const s = await postJson(`${node.url}/api/v1/search`, { index, size: 10_000, sort: 'asc' });
  assert.equal(s.status, 200);
  assert.equal(s.json.next, null);
  return s.json.hits;
}

/** What the answer must be, from the whole index in search order. */
function expected(all: Hit[], anchorId: string, same: Record<string, unknown>, size: number) {
  const eq = (h: Hit) => Object.entries(same).every(([f, v]) => (v === null ? !(f in h) : h[f] === v));
  const k = all.findIndex((h) => h._id === anchorId);
  assert.ok(k >= 0);
  return {
    anchor: all[k],
    before: all.slice(0, k).filter(eq).slice(-size),
    after: all.slice(k + 1).filter(eq).slice(0, size),
  };
}

const HOSTS = ['web-1', 'web-1 canary', 'WEB-1', 'web-2'];
const FILES = ['/var/log/a.log', '/var/log/b.log'];

describe('GET /api/v1/context', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
    await adminFetch(`${node.url}/api/v1/indices/ctx`, { method: 'PUT', body: JSON.stringify({ shards: 2 }) });
    const rnd = mulberry32(11);
    const base = Date.parse('2026-04-01T00:00:00Z');
    for (let b = 0; b < 6; b++) {
      const lines = [];
      for (let i = 0; i < 50; i++) {
        const n = b * 50 + i;
        // Three records per millisecond, across batches and shards: ties are broken by shard and offset.
        const rec: Record<string, unknown> = { '@timestamp': base + Math.floor((n * 7) % 300 / 3), message: `line ${n}`, n, host: { name: HOSTS[rnd() % 4] } };
        if (rnd() % 4 !== 0) rec.log = { file: { path: FILES[rnd() % 2] } };
        lines.push(JSON.stringify(rec));
      }
      assert.equal((await ingest(node.url, 'ctx', lines.join('\n'))).json.accepted, 50);
    }
  });
  after(async () => node.close());

  for (const state of ['head', 'sealed']) {
    test(`same host.name and log.file.path by default, exact values only, search order, oldest first (${state})`, async () => {
      if (state === 'sealed') assert.equal((await postJson(`${node.url}/api/v1/indices/ctx/flush`, {})).status, 200);
      const all = await allHits(node, 'ctx');
      assert.equal(all.length, 300);
      let checked = 0;
      let nearMissesSkipped = 0;
      for (const k of [0, 7, 150, 151, 298, 299]) {
        const a = all[k];
        const same: Record<string, unknown> = {};
        if (a['log.file.path'] !== undefined) same['log.file.path'] = a['log.file.path'];
        same['host.name'] = a['host.name'];
        for (const size of [1, 10, 500]) {
          const r = await context(node, { index: 'ctx', id: a._id, size: String(size) });
          assert.equal(r.status, 200, JSON.stringify(r.json));
          assert.deepEqual(Object.keys(r.json), ['anchor', 'same', 'before', 'after']);
          assert.deepEqual(r.json.same, same);
          assert.deepEqual(r.json, { same, ...expected(all, a._id, same, size) });
          checked++;
        }
        if (a['host.name'] === 'web-1') {
          // The phrase also matches "web-1 canary" and "WEB-1": those were read and left out.
          const loose = await postJson(`${node.url}/api/v1/search`, { index: 'ctx', query: 'host.name:"web-1"', size: 0 });
          const exact = all.filter((h) => h['host.name'] === 'web-1').length;
          if (loose.json.total > exact) nearMissesSkipped++;
        }
      }
      assert.equal(checked, 18);
      assert.ok(nearMissesSkipped > 0, 'at least one anchor had near misses to skip');
    });
  }

  test('default size is 10; fields= names the fields (null for one the anchor lacks); an empty list is the whole index', async () => {
    const all = await allHits(node, 'ctx');
    const a = all.find((h) => h['log.file.path'] === undefined)!;
    const dflt = await context(node, { index: 'ctx', id: a._id });
    assert.equal(dflt.status, 200);
    assert.deepEqual(dflt.json, { same: { 'host.name': a['host.name'] }, ...expected(all, a._id, { 'host.name': a['host.name'] }, 10) });

    const named = await context(node, { index: 'ctx', id: a._id, fields: 'log.file.path, n', size: '3' });
    assert.deepEqual(named.json.same, { 'log.file.path': null, n: a.n });
    // n is unique: no other record has it.
    assert.deepEqual(named.json.before, []);
    assert.deepEqual(named.json.after, []);

    const whole = await context(node, { index: 'ctx', id: a._id, fields: '', size: '5' });
    assert.deepEqual(whole.json, { same: {}, ...expected(all, a._id, {}, 5) });
  });

  test("ids: a sender's _id, a generated SHARD-OFFSET id, or shard and offset", async () => {
    const bulk = [
      '{"create":{"_index":"ctx-ids","_id":"1-0"}}',
      '{"@timestamp":1000,"message":"own id that looks generated","service":"api"}',
      '{"create":{"_index":"ctx-ids"}}',
      '{"@timestamp":2000,"message":"generated","service":"api"}',
      '{"create":{"_index":"ctx-ids","_id":"z"}}',
      '{"@timestamp":3000,"message":"own id","service":"api"}',
      '',
    ].join('\n');
    const r = await adminFetch(`${node.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(((await r.json()) as any).errors, false);
    const all = await allHits(node, 'ctx-ids');
    assert.deepEqual(
      all.map((h) => h._id),
      ['1-0', '0-1', 'z'],
    );
    const mid = await context(node, { index: 'ctx-ids', id: '0-1' });
    assert.equal(mid.status, 200);
    assert.deepEqual(mid.json, { same: { service: 'api' }, anchor: all[1], before: [all[0]], after: [all[2]] });
    const own = await context(node, { index: 'ctx-ids', id: '1-0' });
    assert.equal(own.json.anchor.message, 'own id that looks generated');
    const byOffset = await context(node, { index: 'ctx-ids', shard: '0', offset: '2' });
    assert.deepEqual(byOffset.json.anchor, all[2]);
    // "0-0" is the offset of the record known as "1-0": search never shows it under "0-0".
    assert.equal((await context(node, { index: 'ctx-ids', id: '0-0' })).status, 404);
  });

  test('errors: unknown id or index 404, a pattern, a bad size or no id 400, all in the JSON error shape', async () => {
    const cases: [Record<string, string>, number, string, RegExp][] = [
      [{ index: 'ctx', id: 'nope' }, 404, 'not_found', /no record "nope" in index ctx/],
      [{ index: 'ctx', id: '0-99999' }, 404, 'not_found', /no record/],
      [{ index: 'ctx', shard: '9', offset: '0' }, 404, 'not_found', /no record/],
      [{ index: 'nosuch', id: '0-0' }, 404, 'index_not_found', /nosuch/],
      [{ index: 'ctx*', id: '0-0' }, 400, 'invalid_request', /one index name/],
      [{ index: 'ctx', id: '0-0', size: '501' }, 400, 'invalid_request', /"size" must be an integer from 0 to 500/],
      [{ index: 'ctx', id: '0-0', size: '-1' }, 400, 'invalid_request', /"size"/],
      [{ index: 'ctx' }, 400, 'invalid_request', /name the record with "id"/],
      [{ id: '0-0' }, 400, 'invalid_request', /"index" is required/],
      [{ index: 'ctx', id: '0-0', fields: '@timestamp' }, 400, 'invalid_request', /cannot name @timestamp/],
    ];
    for (const [params, status, code, msg] of cases) {
      const r = await context(node, params);
      assert.equal(r.status, status, JSON.stringify(params));
      assert.equal(r.json.error.code, code, JSON.stringify(params));
      assert.match(r.json.error.message, msg);
    }
  });

  test('pages past near misses of the phrase until enough exact matches are found', async () => {
    const lines = [];
    for (let i = 0; i < 400; i++) lines.push(JSON.stringify({ '@timestamp': 9000 + i, i, host: i % 40 === 0 ? 'web-1' : 'web-1 canary' }));
    await ingest(node.url, 'ctx-near', lines.join('\n'));
    const all = await allHits(node, 'ctx-near');
    const r = await context(node, { index: 'ctx-near', id: all[200]._id, size: '3' });
    assert.deepEqual(
      r.json.before.map((h: Hit) => h.i),
      [80, 120, 160],
    );
    assert.deepEqual(
      r.json.after.map((h: Hit) => h.i),
      [240, 280, 320],
    );
    assert.deepEqual(r.json, { same: { host: 'web-1' }, ...expected(all, all[200]._id, { host: 'web-1' }, 3) });
  });

  test('values with quotes, backslashes, no tokens, or fields the query language cannot spell still match exactly', async () => {
    const odd = ['say "hi" \\ there', '---', 'say hi there'];
    const lines = [];
    for (let i = 0; i < 30; i++) lines.push(JSON.stringify({ '@timestamp': 5000 + i, source: odd[i % 3], 'weird key!': odd[i % 3], i }));
    await ingest(node.url, 'ctx-odd', lines.join('\n'));
    const all = await allHits(node, 'ctx-odd');
    for (const k of [0, 1, 2, 15, 29]) {
      const a = all[k];
      const bySource = await context(node, { index: 'ctx-odd', id: a._id, size: '4' });
      assert.deepEqual(bySource.json, { same: { source: a.source }, ...expected(all, a._id, { source: a.source }, 4) });
      const byWeird = await context(node, { index: 'ctx-odd', id: a._id, size: '4', fields: 'weird key!' });
      assert.deepEqual(byWeird.json, { same: { 'weird key!': a['weird key!'] }, ...expected(all, a._id, { 'weird key!': a['weird key!'] }, 4) });
    }
  });
});
