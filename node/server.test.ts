import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adminFetch, ingest, postJson, startTestNode, type TestNode } from './testing.ts';

describe('node HTTP API', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ maxBodyBytes: 1 << 20, maxRecordBytes: 4096 });
  });
  after(async () => node.close());

  test('health answers 200 with JSON, without credentials, and tells nothing about the data', async () => {
    const res = await fetch(`${node.url}/api/v1/health`);
    assert.equal(res.status, 200);
    const j = (await res.json()) as { status: string; version: string };
    assert.deepEqual(Object.keys(j).sort(), ['status', 'version']);
    assert.equal(j.status, 'ok');
    assert.match(j.version, /^\d+\.\d+\.\d+$/);
  });

  test('hits carry the stored record as sent (spacing, escapes, empty records), from the head and from segments', async () => {
    const lines = [
      '{"@timestamp":1767225600001,"message":"plain"}',
      '   {"@timestamp":1767225600002 , "message":"spaced"}   ',
      '{"@timestamp":1767225600003}',
      '{"@timestamp":"2026-01-01T00:00:00.004Z","msg":"\\u00e9 \\"q\\" \\n <b>","n":1.50,"ok":false}',
      '{"message":"no time"}',
    ];
    const r = await ingest(node.url, 'rawhits', lines.join('\n'));
    assert.equal(r.json.accepted, 5);
    const want = (got: Record<string, unknown>[]) => {
      const at = got.find((h) => h.message === 'no time')!['@timestamp'];
      return [
        { _id: '0-4', _index: 'rawhits', '@timestamp': at, message: 'no time' },
        { _id: '0-3', _index: 'rawhits', '@timestamp': '2026-01-01T00:00:00.004Z', msg: 'é "q" \n <b>', n: 1.5, ok: false },
        { _id: '0-2', _index: 'rawhits', '@timestamp': '2026-01-01T00:00:00.003Z' },
        { _id: '0-1', _index: 'rawhits', '@timestamp': '2026-01-01T00:00:00.002Z', message: 'spaced' },
        { _id: '0-0', _index: 'rawhits', '@timestamp': '2026-01-01T00:00:00.001Z', message: 'plain' },
      ];
    };
    for (const state of ['head', 'sealed']) {
      if (state === 'sealed') assert.equal((await postJson(`${node.url}/api/v1/indices/rawhits/flush`, {})).status, 200);
      const res = await adminFetch(`${node.url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index: 'rawhits', size: 10 }) });
      const j = JSON.parse(await res.text()) as { total: number; hits: Record<string, unknown>[]; next: null; took_ms: number };
      assert.equal(j.total, 5, state);
      assert.deepEqual(j.hits, want(j.hits), state);
      // Same keys in the same order as an object would serialize: metadata first, then the record's fields.
      assert.deepEqual(Object.keys(j.hits[1]), ['_id', '_index', '@timestamp', 'msg', 'n', 'ok'], state);
      assert.equal(j.next, null);
      assert.equal(typeof j.took_ms, 'number');
      // In-process callers get the same hits.
      assert.deepEqual(node.engine.search({ index: 'rawhits', query: '', size: 10, sort: 'desc' }).hits, j.hits, state);
    }
  });

  test('metrics say where the CPU time goes: the main thread, seals, merges and the rest', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const cpu = async () => {
      const text = await (await adminFetch(`${node.url}/metrics`)).text();
      const of = (thread: string) => Number(new RegExp(`^strata_cpu_seconds_total\\{thread="${thread}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { main: of('main'), seal: of('seal'), merge: of('merge'), other: of('other') };
    };
    const before = await cpu();
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ '@timestamp': 1767225600000 + i, message: `job ${i} finished in ${i % 977} ms on worker-${i % 13}` }));
    for (let k = 0; k < 2; k++) {
      assert.equal((await ingest(node.url, 'cpu', lines.slice(k * 10_000, (k + 1) * 10_000).join('\n'))).json.accepted, 10_000);
      assert.equal((await postJson(`${node.url}/api/v1/indices/cpu/flush`, {})).status, 200);
    }
    assert.equal((await postJson(`${node.url}/api/v1/indices/cpu/flush?merge=true`, {})).status, 200);
    const after = await cpu();
    assert.ok(after.main > before.main, `main ${before.main} → ${after.main}`);
    assert.ok(after.seal > before.seal, `seal ${before.seal} → ${after.seal}`);
    assert.ok(after.merge > before.merge, `merge ${before.merge} → ${after.merge}`);
    // The threads' shares never add up to more than the process used.
    const total = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    assert.ok(after.main + after.seal + after.merge + after.other <= total + 0.05, JSON.stringify({ after, total }));
  });

  test('ingest stores the good lines and rejects each bad one with its line number and reason', async () => {
    const body = [
      '{"@timestamp":"2026-01-01T00:00:00Z","message":"first good line","level":"info"}',
      'not json at all',
      '',
      '[1,2,3]',
      '{"message":"second good","nested":{"a":{"b":7}}}',
      '{"message":"' + 'x'.repeat(5000) + '"}',
    ].join('\n');
    const r = await ingest(node.url, 'api1', body);
    assert.equal(r.status, 200);
    assert.equal(r.json.accepted, 2);
    assert.equal(r.json.rejected, 3);
    assert.deepEqual(
      r.json.errors.map((e: { line: number }) => e.line),
      [2, 4, 6],
    );
    assert.match(r.json.errors[0].reason, /invalid JSON/);
    assert.match(r.json.errors[1].reason, /expected a JSON object/);
    assert.match(r.json.errors[2].reason, /over the limit of 4096/);
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'api1', query: 'nested.a.b:7' });
    assert.equal(s.status, 200);
    assert.equal(s.json.total, 1);
    assert.equal(s.json.hits[0].message, 'second good');
    assert.equal(s.json.hits[0]['nested.a.b'], 7);
    assert.equal(typeof s.json.hits[0]._id, 'string');
    assert.equal(s.json.hits[0]._index, 'api1');
  });

  test('text/plain lines become messages stamped with the ingest time; CRLF is tolerated', async () => {
    const before = Date.now();
    const r = await ingest(node.url, 'plain', 'alpha one\r\nbeta two\r\n', 'text/plain');
    assert.equal(r.json.accepted, 2);
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'plain', query: 'beta' });
    assert.equal(s.json.total, 1);
    assert.equal(s.json.hits[0].message, 'beta two');
    assert.ok(Date.parse(s.json.hits[0]['@timestamp']) >= before - 1000);
  });

  test('gzip bodies are accepted', async () => {
    const r = await ingest(node.url, 'gz', gzipSync('{"message":"zipped hello"}\n'), 'application/x-ndjson', { 'content-encoding': 'gzip' });
    assert.equal(r.json.accepted, 1);
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'gz', query: 'zipped' });
    assert.equal(s.json.total, 1);
  });

  test('a body over the limit gets 413 and the node stays up', async () => {
    const big = ('{"message":"' + 'y'.repeat(1000) + '"}\n').repeat(1200);
    const r = await ingest(node.url, 'big', big);
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'payload_too_large');
    assert.equal((await adminFetch(`${node.url}/api/v1/health`)).status, 200);
  });

  test('an invalid query answers 400 with the error position', async () => {
    await ingest(node.url, 'q', '{"message":"x"}\n');
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'q', query: 'status:(500 OR 501' });
    assert.equal(s.status, 400);
    assert.equal(s.json.error.code, 'invalid_query');
    assert.equal(s.json.error.position, 7);
  });

  test('bad search requests are 400 with a message naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ index: 'q', size: 10_001 }, /size/],
      [{ index: 'q', sort: 'sideways' }, /sort/],
      [{ index: 'q', from: 'yesterday-ish' }, /from/],
      [{ index: 'q', search_after: 'bm9wZQ' }, /search_after/],
      [{ index: 'q', unknown_key: 1 }, /unknown_key|Unrecognized/i],
      [{ index: 'q', aggs: { h: { date_histogram: { interval: '7 parsecs' } } } }, /interval/],
      [{ index: 'q', aggs: { h: { median: { field: 'x' } } } }, /unknown aggregation/],
    ];
    for (const [body, re] of cases) {
      const s = await postJson(`${node.url}/api/v1/search`, body);
      assert.equal(s.status, 400, JSON.stringify(body));
      assert.match(s.json.error.message, re);
    }
  });

  test('unknown indices are 404; wildcards resolve to what exists', async () => {
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'nope' });
    assert.equal(s.status, 404);
    assert.equal(s.json.error.code, 'index_not_found');
    await ingest(node.url, 'multi-a', '{"message":"shared word"}\n');
    await ingest(node.url, 'multi-b', '{"message":"shared word"}\n{"message":"shared again"}\n');
    const w = await postJson(`${node.url}/api/v1/search`, { index: 'multi-*', query: 'shared' });
    assert.equal(w.json.total, 3);
    const l = await postJson(`${node.url}/api/v1/search`, { index: ['multi-a', 'multi-b'], query: 'word' });
    assert.equal(l.json.total, 2);
  });

  test('index names cannot reach outside the data directory', async () => {
    for (const name of ['..', '..%2F..%2Fetc', 'UPPER', '%2Ftmp%2Fx', 'a%00b', '.%2E']) {
      const r = await ingest(node.url, name, '{"message":"x"}\n');
      // Dot segments (`..`, `.%2E`) are resolved by the URL parser before routing (404); everything else is refused by name (400).
      assert.equal(r.status, name === '..' || name === '.%2E' ? 404 : 400, name);
    }
    assert.equal(existsSync(join(node.dataDir, '..', 'etc')), false);
  });

  test('unknown routes are 404 and wrong methods 405', async () => {
    assert.equal((await adminFetch(`${node.url}/api/v1/nothing`)).status, 404);
    const r = await adminFetch(`${node.url}/api/v1/search`);
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST');
  });

  test('index settings are validated strictly', async () => {
    const bad = await adminFetch(`${node.url}/api/v1/indices/settings-x`, { method: 'PUT', body: JSON.stringify({ shards: 0, color: 'red' }) });
    assert.equal(bad.status, 400);
    const ok = await adminFetch(`${node.url}/api/v1/indices/settings-x`, { method: 'PUT', body: JSON.stringify({ shards: 3, retention: '7d' }) });
    assert.equal(ok.status, 200);
    const j = (await ok.json()) as { settings: { shards: number; retention: string } };
    assert.equal(j.settings.shards, 3);
    const r = await ingest(node.url, 'settings-x', Array.from({ length: 30 }, (_, i) => `{"message":"m ${i}"}`).join('\n'));
    assert.equal(r.json.accepted, 30);
    const s = await postJson(`${node.url}/api/v1/search`, { index: 'settings-x', query: 'm', size: 0 });
    assert.equal(s.json.total, 30);
  });

  test('the node survives random bytes on every endpoint', async () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const paths = ['/api/v1/indices/fuzz/ingest', '/api/v1/search', '/api/v1/indices/fuzz', '/api/v1/indices/fuzz/flush'];
    for (let i = 0; i < 120; i++) {
      const len = Math.floor(rnd() * 2000);
      const body = Buffer.alloc(len);
      for (let k = 0; k < len; k++) body[k] = rnd() < 0.5 ? Math.floor(rnd() * 256) : '{}[]":,\n\\ a1'.charCodeAt(Math.floor(rnd() * 13));
      const path = paths[i % paths.length];
      const method = path.endsWith('fuzz') ? 'PUT' : 'POST';
      const res = await adminFetch(node.url + path, { method, body, headers: { 'content-type': i % 3 === 0 ? 'text/plain' : 'application/json' } });
      assert.ok(res.status < 500, `${path} answered ${res.status}`);
      await res.arrayBuffer();
    }
    assert.equal((await adminFetch(`${node.url}/api/v1/health`)).status, 200);
  });

  test('a malformed URL or percent-encoding is a 400, not a crash', async () => {
    const status = await new Promise<number>((ok, fail) => {
      const req = request(`${node.url}/api/v1/indices/%E0%A4%A/ingest`, { method: 'POST' }, (res) => {
        res.resume();
        ok(res.statusCode!);
      });
      req.on('error', fail);
      req.end('{}');
    });
    assert.equal(status, 400);
  });
});

