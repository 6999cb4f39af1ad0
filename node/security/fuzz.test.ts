/**
 * Arbitrary credentials and queries against a running node: every answer is a 4xx (or a 2xx for a query), never a
 * 5xx or a dropped connection, and no random header is ever taken for a caller.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import fc from 'fast-check';
import { ADMIN_AUTH, startTestNode, type TestNode } from '../testing.ts';

/** A raw request (fetch refuses headers that are not valid ByteStrings; a hostile client sends them anyway). */
function raw(url: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

describe('fuzzing authentication and queries', () => {
  let node: TestNode;
  before(async () => {
    // A high failure limit: this test is about parsing, not about being told to slow down.
    node = await startTestNode({ authFailuresPerMinute: 1_000_000, loginFailureLimit: 1_000_000 });
  });
  after(() => node.close());

  const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
  const header = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.tuple(fc.constantFrom('Basic', 'basic', 'ApiKey', 'Bearer', 'bearer', 'Digest', ''), fc.string({ maxLength: 200 })).map(([s, v]) => `${s} ${v}`),
    fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
    fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 80 })).map(([id, s]) => `ApiKey ${b64(`${id}:${s}`)}`),
    fc.string({ maxLength: 100 }).map((s) => `Bearer sst_${s}`),
    fc.constant(`Basic ${'A'.repeat(20_000)}`),
  );

  test('arbitrary Authorization headers are refused with a 4xx, never served, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        // Header values must be latin-1 without line breaks on the wire; strip what no client could send.
        const value = h.replace(/[^\x20-\x7e\x80-\xff\t]/g, '');
        const r = await raw(node.url, '/api/v1/search', { authorization: value }, '{"index":"*"}');
        // 431: a header past Node's size limit, refused before any route sees it.
        assert.ok([400, 401, 429, 431].includes(r.status), `${JSON.stringify(value).slice(0, 120)} → ${r.status} ${r.text.slice(0, 200)}`);
      }),
      { numRuns: 400, seed: 6 },
    );
    // And the node still serves the real caller.
    const after = await raw(node.url, '/api/v1/search', { authorization: ADMIN_AUTH }, '{"index":"*","size":0}');
    assert.equal(after.status, 200, after.text);
  });

  test('arbitrary queries by an authenticated caller: 200 or a 400 naming the problem, never a 5xx', async () => {
    await raw(node.url, '/api/v1/indices/q/ingest', { authorization: ADMIN_AUTH, 'content-type': 'application/x-ndjson' }, '{"message":"alpha beta 10.0.0.1","n":3}\n{"message":"gamma"}');
    const query = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.array(fc.constantFrom('alpha', 'a*', '"alpha beta"', 'n>=2', 'n:[1 TO 5]', 'AND', 'OR', 'NOT', '(', ')', '-', 'message:', '*', ':', '"', '[', 'TO', ']'), { maxLength: 12 }).map((a) => a.join(' ')),
    );
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const r = await raw(node.url, '/api/v1/search', { authorization: ADMIN_AUTH }, JSON.stringify({ index: 'q', query: q, size: 5 }));
        assert.ok(r.status === 200 || r.status === 400, `${JSON.stringify(q)} → ${r.status} ${r.text.slice(0, 200)}`);
        if (r.status === 400) assert.equal(JSON.parse(r.text).error.code, 'invalid_query');
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
