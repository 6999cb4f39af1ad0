import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { compressSync as snappy } from 'snappy';
import { compress as zstd } from 'zstd-napi';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { adminFetch, ingest, postJson, startTestNode, type TestNode, waitFor } from './testing.ts';
import { ingestKey } from './security/testing.ts';

async function search(node: TestNode, index: string, query = '', size = 1000): Promise<{ total: number; hits: Record<string, any>[] }> {
  const r = await postJson(`${node.url}/api/v1/search`, { index, query, size, sort: 'asc' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

/** Protobuf wire format, written by field number: independent of any schema under test. */
class Wire {
  private parts: Buffer[] = [];
  private varint(v: bigint): void {
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      out.push(b);
    } while (v > 0n);
    this.parts.push(Buffer.from(out));
  }
  bytes(field: number, b: Buffer | Wire): this {
    const buf = b instanceof Wire ? b.done() : b;
    this.varint(BigInt((field << 3) | 2));
    this.varint(BigInt(buf.length));
    this.parts.push(buf);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s));
  }
  int(field: number, v: number | bigint): this {
    this.varint(BigInt(field << 3));
    this.varint(BigInt(v));
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

describe('ingest protocols on a node', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ syslogPort: 0, syslogIndex: 'sys', maxBodyBytes: 1 << 20, maxRecordBytes: 8192 });
  });
  after(async () => node.close());

  test('native ingest takes gzip, deflate and zstd bodies; an unknown encoding is 415; a body that inflates past the limit is 413', async () => {
    const lines = (tag: string) => ['{"message":"enc ' + tag + ' a"}', '{"message":"enc ' + tag + ' b"}'].join('\n');
    for (const [enc, body] of [['gzip', gzipSync(lines('gzip'))], ['zstd', zstd(Buffer.from(lines('zstd')))], ['identity', Buffer.from(lines('plain'))]] as const) {
      const r = await ingest(node.url, 'enc', body, 'application/x-ndjson', { 'content-encoding': enc });
      assert.equal(r.status, 200, `${enc}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.accepted, 2, enc);
    }
    assert.equal((await search(node, 'enc')).total, 6);
    assert.equal((await ingest(node.url, 'enc', 'x', 'text/plain', { 'content-encoding': 'br' })).status, 415);
    const bomb = zstd(Buffer.alloc(4 << 20, 0x61));
    assert.ok(bomb.length < 1 << 20);
    const r = await ingest(node.url, 'enc', bomb, 'text/plain', { 'content-encoding': 'zstd' });
    assert.equal(r.status, 413);
    assert.equal((await search(node, 'enc')).total, 6, 'nothing of the refused bodies was stored');
  });

  test('an unparseable @timestamp is stored with the ingest time and named in the answer', async () => {
    const r = await ingest(node.url, 'ts-warn', '{"@timestamp":"not a time","message":"a"}\n{"@timestamp":1767225600000,"message":"b"}');
    assert.equal(r.json.accepted, 2);
    assert.deepEqual(r.json.warnings.map((w: { line: number }) => w.line), [1]);
    assert.match(r.json.warnings[0].reason, /"not a time" is not ISO 8601/);
  });

  test('Loki push: JSON (gzip) and protobuf with snappy; labels and structured metadata become fields', async () => {
    const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
    const json = {
      streams: [
        { stream: { app: 'web', env: 'prod' }, values: [[ns(1767225600000), 'GET /index 200'], [ns(1767225601000), 'GET /cart 500', { trace_id: 'abc' }]] },
      ],
    };
    const r1 = await adminFetch(`${node.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(json)) });
    assert.equal(r1.status, 204, await r1.text());
    const entry = (sec: number, line: string) => new Wire().bytes(1, new Wire().int(1, sec).int(2, 5)).str(2, line);
    const push = new Wire().bytes(1, new Wire().str(1, '{app="api", region="eu-1"}').bytes(2, entry(1767225602, 'proto line one')).bytes(2, entry(1767225603, 'proto line two')));
    const r2 = await adminFetch(`${node.url}/loki/api/v1/push?index=loki`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: snappy(push.done()) });
    assert.equal(r2.status, 204, await r2.text());
    const { hits } = await search(node, 'loki');
    assert.deepEqual(
      hits.map((h) => [h['@timestamp'], h.message, h.app, h.env ?? h.region, h.trace_id]),
      [
        ['2026-01-01T00:00:00.000Z', 'GET /index 200', 'web', 'prod', undefined],
        ['2026-01-01T00:00:01.000Z', 'GET /cart 500', 'web', 'prod', 'abc'],
        ['2026-01-01T00:00:02.000Z', 'proto line one', 'api', 'eu-1', undefined],
        ['2026-01-01T00:00:03.000Z', 'proto line two', 'api', 'eu-1', undefined],
      ],
    );
    // A bad entry is answered 400 with its reason; the good one beside it is stored.
    const bad = { streams: [{ stream: { app: 'web' }, values: [['not-a-time', 'lost'], [ns(1767225604000), 'kept despite a bad neighbour']] }] };
    const r3 = await adminFetch(`${node.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    assert.equal(r3.status, 400);
    assert.match(await r3.text(), /1 stored, 1 rejected:\nentry 1: /);
    assert.equal((await search(node, 'loki', '"bad neighbour"')).total, 1);
  });

  for (const kind of ['json', 'protobuf'] as const) {
    test(`OTLP logs from the OpenTelemetry SDK's ${kind} exporter are stored with resource and record attributes`, async () => {
      const url = `${node.url}/v1/logs?index=otel-${kind}`;
      const headers = { authorization: `ApiKey ${await ingestKey(node)}` };
      const exporter = kind === 'json' ? new JsonLogExporter({ url, headers }) : new ProtoLogExporter({ url, headers });
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'checkout' }),
        processors: [new BatchLogRecordProcessor({ exporter })],
      });
      const logger = provider.getLogger('strata-node-test');
      for (let i = 0; i < 20; i++) {
        logger.emit({
          timestamp: 1767225600000 + i,
          severityNumber: i % 2 ? SeverityNumber.ERROR : SeverityNumber.INFO,
          body: `order ${i} placed`,
          attributes: { 'order.id': i, paid: i % 3 === 0 },
        });
      }
      await provider.forceFlush();
      await provider.shutdown();
      const { total, hits } = await search(node, `otel-${kind}`);
      assert.equal(total, 20);
      assert.deepEqual(hits.map((h) => h.message), Array.from({ length: 20 }, (_, i) => `order ${i} placed`));
      assert.equal(hits[3]['service.name'], 'checkout');
      assert.equal(hits[3]['order.id'], 3);
      assert.equal(hits[3].paid, true);
      assert.equal(hits[3].level, 'error');
      assert.equal(hits[4].level, 'info');
      assert.equal(hits[3]['@timestamp'], '2026-01-01T00:00:00.003Z');
      assert.equal((await search(node, `otel-${kind}`, 'level:error paid:true')).total, 3);
    });
  }

  test('syslog: util-linux logger over UDP and TCP, RFC 5424 and 3164, lands in the syslog index', { skip: existsSync('/usr/bin/logger') ? false : 'logger not installed' }, async () => {
    const port = String(node.syslogPort);
    const send = (args: string[], msg: string) => execFileSync('/usr/bin/logger', ['-n', '127.0.0.1', '-P', port, ...args, msg]);
    send(['--udp', '--rfc5424', '-t', 'app5424', '-p', 'local3.err'], 'udp five four two four');
    send(['--tcp', '--rfc3164', '-t', 'app3164', '-p', 'auth.info'], 'tcp three one six four');
    send(['--tcp', '--octet-count', '--rfc5424', '-t', 'appoct', '-p', 'daemon.warning'], 'tcp octet counted');
    let hits: Record<string, any>[] = [];
    await waitFor(async () => (hits = (await search(node, 'sys').catch(() => ({ hits: [] }))).hits).length >= 3, 10_000, 'three syslog messages');
    const by = (app: string) => hits.find((h) => h.app === app)!;
    assert.equal(by('app5424').message, 'udp five four two four');
    assert.equal(by('app5424').level, 'error');
    assert.equal(by('app5424').facility, 'local3');
    assert.equal(by('app3164').message, 'tcp three one six four');
    assert.equal(by('app3164').facility, 'auth');
    assert.equal(by('appoct').level, 'warning');
    const metrics = await (await adminFetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /strata_syslog_messages_total\{transport="tcp"\} 2/);
    assert.match(metrics, /strata_ingest_records_total\{endpoint="syslog-udp",outcome="accepted"\} 1/);
  });

  test('pipelines: stored, listed, simulated, attached as an index default, and refused when in use', async () => {
    const def = {
      description: 'access lines',
      processors: [
        { grok: { field: 'message', patterns: ['%{IPORHOST:client.ip} %{WORD:http.method} %{NOTSPACE:url.path} %{INT:http.status:int}'] } },
        { lowercase: { fields: ['http.method'] } },
        { drop_if: { query: 'url.path:"/health"' } },
        { route: { index: 'web-errors', if: 'http.status>=500' } },
      ],
    };
    const put = await adminFetch(`${node.url}/api/v1/pipelines/access`, { method: 'PUT', body: JSON.stringify(def) });
    assert.equal(put.status, 201, await put.text());
    const bad = await adminFetch(`${node.url}/api/v1/pipelines/broken`, { method: 'PUT', body: JSON.stringify({ processors: [{ rename: { field: 'a' } }] }) });
    assert.equal(bad.status, 400);
    const sim = await postJson(`${node.url}/api/v1/pipelines/access/_simulate`, { docs: ['10.0.0.1 GET /a 200', { message: '10.0.0.2 POST /b 503' }, '10.0.0.3 GET /health 200'] });
    assert.equal(sim.status, 200, JSON.stringify(sim.json));
    assert.equal(JSON.stringify(sim.json).includes('web-errors'), true);
    assert.equal((await search(node, '*', 'url.path:"/a"')).total, 0, 'simulation stores nothing');

    assert.equal((await adminFetch(`${node.url}/api/v1/indices/web`, { method: 'PUT', body: JSON.stringify({ default_pipeline: 'access' }) })).status, 200);
    const r = await ingest(node.url, 'web', ['10.0.0.1 GET /a 200', '10.0.0.2 POST /b 503', '10.0.0.3 GET /health 200'].join('\n'), 'text/plain');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.accepted, 2);
    assert.equal(r.json.dropped, 1);
    const web = await search(node, 'web');
    assert.deepEqual(web.hits.map((h) => [h['client.ip'], h['http.method'], h['url.path'], h['http.status']]), [['10.0.0.1', 'get', '/a', 200]]);
    assert.equal((await search(node, 'web-errors', 'http.status:503')).total, 1);
    // `?pipeline=_none` skips the default.
    const none = await adminFetch(`${node.url}/api/v1/indices/web/ingest?pipeline=_none`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'raw line' });
    assert.equal(((await none.json()) as { accepted: number }).accepted, 1);
    assert.equal((await search(node, 'web', '"raw line"')).total, 1);

    const list = (await (await adminFetch(`${node.url}/api/v1/pipelines`)).json()) as { pipelines: Record<string, unknown> };
    assert.deepEqual(Object.keys(list.pipelines), ['access']);
    const got = (await (await adminFetch(`${node.url}/api/v1/pipelines/access`)).json()) as { stats: { stages: Record<string, { in: number }> } };
    assert.ok(got.stats.stages.parse.in >= 3);
    assert.equal((await adminFetch(`${node.url}/api/v1/pipelines/access`, { method: 'DELETE' })).status, 409);
    assert.equal((await adminFetch(`${node.url}/api/v1/indices/web/settings`, { method: 'PUT', body: JSON.stringify({ default_pipeline: null }) })).status, 200);
    assert.equal((await adminFetch(`${node.url}/api/v1/pipelines/access`, { method: 'DELETE' })).status, 200);
    assert.equal((await adminFetch(`${node.url}/api/v1/pipelines/access`)).status, 404);
    assert.equal((await adminFetch(`${node.url}/api/v1/indices/web/ingest?pipeline=access`, { method: 'POST', body: 'x' })).status, 404);
  });
});