describe('overload', () => {
  test('too many bytes in flight answers 429 with Retry-After, and later requests succeed', async () => {
    const node = await startTestNode({ maxInflightBytes: 1024 });
    try {
      const line = '{"message":"' + 'z'.repeat(900) + '"}\n';
      const results = await Promise.all(Array.from({ length: 8 }, () => ingest(node.url, 'busy', line.repeat(2))));
      const statuses = results.map((r) => r.status);
      assert.ok(statuses.includes(429), `expected a 429 among ${statuses}`);
      const limited = results.find((r) => r.status === 429)!;
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(limited.json.error.code, 'overloaded');
      const accepted = results.filter((r) => r.status === 200).reduce((a, r) => a + r.json.accepted, 0);
      const s = await postJson(`${node.url}/api/v1/search`, { index: 'busy', size: 0 });
      assert.equal(s.json.total, accepted);
      const again = await ingest(node.url, 'busy', line);
      assert.equal(again.status, 200);
    } finally {
      await node.close();
    }
  });
});

describe('overload: a full head', () => {
  const line = '{"message":"' + 'y'.repeat(900) + '"}\n';
  // The first request fills the head (1 KiB cap; a seal's worth at 5 records); the eight after it come while the
  // seal builds (a pool thread's first task loads its modules first, most of a second). Appends check the head
  // before they are written, so requests sent all at once would all pass.
  const flood = async (url: string) => {
    const first = await ingest(url, 'full', line.repeat(10));
    assert.equal(first.status, 200);
    return [first, ...(await Promise.all(Array.from({ length: 8 }, () => ingest(url, 'full', line.repeat(10)))))];
  };

  test('requests that meet a full head wait for seals to make room, and are all stored', async () => {
    const node = await startTestNode({ maxHeadBytes: 1024, sealDocs: 5, headFullWaitMs: 20_000 });
    try {
      const results = await flood(node.url);
      assert.deepEqual(results.map((r) => r.status), Array(9).fill(200));
      const s = await postJson(`${node.url}/api/v1/search`, { index: 'full', size: 0 });
      assert.equal(s.json.total, 90);
    } finally {
      await node.close();
    }
  });

  test('with headFullWaitMs 0 they are refused at once: 429 with Retry-After, and what was accepted is stored', async () => {
    const node = await startTestNode({ maxHeadBytes: 1024, sealDocs: 5, headFullWaitMs: 0 });
    try {
      const results = await flood(node.url);
      const limited = results.filter((r) => r.status === 429);
      assert.ok(limited.length > 0, `expected a 429 among ${results.map((r) => r.status)}`);
      assert.equal(limited[0].headers.get('retry-after'), '1');
      assert.equal(limited[0].json.error.code, 'overloaded');
      const accepted = results.filter((r) => r.status === 200).reduce((a, r) => a + r.json.accepted, 0);
      const s = await postJson(`${node.url}/api/v1/search`, { index: 'full', size: 0 });
      assert.equal(s.json.total, accepted);
    } finally {
      await node.close();
    }
  });
});

