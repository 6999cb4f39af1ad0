import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { type DiagLogger, DiagLogLevel, TraceFlags, context, diag, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { StrataError } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import type { DecodedBatch } from '../batch.ts';
import { decodeOtlpLogs, encodeOtlpResponse, otlpEncoding } from './otlp.ts';

const NOW = 1_767_225_600_000;
const MAX = 1 << 20;
const JSON_TYPE = 'application/json';
const PROTO_TYPE = 'application/x-protobuf';

// ---------------------------------------------------------------------------------------------------------------
// The OpenTelemetry JS SDK, exporting over HTTP to a server in this test that keeps what it receives.

interface Captured {
  body: Buffer;
  contentType: string;
}

async function withCollector<T>(answer: (protobuf: boolean) => Buffer, run: (url: string, got: Captured[]) => Promise<T>): Promise<T> {
  const got: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      got.push({ body: Buffer.concat(chunks), contentType });
      const protobuf = otlpEncoding(contentType) === 'protobuf';
      res.writeHead(200, { 'content-type': protobuf ? PROTO_TYPE : JSON_TYPE });
      res.end(answer(protobuf));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, got);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/** Emits three records through the SDK and returns what the exporter sent. */
async function exportWithSdk(kind: 'json' | 'protobuf', answer: (protobuf: boolean) => Buffer = () => Buffer.alloc(0)): Promise<Captured[]> {
  return withCollector(answer, async (url, got) => {
    const exporter = kind === 'json' ? new JsonLogExporter({ url }) : new ProtoLogExporter({ url });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'prod', user: 'from-resource' }),
      processors: [new BatchLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('strata-test', '1.2.3');
    const traced = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    logger.emit({
      timestamp: [1767225600, 123456789],
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'user logged in',
      eventName: 'user.login',
      context: traced,
      attributes: {
        user: 'alice',
        count: 42,
        ratio: 0.5,
        ok: true,
        tags: ['a', 'b', 3],
        http: { method: 'GET', status: 200, headers: { host: 'shop' } },
        raw: new Uint8Array([1, 2, 3]),
      },
    });
    logger.emit({
      timestamp: [1767225601, 0],
      severityNumber: SeverityNumber.ERROR2,
      body: { code: 7, detail: { reason: 'timeout' } },
    });
    logger.emit({
      timestamp: [1767225602, 999999],
      severityNumber: SeverityNumber.WARN,
      severityText: 'Warning',
      body: 12.5,
      attributes: { 'service.name': 'overridden' },
    });
    await provider.forceFlush();
    await provider.shutdown();
    return got;
  });
}

function assertSdkRecords(b: DecodedBatch): void {
  assert.deepEqual(b.rejected, []);
  assert.deepEqual(b.pos, [1, 2, 3]);
  assert.deepEqual(b.ts, [1767225600123, 1767225601000, 1767225602000]);
  const resource = { 'service.name': 'checkout', 'deployment.environment': 'prod', 'scope.name': 'strata-test', 'scope.version': '1.2.3' };
  assert.deepEqual(b.fields[0], {
    ...resource,
    user: 'alice', // the log's attribute wins over the resource's
    count: 42,
    ratio: 0.5,
    ok: true,
    tags: '["a","b",3]',
    'http.method': 'GET',
    'http.status': 200,
    'http.headers.host': 'shop',
    raw: 'AQID',
    message: 'user logged in',
    level: 'info',
    severity_number: 9,
    trace_id: TRACE_ID,
    span_id: SPAN_ID,
    event_name: 'user.login',
  } satisfies Fields);
  assert.deepEqual(b.fields[1], { ...resource, user: 'from-resource', 'body.code': 7, 'body.detail.reason': 'timeout', level: 'error', severity_number: 18 });
  assert.deepEqual(b.fields[2], { ...resource, user: 'from-resource', 'service.name': 'overridden', message: '12.5', level: 'warning', severity_number: 13 });
}

