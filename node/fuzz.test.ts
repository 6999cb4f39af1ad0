import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { adminFetch, startTestNode, type TestNode } from './testing.ts';

/**
 * Arbitrary bytes at every ingest endpoint of a running node: each answer is a 2xx or 4xx (never a 5xx, never a
 * dropped connection), the node stays healthy, and a valid line sent after the garbage is stored.
 */
describe('fuzzing the ingest endpoints of a node', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ syslogPort: 0, maxBodyBytes: 1 << 16, maxRecordBytes: 1024 });
  });
  after(async () => node.close());

  const endpoints: [string, string[]][] = [
    ['/api/v1/indices/fuzz/ingest', ['application/x-ndjson', 'text/plain']],
    ['/_bulk', ['application/x-ndjson', 'application/json']],
    ['/fuzz/_bulk', ['application/json']],
    ['/fuzz/_doc', ['application/json']],
    ['/loki/api/v1/push?index=fuzz', ['application/json', 'application/x-protobuf', '']],
    ['/v1/logs?index=fuzz', ['application/json', 'application/x-protobuf']],
    ['/api/v1/pipelines/_inline/_simulate', ['application/json']],
  ];
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.string({ maxLength: 400 }).map((s) => new TextEncoder().encode(s)),
    fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
    // Near-valid shapes, so decoders get past their first check.
    fc.constantFrom('{"streams":[{"stream":{},"values":[["1","x"]]}]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}', '{"index":{}}\n{}\n', '{"pipeline":{"processors":[]},"docs":[1]}').map((s) => new TextEncoder().encode(s)),
  );

  test('arbitrary bodies never get a 5xx or a dropped connection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, fc.boolean(), fc.nat(2), async ([path, types], bytes, gzip, t) => {
        const headers: Record<string, string> = { 'content-type': types[t % types.length] };
        let payload: Uint8Array = bytes;
        if (gzip) {
          payload = gzipSync(bytes);
          headers['content-encoding'] = 'gzip';
        }
        const res = await adminFetch(node.url + path, { method: 'POST', headers, body: payload });
        await res.arrayBuffer();
        assert.ok(res.status < 500, `${path} answered ${res.status}`);
      }),
      { numRuns: 400 },
    );
    const health = await adminFetch(node.url + '/api/v1/health');
    assert.equal(health.status, 200);
    const ok = await adminFetch(node.url + '/api/v1/indices/fuzz-after/ingest', { method: 'POST', body: '{"message":"still here"}' });
    assert.equal(((await ok.json()) as { accepted: number }).accepted, 1);
  });

  test('arbitrary bytes on the syslog port, UDP and TCP, are stored as text or refused, and the receiver keeps serving', async () => {
    const port = node.syslogPort!;
    const udp = createSocket('udp4');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 1500 }), fc.boolean(), async (bytes, viaTcp) => {
        if (!viaTcp) {
          await new Promise<void>((ok, fail) => udp.send(bytes, port, '127.0.0.1', (e) => (e ? fail(e) : ok())));
          return;
        }
        await new Promise<void>((ok, fail) => {
          const s = connect(port, '127.0.0.1', () => s.end(bytes));
          s.on('close', () => ok());
          s.on('error', fail);
        });
      }),
      { numRuns: 200 },
    );
    udp.close();
    await new Promise<void>((ok, fail) => {
      const s = connect(port, '127.0.0.1', () => s.end('<13>1 - host app - - - after the fuzz\n'));
      s.on('close', () => ok());
      s.on('error', fail);
    });
    const until = Date.now() + 10_000;
    for (;;) {
      const r = await adminFetch(node.url + '/api/v1/search', { method: 'POST', body: JSON.stringify({ index: 'syslog', query: '"after the fuzz"', size: 0 }) });
      if (r.status === 200 && ((await r.json()) as { total: number }).total === 1) break;
      assert.ok(Date.now() < until, 'the message sent after the fuzz was not stored');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