describe('connections', () => {
  test('a sender still uploading a body refused early keeps its connection through a pause of 6 s', async () => {
    // An answer given before the body is read (401 here; 429 and 413 alike) leaves the rest of the body to be
    // read and dropped. With Node's default keep-alive timeout (5 s) counted from that answer, a sender that paused
    // mid-upload (a busy shipper, a flood) had its connection reset, and often lost the answer with it.
    const node = await startTestNode();
    const { connect } = await import('node:net');
    const sock = connect(Number(new URL(node.url).port), '127.0.0.1');
    try {
      let got = '';
      let closed = false;
      sock.on('data', (d) => (got += d.toString('latin1')));
      sock.on('close', () => (closed = true));
      sock.on('error', () => {});
      await new Promise((ok) => sock.once('connect', ok));
      const body = '{"message":"x"}\n'.repeat(200);
      sock.write(`POST /api/v1/indices/paused/ingest HTTP/1.1\r\nhost: a\r\ncontent-type: application/x-ndjson\r\ncontent-length: ${body.length}\r\n\r\n`);
      sock.write(body.slice(0, 1000));
      const waitFor = async (what: string, ok: () => boolean, ms: number) => {
        const end = Date.now() + ms;
        while (!ok()) {
          if (Date.now() > end) throw new Error(`no ${what} in ${ms} ms; got ${JSON.stringify(got.slice(0, 200))}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await waitFor('401', () => got.startsWith('HTTP/1.1 401'), 5000);
      await new Promise((r) => setTimeout(r, 6000));
      assert.equal(closed, false, 'the connection was closed during the pause');
      sock.write(body.slice(1000));
      // The same connection serves the next request.
      sock.write('GET /api/v1/health HTTP/1.1\r\nhost: a\r\n\r\n');
      await waitFor('second answer', () => /HTTP\/1\.1 200/.test(got), 5000);
      assert.equal(closed, false);
    } finally {
      sock.destroy();
      await node.close();
    }
  });
});

describe('a new index written by many requests at once', () => {
  test('its shards are opened once, and every record survives a restart', async () => {
    const dataDir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'strata-create-race-'));
    try {
      let node = await startTestNode({ dataDir });
      // Creates started in one tick (as requests released together by one credential check are) must share one
      // opening: two would give two logs appending to the same files.
      const handles = await Promise.all(Array.from({ length: 4 }, () => node.engine.indices.ensure('race')));
      assert.ok(handles.every((h) => h === handles[0]));
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, b) => node.engine.ingest('race2', Array.from({ length: 25 }, (_, i) => JSON.stringify({ message: `batch ${b} line ${i}` })).join('\n'), 'ndjson')),
      );
      assert.equal(batches.reduce((n, a) => n + a.accepted, 0), 200);
      await node.close();
      node = await startTestNode({ dataDir });
      assert.equal((await postJson(`${node.url}/api/v1/search`, { index: 'race2', query: 'batch', size: 0 })).json.total, 200);
      assert.ok(!node.logs.some((l) => /truncating/.test(l)), node.logs.join('\n'));
      await node.close();
    } finally {
      (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