describe('decodeOtlpLogs: what the OpenTelemetry JS SDK sends', () => {
  for (const kind of ['json', 'protobuf'] as const) {
    test(`over the ${kind} OTLP/HTTP exporter, every field arrives`, async () => {
      const got = await exportWithSdk(kind);
      assert.equal(got.length, 1, 'one export request for the batch');
      const { body, contentType } = got[0];
      assert.equal(otlpEncoding(contentType), kind, contentType);
      assertSdkRecords(decodeOtlpLogs(body, contentType, NOW, MAX));
    });

    test(`the ${kind} exporter reads our partial-success answer`, async () => {
      const warnings: string[] = [];
      const capture = (...args: unknown[]): void => void warnings.push(args.map(String).join(' '));
      const logger: DiagLogger = { error: capture, warn: capture, info: () => {}, debug: () => {}, verbose: () => {} };
      diag.setLogger(logger, DiagLogLevel.WARN);
      try {
        await exportWithSdk(kind, (protobuf) => encodeOtlpResponse(2, 'two records had bad timestamps', protobuf).body);
      } finally {
        diag.disable();
      }
      const partial = warnings.find((w) => w.includes('Partial Success'));
      assert.ok(partial, `the SDK reported no partial success: ${JSON.stringify(warnings)}`);
      assert.match(partial, /"rejectedLogRecords":"?2"?/);
      assert.match(partial, /two records had bad timestamps/);
    });
  }

  test('an export with nothing rejected is answered with an empty response', () => {
    assert.deepEqual(encodeOtlpResponse(0, '', false), { body: Buffer.from('{}'), contentType: JSON_TYPE });
    const p = encodeOtlpResponse(0, '', true);
    assert.equal(p.contentType, PROTO_TYPE);
    assert.equal(p.body.length, 0);
    // partial_success = 1 { rejected_log_records = 1: 3, error_message = 2: "x" }, checked byte for byte.
    assert.deepEqual([...encodeOtlpResponse(3, 'x', true).body], [0x0a, 5, 0x08, 3, 0x12, 1, 0x78]);
    assert.deepEqual(JSON.parse(encodeOtlpResponse(3, 'x', false).body.toString()), { partialSuccess: { rejectedLogRecords: '3', errorMessage: 'x' } });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A protobuf writer by field number, independent of the decoder's schema, so that a wrong number there shows.

type Part = Buffer;
function varint(n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 127n);
    v >>= 7n;
    out.push(v > 0n ? b | 128 : b);
  } while (v > 0n);
  return Buffer.from(out);
}
const tag = (id: number, wt: number): Buffer => varint((id << 3) | wt);
const msg = (id: number, ...parts: Part[]): Part => {
  const body = Buffer.concat(parts);
  return Buffer.concat([tag(id, 2), varint(body.length), body]);
};
const str = (id: number, s: string | Buffer): Part => msg(id, Buffer.from(s));
const int = (id: number, n: bigint | number): Part => Buffer.concat([tag(id, 0), varint(n)]);
const fixed64 = (id: number, n: bigint): Part => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return Buffer.concat([tag(id, 1), b]);
};
const dbl = (id: number, d: number): Part => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return Buffer.concat([tag(id, 1), b]);
};
// AnyValue (common.v1): string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7; KeyValue: key 1, value 2.
const anyStr = (s: string): Part => str(1, s);
const kv = (id: number, key: string, ...value: Part[]): Part => msg(id, str(1, key), msg(2, ...value));
// LogRecord (logs.v1): time 1, severity_number 2, severity_text 3, body 5, attributes 6, trace_id 9, span_id 10,
// observed_time 11, event_name 12. ScopeLogs: scope 1, log_records 2. ResourceLogs: resource 1, scope_logs 2.
const record = (...parts: Part[]): Part => msg(2, ...parts);
const request = (...resourceLogs: Part[]): Buffer => Buffer.concat(resourceLogs);
const resourceLogs = (resource: Part[], ...scopeLogs: Part[]): Part => msg(1, msg(1, ...resource), ...scopeLogs);
const scopeLogs = (scope: Part[], ...records: Part[]): Part => msg(2, msg(1, ...scope), ...records);

describe('decodeOtlpLogs: protobuf', () => {
  test('reads every kind of value, in any field order, exactly', () => {
    const body = request(
      resourceLogs(
        [kv(1, 'service.name', anyStr('api')), kv(1, 'k8s', msg(6, kv(1, 'pod', anyStr('p-1'))))],
        scopeLogs(
          [str(1, 'lib'), str(2, '0.1'), kv(3, 'scope.attr', anyStr('s'))],
          record(
            // the value before the key, fields out of number order
            msg(6, msg(2, int(3, 2n ** 60n + 1n)), str(1, 'big')),
            kv(6, 'neg', int(3, -5)),
            kv(6, 'pi', dbl(4, 3.25)),
            kv(6, 'nan', dbl(4, NaN)),
            kv(6, 'flag', int(2, 1)),
            kv(6, 'bytes', str(7, Buffer.from([0xff, 0, 1]))),
            kv(6, 'list', msg(5, msg(1, anyStr('x')), msg(1, int(3, 1)), msg(1, msg(6, kv(1, 'm', int(2, 0)))), msg(1))),
            kv(6, 'empty'),
            kv(6, '_id', anyStr('dropped')),
            kv(6, '@timestamp', anyStr('dropped')),
            fixed64(11, 1767225600999000000n),
            fixed64(1, 1767225600123999999n),
            int(2, 21),
            str(12, 'evt'),
            str(9, Buffer.from(TRACE_ID.toUpperCase(), 'hex')),
            msg(5, anyStr('hello')),
          ),
        ),
      ),
    );
    const b = decodeOtlpLogs(body, PROTO_TYPE, NOW, MAX);
    assert.deepEqual(b.rejected, []);
    assert.deepEqual(b.ts, [1767225600123]);
    assert.deepEqual(b.fields[0], {
      'service.name': 'api',
      'k8s.pod': 'p-1',
      'scope.name': 'lib',
      'scope.version': '0.1',
      'scope.attr': 's',
      big: '1152921504606846977',
      neg: -5,
      pi: 3.25,
      nan: 'NaN',
      flag: true,
      bytes: '/wAB',
      list: '["x",1,{"m":false},null]',
      message: 'hello',
      level: 'fatal',
      severity_number: 21,
      trace_id: TRACE_ID,
      event_name: 'evt',
    });
  });

  test('takes the time from time_unix_nano, else observed_time_unix_nano, else now', () => {
    const b = decodeOtlpLogs(
      request(resourceLogs([], scopeLogs([], record(fixed64(1, 5_000_000n), fixed64(11, 9_000_000n)), record(fixed64(11, 9_000_000n)), record(fixed64(1, 0n)), record()))),
      PROTO_TYPE,
      NOW,
      MAX,
    );
    assert.deepEqual(b.ts, [5, 9, NOW, NOW]);
    assert.deepEqual(b.fields, [{}, {}, {}, {}]);
  });

  test('maps severity numbers to levels, and severity text wins', () => {
    const want = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    const records = Array.from({ length: 24 }, (_, i) => record(int(2, i + 1)));
    const b = decodeOtlpLogs(request(resourceLogs([], scopeLogs([], ...records, record(int(2, 0)), record(int(2, 9), str(3, 'NOTICE'))))), PROTO_TYPE, NOW, MAX);
    assert.deepEqual(
      b.fields.slice(0, 24).map((f) => f!.level),
      Array.from({ length: 24 }, (_, i) => want[Math.floor(i / 4)]),
    );
    assert.deepEqual(b.fields[24], {});
    assert.deepEqual(b.fields[25], { level: 'notice', severity_number: 9 });
  });

  test('rejects a broken record alone, and numbers records across the request', () => {
    const good = (m: string): Part => record(msg(5, anyStr(m)));
    const body = request(
      resourceLogs([], scopeLogs([], good('a'), msg(2, Buffer.from([0x0a, 0x05, 0x01])), good('b'))),
      resourceLogs([], scopeLogs([], good('c'), record(str(9, Buffer.from([1, 2, 3]))), record(msg(6, str(2, Buffer.from([0x0b]))))), scopeLogs([], good('d'))),
    );
    const b = decodeOtlpLogs(body, PROTO_TYPE, NOW, MAX);
    assert.deepEqual(b.fields.map((f) => f!.message), ['a', 'b', 'c', 'd']);
    assert.deepEqual(b.pos, [1, 3, 4, 7]);
    assert.deepEqual(b.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_syntax'], [5, 'invalid_field'], [6, 'invalid_syntax']]);
    assert.match(b.rejected[1].reason, /trace_id must be 16 bytes, not 3/);
  });

  test('a known field with the wrong wire type is corruption, not an unknown field', () => {
    const b = decodeOtlpLogs(request(resourceLogs([], scopeLogs([], record(int(5, 1)), record(int(99, 1), msg(5, anyStr('ok')))))), PROTO_TYPE, NOW, MAX);
    assert.deepEqual(b.rejected.map((r) => r.line), [1]);
    assert.match(b.rejected[0].reason, /field 5 has wire type 0, expected 2/);
    assert.deepEqual(b.fields, [{ message: 'ok' }]);
  });

  test('a resource that cannot be read rejects its records; corrupt framing inside costs one position', () => {
    const brokenResource = msg(1, msg(1, Buffer.from([0x0a, 0x09])), scopeLogs([], record(), record()));
    const brokenScopeLogs = msg(1, msg(2, record(msg(5, anyStr('kept'))), Buffer.from([0x12, 0x40, 0x01])));
    const b = decodeOtlpLogs(request(brokenResource, brokenScopeLogs), PROTO_TYPE, NOW, MAX);
    assert.deepEqual(b.fields, [{ message: 'kept' }]);
    assert.deepEqual(b.pos, [3]);
    assert.deepEqual(b.rejected.map((r) => r.line), [1, 2, 4]);
    assert.match(b.rejected[0].reason, /resource cannot be read/);
    assert.match(b.rejected[2].reason, /corrupt after 1 logRecords/);
  });

  test('refuses a record over the size cap, and values nested too deep', () => {
    let deep = msg(6, kv(1, 'k', anyStr('v')));
    for (let i = 0; i < 40; i++) deep = msg(6, kv(1, 'k', deep));
    const b = decodeOtlpLogs(request(resourceLogs([], scopeLogs([], record(msg(5, anyStr('x'.repeat(2000)))), record(kv(6, 'd', deep)), record()))), PROTO_TYPE, NOW, 1000);
    assert.deepEqual(b.rejected.map((r) => [r.line, r.code]), [[1, 'oversize'], [2, 'invalid_syntax']]);
    assert.match(b.rejected[1].reason, /nested deeper than 32/);
    assert.deepEqual(b.pos, [3]);
  });

  test('refuses a body whose own framing is broken, and an unknown content type', () => {
    assert.throws(() => decodeOtlpLogs(Buffer.from([0x0a, 0x10, 0x01]), PROTO_TYPE, NOW, MAX), (e) => e instanceof StrataError && e.code === 'invalid_request' && /ExportLogsServiceRequest/.test(e.message));
    assert.throws(() => decodeOtlpLogs(Buffer.from('{}'), 'text/plain', NOW, MAX), (e) => e instanceof StrataError && /unsupported Content-Type/.test(e.message));
    assert.deepEqual(decodeOtlpLogs(Buffer.alloc(0), 'application/x-protobuf; charset=binary', NOW, MAX).ts, []);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const jsonBody = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));
const jsonRecords = (...logRecords: unknown[]): Buffer =>
  jsonBody({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, scopeLogs: [{ logRecords }] }] });

describe('decodeOtlpLogs: OTLP/JSON', () => {
  test('reads the JSON mapping: int64 as strings or numbers, enums as ints or names, hex ids', () => {
    const b = decodeOtlpLogs(
      jsonRecords({
        timeUnixNano: '1767225600123456789',
        observedTimeUnixNano: 1767225600999000000,
        severityNumber: 'SEVERITY_NUMBER_DEBUG2',
        traceId: TRACE_ID.toUpperCase(),
        spanId: SPAN_ID,
        body: { kvlistValue: { values: [{ key: 'a', value: { intValue: '9007199254740993' } }, { key: 'b', value: { arrayValue: { values: [{ doubleValue: 'Infinity' }, {}] } } }] } },
        attributes: [
          { key: 'i', value: { intValue: 7 } },
          { key: 'd', value: { doubleValue: '2.5' } },
          { key: 'by', value: { bytesValue: '_wAB' } },
          { key: 'none', value: {} },
          { key: 'service.name', value: { stringValue: 'mine' } },
        ],
      }),
      JSON_TYPE,
      NOW,
      MAX,
    );
    assert.deepEqual(b.rejected, []);
    assert.deepEqual(b.ts, [1767225600123]);
    assert.deepEqual(b.fields[0], {
      'service.name': 'mine',
      'body.a': '9007199254740993',
      'body.b': '["Infinity",null]',
      i: 7,
      d: 2.5,
      by: '/wAB',
      level: 'debug',
      severity_number: 6,
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
    });
  });

  test('rejects a bad record alone with its reason', () => {
    const b = decodeOtlpLogs(
      jsonRecords(
        { body: { stringValue: 'a' } },
        { timeUnixNano: 'soon' },
        'not a record',
        { attributes: { key: 'x' } },
        { traceId: 'xyz' },
        { severityNumber: 2.5 },
        { body: { intValue: 'twelve' } },
        { body: { boolValue: false } },
        { attributes: [{ key: 'n', value: { intValue: '9223372036854775808' } }] },
        { attributes: [{ key: 'n', value: { intValue: '-9223372036854775808' } }] },
      ),
      JSON_TYPE,
      NOW,
      MAX,
    );
    assert.deepEqual(b.pos, [1, 8, 10]);
    assert.deepEqual(b.fields.map((f) => f!.message ?? f!.n), ['a', 'false', '-9223372036854775808']);
    assert.deepEqual(b.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_timestamp'], [3, 'not_an_object'], [4, 'invalid_field'], [5, 'invalid_field'], [6, 'invalid_field'], [7, 'invalid_field'], [9, 'invalid_field']]);
    assert.match(b.rejected[0].reason, /"soon" is not unix epoch nanoseconds/);
  });

  test('a malformed resource or scope rejects its records; a malformed list costs one position', () => {
    const b = decodeOtlpLogs(
      jsonBody({
        resourceLogs: [
          { resource: { attributes: 'x' }, scopeLogs: [{ logRecords: [{}, {}] }] },
          { scopeLogs: [{ scope: { name: 5 }, logRecords: [{}] }, { logRecords: 'no' }, { scope: { name: 'ok', version: '' }, logRecords: [{}] }] },
          7,
        ],
      }),
      JSON_TYPE,
      NOW,
      MAX,
    );
    assert.deepEqual(b.rejected.map((r) => r.line), [1, 2, 3, 4, 6]);
    assert.deepEqual(b.pos, [5]);
    assert.deepEqual(b.fields, [{ 'scope.name': 'ok' }]);
  });

  test('refuses a body that is not JSON or not an export', () => {
    for (const bad of ['', 'nope', '[]', '{"resourceLogs":{}}']) {
      assert.throws(() => decodeOtlpLogs(Buffer.from(bad), JSON_TYPE, NOW, MAX), (e) => e instanceof StrataError && e.code === 'invalid_request', bad);
    }
    assert.deepEqual(decodeOtlpLogs(Buffer.from('{}'), JSON_TYPE, NOW, MAX).ts, []);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties: hostile bodies never crash the decoder, and one bad record never costs the others.

interface Rec {
  message: string;
  attrs: [string, string | number | boolean][];
  timeNs: bigint;
}

const recArb: fc.Arbitrary<Rec> = fc.record({
  message: fc.string({ maxLength: 20 }),
  attrs: fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean())), { maxLength: 4 }),
  timeNs: fc.bigInt({ min: 1n, max: 2n ** 63n }),
});

function attrProto(k: string, v: string | number | boolean): Part {
  return kv(6, k, typeof v === 'string' ? anyStr(v) : typeof v === 'number' ? int(3, v) : int(2, v ? 1 : 0));
}
const recProto = (r: Rec): Buffer => record(fixed64(1, r.timeNs), msg(5, anyStr(r.message)), ...r.attrs.map(([k, v]) => attrProto(k, v)));
const protoBody = (recs: Buffer[]): Buffer => request(resourceLogs([kv(1, 'service.name', anyStr('svc'))], scopeLogs([], ...recs)));

function attrJson(k: string, v: string | number | boolean): unknown {
  return { key: k, value: typeof v === 'string' ? { stringValue: v } : typeof v === 'number' ? { intValue: String(v) } : { boolValue: v } };
}
const recJson = (r: Rec): unknown => ({ timeUnixNano: String(r.timeNs), body: { stringValue: r.message }, attributes: r.attrs.map(([k, v]) => attrJson(k, v)) });
const jsonBodyOf = (recs: unknown[]): Buffer => jsonBody({ resourceLogs: [{ resource: { attributes: [attrJson('service.name', 'svc')] }, scopeLogs: [{ logRecords: recs }] }] });

function expected(r: Rec): { ts: number; fields: Fields } {
  const fields: Fields = { 'service.name': 'svc' };
  for (const [k, v] of r.attrs) fields[k] = v;
  fields.message = r.message;
  return { ts: Number(r.timeNs / 1_000_000n), fields };
}

function decodesSafely(body: Buffer, type: string): DecodedBatch | null {
  try {
    return decodeOtlpLogs(body, type, NOW, MAX);
  } catch (e) {
    assert.ok(e instanceof StrataError, `threw ${String(e)}`);
    return null;
  }
}

describe('decodeOtlpLogs: properties', () => {
  test('arbitrary, truncated and bit-flipped bodies only ever fail with a StrataError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(PROTO_TYPE, JSON_TYPE), (bytes, type) => {
        decodesSafely(Buffer.from(bytes), type);
      }),
      { numRuns: 500 },
    );
    // Well-formed JSON of any shape, wherever the walker looks.
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const shapes = [
          v,
          { resourceLogs: v },
          { resourceLogs: [v] },
          { resourceLogs: [{ resource: v, scopeLogs: v }] },
          { resourceLogs: [{ scopeLogs: [{ scope: v, logRecords: [v] }] }] },
          { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: v, attributes: v, timeUnixNano: v, severityNumber: v, traceId: v }] }] }] },
          { resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 'k', value: v }], body: { arrayValue: { values: [v] } } }] }] }] },
        ];
        for (const doc of shapes) decodesSafely(jsonBody(doc), JSON_TYPE);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(recArb, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(), fc.boolean(), (recs, cut, flip, json) => {
        const body = json ? jsonBodyOf(recs.map(recJson)) : protoBody(recs.map(recProto));
        const type = json ? JSON_TYPE : PROTO_TYPE;
        decodesSafely(body.subarray(0, cut % body.length), type);
        const flipped = Buffer.from(body);
        flipped[flip % body.length] ^= 1 << (flip % 8);
        const b = decodesSafely(flipped, type);
        if (b !== null) for (const p of [...b.pos, ...b.rejected.map((r) => r.line)]) assert.ok(p >= 1, `position ${p}`);
      }),
      { numRuns: 300 },
    );
  });

  test('one corrupted record keeps every other record, exactly', () => {
    fc.assert(
      fc.property(fc.array(recArb, { minLength: 2, maxLength: 8 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 30 }), (recs, k, junk) => {
        const bad = k % recs.length;
        const want = recs.map(expected);
        // protobuf: the record's bytes replaced inside its own length prefix
        const protos = recs.map(recProto);
        protos[bad] = msg(2, Buffer.from(junk));
        const p = decodeOtlpLogs(protoBody(protos), PROTO_TYPE, NOW, MAX);
        // JSON: the record replaced by something that is not one
        const jsons = recs.map(recJson);
        jsons[bad] = { timeUnixNano: 'x', attributes: junk.length };
        const j = decodeOtlpLogs(jsonBodyOf(jsons), JSON_TYPE, NOW, MAX);
        assert.deepEqual(j.rejected.map((r) => r.line), [bad + 1]);
        for (const b of [p, j]) {
          for (let i = 0; i < recs.length; i++) {
            if (i === bad) continue;
            const at = b.pos.indexOf(i + 1);
            assert.ok(at >= 0, `record ${i + 1} lost`);
            assert.equal(b.ts[at], want[i].ts);
            assert.deepEqual(b.fields[at], want[i].fields);
          }
          assert.equal(b.pos.length + b.rejected.length, recs.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('decodeOtlpLogs: throughput', () => {
  test('decodes 10k records in each encoding', (t) => {
    const recs: Rec[] = Array.from({ length: 10_000 }, (_, i) => ({
      message: `GET /api/orders/${i} completed in ${i % 97} ms for user ${i % 13}`,
      attrs: [['http.method', 'GET'], ['http.status_code', 200 + (i % 5)], ['user.id', `u-${i % 13}`], ['cached', i % 2 === 0]],
      timeNs: 1767225600000000000n + BigInt(i) * 1_000_000n,
    }));
    for (const [name, body, type] of [
      ['protobuf', protoBody(recs.map(recProto)), PROTO_TYPE],
      ['json', jsonBodyOf(recs.map(recJson)), JSON_TYPE],
    ] as const) {
      decodeOtlpLogs(body, type, NOW, MAX); // warm up
      const runs = 5;
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      let b: DecodedBatch | undefined;
      for (let i = 0; i < runs; i++) b = decodeOtlpLogs(body, type, NOW, MAX);
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(cpu);
      const cpuS = (used.user + used.system) / 1e6;
      assert.equal(b!.ts.length, 10_000);
      assert.deepEqual(b!.fields[9_999], expected(recs[9_999]).fields);
      t.diagnostic(`OTLP ${name}: ${Math.round((runs * 10_000) / s).toLocaleString('en')} records/s (${Math.round((runs * 10_000) / cpuS).toLocaleString('en')} per CPU second; ${(body.length / 1e6).toFixed(2)} MB body)`);
    }
  });
});
