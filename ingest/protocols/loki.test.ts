import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compressSync } from 'snappy';
import { StrataError } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import type { DecodedBatch } from '../batch.ts';
import { MAX_LOKI_DECOMPRESSED_BYTES, decodeLokiPush, parseLabels } from './loki.ts';

const NOW = 1_767_225_600_000;
const MAX = 1 << 20;
const PROTO = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

// ---------------------------------------------------------------------------------------------------------------
// No JavaScript Loki client exists, so fixtures are written here by field number, independently of the decoder's
// schema: PushRequest { streams = 1 } StreamAdapter { labels = 1, entries = 2 } EntryAdapter { timestamp = 1,
// line = 2, structuredMetadata = 3 } LabelPairAdapter { name = 1, value = 2 } Timestamp { seconds = 1, nanos = 2 }.

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
const ld = (id: number, body: Buffer): Buffer => Buffer.concat([varint((id << 3) | 2), varint(body.length), body]);
const msg = (id: number, ...parts: Buffer[]): Buffer => ld(id, Buffer.concat(parts));
const str = (id: number, s: string): Buffer => ld(id, Buffer.from(s));
const int = (id: number, n: bigint | number): Buffer => Buffer.concat([varint(id << 3), varint(n)]);

interface Entry {
  ns: bigint;
  line: string;
  meta?: [string, string][];
}
const timestamp = (ns: bigint): Buffer => msg(1, int(1, ns / 1_000_000_000n), int(2, ns % 1_000_000_000n));
const entryProto = (e: Entry): Buffer => msg(2, timestamp(e.ns), str(2, e.line), ...(e.meta ?? []).map(([k, v]) => msg(3, str(1, k), str(2, v))));
const streamProto = (labels: string, entries: Buffer[]): Buffer => msg(1, str(1, labels), ...entries);
const push = (...streams: Buffer[]): Buffer => compressSync(Buffer.concat(streams));

const entryJson = (e: Entry): unknown[] => (e.meta ? [String(e.ns), e.line, Object.fromEntries(e.meta)] : [String(e.ns), e.line]);
const pushJson = (streams: { stream?: unknown; values?: unknown }[]): Buffer => Buffer.from(JSON.stringify({ streams }));

function records(b: DecodedBatch): { pos: number; ts: number; fields: Fields }[] {
  return b.fields.map((fields, i) => ({ pos: b.pos[i], ts: b.ts[i], fields: fields! }));
}

const T0 = 1767225600123456789n;

describe('decodeLokiPush: protobuf and JSON say the same', () => {
  const web: Entry[] = [
    { ns: T0, line: 'GET /cart 200', meta: [['trace_id', 'abc'], ['user', 'u1']] },
    { ns: T0 + 1_000_000n, line: 'GET /pay 500' },
  ];
  const db: Entry[] = [{ ns: 999_999n, line: 'vacuum' }];
  const want = [
    { pos: 1, ts: 1767225600123, fields: { app: 'web', env: 'prod', trace_id: 'abc', user: 'u1', message: 'GET /cart 200' } },
    { pos: 2, ts: 1767225600124, fields: { app: 'web', env: 'prod', message: 'GET /pay 500' } },
    { pos: 3, ts: 0, fields: { app: 'db', message: 'vacuum' } },
  ];

  test('protobuf: labels, structured metadata, line and time of each entry', () => {
    const body = push(streamProto('{app="web", env="prod"}', web.map(entryProto)), streamProto('{app="db"}', db.map(entryProto)));
    for (const type of [PROTO, 'application/x-protobuf; charset=binary', '']) {
      const b = decodeLokiPush(body, type, NOW, MAX);
      assert.deepEqual(b.rejected, [], type);
      assert.deepEqual(records(b), want, type);
    }
  });

  test('JSON: the same streams', () => {
    const b = decodeLokiPush(
      pushJson([
        { stream: { app: 'web', env: 'prod' }, values: web.map(entryJson) },
        { stream: { app: 'db' }, values: db.map(entryJson) },
      ]),
      'application/json; charset=utf-8',
      NOW,
      MAX,
    );
    assert.deepEqual(b.rejected, []);
    assert.deepEqual(records(b), want);
  });

  test('the line always wins over a label or metadata named message; reserved keys are dropped', () => {
    const entry: Entry = { ns: T0, line: 'the line', meta: [['message', 'meta'], ['@timestamp', 'x'], ['k', 'v']] };
    const p = decodeLokiPush(push(streamProto('{message="label", _id="x", a="b"}', [entryProto(entry)])), PROTO, NOW, MAX);
    const j = decodeLokiPush(pushJson([{ stream: { message: 'label', _id: 'x', a: 'b' }, values: [entryJson(entry)] }]), JSON_TYPE, NOW, MAX);
    for (const b of [p, j]) assert.deepEqual(b.fields, [{ message: 'the line', a: 'b', k: 'v' }]);
  });
});

describe('parseLabels', () => {
  test('reads Prometheus label text with escapes and odd spacing', () => {
    const cases: [string, Fields][] = [
      ['{app="web", env="prod"}', { app: 'web', env: 'prod' }],
      ['  {  app =  "web"  ,env="prod" ,}  ', { app: 'web', env: 'prod' }],
      ['{\n\tapp="web"\n}', { app: 'web' }],
      ['{a="say \\"hi\\""}', { a: 'say "hi"' }],
      ['{a="C:\\\\dir\\\\"}', { a: 'C:\\dir\\' }],
      ['{a="two\\nlines\\ttab"}', { a: 'two\nlines\ttab' }],
      ['{a="\\u00e9\\U0001F600\\x41\\101"}', { a: 'é😀AA' }],
      ['{a="\\xc3\\xa9t\\xc3\\xa9"}', { a: 'été' }],
      ['{a=`raw \\n "q"`}', { a: 'raw \\n "q"' }],
      ['{"service.name"="api", _b1="x"}', { 'service.name': 'api', _b1: 'x' }],
      ['{a=""}', { a: '' }],
      ['{}', {}],
      ['', {}],
    ];
    for (const [text, want] of cases) assert.deepEqual(parseLabels(text), want, text);
  });

  test('says what is wrong with label text it cannot read', () => {
    const cases: [string, RegExp][] = [
      ['app="web"', /must start with "\{"/],
      ['{app="web"', /expected "," or "\}"/],
      ['{app=web}', /expected a quoted string/],
      ['{app!="web"}', /expected "="/],
      ['{app=~"web"}', /expected "="/],
      ['{1app="web"}', /expected a label name/],
      ['{a="x", a="y"}', /label a appears twice/],
      ['{a="unterminated}', /unterminated/],
      ['{a="bad \\q escape"}', /unknown escape \\q/],
      ['{a="\\xZZ"}', /invalid \\x escape/],
      ['{a="new\nline"}', /newline inside a quoted string/],
      ['{a="x"} trailing', /unexpected text after "\}"/],
    ];
    for (const [text, want] of cases) {
      const got = parseLabels(text);
      assert.equal(typeof got, 'string', text);
      assert.match(got as string, want, text);
    }
  });
});

describe('decodeLokiPush: what is rejected, and what is kept', () => {
  test('unparseable labels reject every entry of their stream, and only those', () => {
    const e = (line: string): Buffer => entryProto({ ns: T0, line });
    const b = decodeLokiPush(push(streamProto('{a="1"}', [e('one')]), streamProto('{a=1}', [e('two'), e('three')]), streamProto('{a="4"}', [e('four')])), PROTO, NOW, MAX);
    assert.deepEqual(b.fields.map((f) => f!.message), ['one', 'four']);
    assert.deepEqual(b.pos, [1, 4]);
    assert.deepEqual(b.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_syntax'], [3, 'invalid_syntax']]);
    assert.match(b.rejected[0].reason, /^stream 2: labels "\{a=1\}": expected a quoted string/);

    const j = decodeLokiPush(pushJson([{ stream: { a: 1 }, values: [['1', 'x']] }, { stream: 'x', values: [['1', 'y']] }, { values: [['1', 'z']] }]), JSON_TYPE, NOW, MAX);
    assert.deepEqual(j.rejected.map((r) => [r.line, r.code]), [[1, 'invalid_field'], [2, 'invalid_field']]);
    assert.deepEqual(records(j), [{ pos: 3, ts: 0, fields: { message: 'z' } }]);
  });

  test('an entry with a bad timestamp is rejected with invalid_timestamp, the others kept', () => {
    const p = decodeLokiPush(
      push(
        streamProto('{a="b"}', [
          entryProto({ ns: T0, line: 'ok' }),
          msg(2, str(2, 'no timestamp')),
          msg(2, msg(1, int(1, 1), int(2, 1_000_000_000)), str(2, 'nanos out of range')),
          msg(2, msg(1, int(1, 2n ** 62n)), str(2, 'seconds out of range')),
          msg(2, msg(1, int(1, -1)), str(2, 'one second before the epoch')),
        ]),
      ),
      PROTO,
      NOW,
      MAX,
    );
    assert.deepEqual(records(p), [
      { pos: 1, ts: 1767225600123, fields: { a: 'b', message: 'ok' } },
      { pos: 5, ts: -1000, fields: { a: 'b', message: 'one second before the epoch' } },
    ]);
    assert.deepEqual(p.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_timestamp'], [3, 'invalid_timestamp'], [4, 'invalid_timestamp']]);

    const j = decodeLokiPush(
      pushJson([{ stream: { a: 'b' }, values: [['1767225600123456789', 'ok'], ['2026-01-01T00:00:00Z', 'iso'], [1767225600123456789, 'number'], ['-5', 'negative'], ['99999999999999999999999', 'huge']] }]),
      JSON_TYPE,
      NOW,
      MAX,
    );
    assert.deepEqual(j.pos, [1]);
    assert.deepEqual(j.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_timestamp'], [3, 'invalid_timestamp'], [4, 'invalid_timestamp'], [5, 'invalid_timestamp']]);
    assert.match(j.rejected[0].reason, /"2026-01-01T00:00:00Z" is not a unix epoch in nanoseconds/);
  });

  test('malformed JSON entries are rejected one by one', () => {
    const j = decodeLokiPush(
      pushJson([{ stream: { a: 'b' }, values: [['1', 'ok'], 'entry', ['1'], ['1', 5], ['1', 'x', 'meta'], ['1', 'x', { n: 1 }], ['2', 'meta', { k: 'v' }, 'extra ignored']] }, 5 as never, { stream: {}, values: {} }]),
      JSON_TYPE,
      NOW,
      MAX,
    );
    assert.deepEqual(records(j), [
      { pos: 1, ts: 0, fields: { a: 'b', message: 'ok' } },
      { pos: 7, ts: 0, fields: { a: 'b', k: 'v', message: 'meta' } },
    ]);
    assert.deepEqual(j.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_field'], [3, 'invalid_field'], [4, 'invalid_field'], [5, 'invalid_field'], [6, 'invalid_field'], [8, 'not_an_object'], [9, 'invalid_field']]);
  });

  test('oversize lines are rejected; a protobuf one is never decoded', () => {
    const big = 'x'.repeat(2000);
    const p = decodeLokiPush(push(streamProto('{a="b"}', [entryProto({ ns: T0, line: big }), entryProto({ ns: T0, line: 'small' })])), PROTO, NOW, 1000);
    const j = decodeLokiPush(pushJson([{ stream: { a: 'b' }, values: [[String(T0), big], [String(T0), 'small']] }]), JSON_TYPE, NOW, 1000);
    for (const b of [p, j]) {
      assert.deepEqual(b.rejected, [{ line: 1, code: 'oversize', reason: 'record is 2000 bytes, over the limit of 1000' }]);
      assert.deepEqual(b.fields, [{ a: 'b', message: 'small' }]);
    }
  });

  test('a corrupt entry is rejected alone; corrupt framing inside a stream costs one position', () => {
    const good = (line: string): Buffer => entryProto({ ns: T0, line });
    const body = push(
      streamProto('{a="b"}', [good('one'), ld(2, Buffer.from([0x12, 0x30, 0x41])), ld(2, Buffer.from([0x0f])), good('four')]),
      msg(1, str(1, '{a="c"}'), good('five'), Buffer.from([0x12, 0x7f, 0x00])),
    );
    const b = decodeLokiPush(body, PROTO, NOW, MAX);
    assert.deepEqual(b.fields.map((f) => f!.message), ['one', 'four', 'five']);
    assert.deepEqual(b.pos, [1, 4, 5]);
    assert.deepEqual(b.rejected.map((r) => [r.line, r.code]), [[2, 'invalid_syntax'], [3, 'invalid_syntax'], [6, 'invalid_syntax']]);
    assert.match(b.rejected[0].reason, /not a valid EntryAdapter/);
    assert.match(b.rejected[2].reason, /stream 2 is corrupt after its entry 1/);
  });

  test('a known field with the wrong wire type is refused, an unknown field skipped', () => {
    const b = decodeLokiPush(push(streamProto('{a="b"}', [msg(2, timestamp(T0), int(2, 5)), msg(2, timestamp(T0), str(2, 'ok'), int(15, 7), str(16, 'x'))])), PROTO, NOW, MAX);
    assert.deepEqual(b.fields, [{ a: 'b', message: 'ok' }]);
    assert.match(b.rejected[0].reason, /field 2 has wire type 0, expected 2/);
  });

  test('refuses a body that cannot be decoded as a whole', () => {
    const refused = (body: Buffer, type: string, code: string, why: RegExp): void => {
      assert.throws(() => decodeLokiPush(body, type, NOW, MAX), (e) => e instanceof StrataError && e.code === code && why.test(e.message), `${type}: ${body.toString('hex').slice(0, 40)}`);
    };
    refused(Buffer.from('not snappy at all'), PROTO, 'invalid_request', /not snappy-compressed/);
    refused(Buffer.alloc(0), PROTO, 'invalid_request', /not snappy-compressed/);
    refused(compressSync(Buffer.from([0x0a, 0x40, 0x01])), PROTO, 'invalid_request', /not a valid PushRequest/);
    refused(compressSync(Buffer.from([0x0b])), PROTO, 'invalid_request', /not a valid PushRequest/);
    refused(Buffer.concat([varint(MAX_LOKI_DECOMPRESSED_BYTES + 1), Buffer.from([0])]), PROTO, 'payload_too_large', /decompresses to 268435457 bytes/);
    refused(Buffer.from('{"streams":'), JSON_TYPE, 'invalid_request', /invalid JSON/);
    refused(Buffer.from('{"stream":[]}'), JSON_TYPE, 'invalid_request', /"streams" array/);
    refused(Buffer.from('[]'), JSON_TYPE, 'invalid_request', /"streams" array/);
    refused(Buffer.from('{}'), 'text/plain', 'invalid_request', /unsupported Content-Type "text\/plain"/);
    assert.deepEqual(decodeLokiPush(compressSync(Buffer.alloc(0)), PROTO, NOW, MAX).ts, []);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const entryArb: fc.Arbitrary<Entry> = fc.record({
  ns: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  line: fc.string({ maxLength: 30 }),
  meta: fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,5}$/), fc.string({ maxLength: 8 })), { maxLength: 2 }),
});
// Two streams, so corruption can fall in either; the second one's labels exercise escapes.
const streamsArb = fc.tuple(fc.array(entryArb, { minLength: 1, maxLength: 4 }), fc.array(entryArb, { minLength: 1, maxLength: 4 }));
const LABELS: [string, Fields][] = [
  ['{app="web"}', { app: 'web' }],
  ['{ job = "a\\"b\\\\c\\nd" , x=`y` }', { job: 'a"b\\c\nd', x: 'y' }],
];

function bodies(streams: Entry[][], corruptAt = -1, junk: Uint8Array = new Uint8Array()): { proto: Buffer; json: Buffer } {
  let n = 0;
  const protoStreams: Buffer[] = [];
  const jsonStreams: { stream: Fields; values: unknown[] }[] = [];
  streams.forEach((entries, s) => {
    const p: Buffer[] = [];
    const j: unknown[] = [];
    for (const e of entries) {
      const bad = n++ === corruptAt;
      p.push(bad ? ld(2, Buffer.from(junk)) : entryProto(e));
      j.push(bad ? [Buffer.from(junk).toString('hex'), junk.length] : entryJson(e));
    }
    protoStreams.push(streamProto(LABELS[s][0], p));
    jsonStreams.push({ stream: LABELS[s][1], values: j });
  });
  return { proto: push(...protoStreams), json: pushJson(jsonStreams) };
}

function decodesSafely(body: Buffer, type: string): DecodedBatch | null {
  try {
    return decodeLokiPush(body, type, NOW, MAX);
  } catch (e) {
    assert.ok(e instanceof StrataError, `threw ${String(e)}`);
    return null;
  }
}

describe('decodeLokiPush: properties', () => {
  test('arbitrary, truncated and bit-flipped bodies only ever fail with a StrataError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(PROTO, JSON_TYPE), fc.boolean(), (bytes, type, compress) => {
        decodesSafely(compress && type === PROTO ? compressSync(Buffer.from(bytes)) : Buffer.from(bytes), type);
      }),
      { numRuns: 500 },
    );
    // Well-formed JSON of any shape, wherever the walker looks.
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        for (const doc of [v, { streams: v }, { streams: [v] }, { streams: [{ stream: v, values: v }] }, { streams: [{ stream: { a: 'b' }, values: [v, ['1', 'x', v]] }] }]) {
          decodesSafely(Buffer.from(JSON.stringify(doc)), JSON_TYPE);
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(streamsArb, fc.nat(), fc.nat(), fc.boolean(), (streams, cut, flip, json) => {
        const { proto, json: j } = bodies(streams);
        // For protobuf, the damage is done both to the snappy block and to the protobuf inside it.
        const raw = json ? j : Buffer.concat(streams.map((entries, s) => streamProto(LABELS[s][0], entries.map(entryProto))));
        const type = json ? JSON_TYPE : PROTO;
        const wrap = (b: Buffer): Buffer => (json ? b : compressSync(b));
        decodesSafely(wrap(raw.subarray(0, cut % raw.length)), type);
        const flipped = Buffer.from(raw);
        flipped[flip % raw.length] ^= 1 << (flip % 8);
        decodesSafely(wrap(flipped), type);
        if (!json) {
          decodesSafely(proto.subarray(0, cut % proto.length), type);
          const f = Buffer.from(proto);
          f[flip % proto.length] ^= 1 << (flip % 8);
          decodesSafely(f, type);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('one corrupted entry keeps every other entry, exactly', () => {
    fc.assert(
      fc.property(streamsArb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 20 }), (streams, k, junk) => {
        const all = streams.flatMap((entries, s) => entries.map((e) => ({ e, labels: LABELS[s][1] })));
        const bad = k % all.length;
        const { proto, json } = bodies(streams, bad, junk);
        const j = decodeLokiPush(json, JSON_TYPE, NOW, MAX);
        assert.deepEqual(j.rejected.map((r) => r.line), [bad + 1]);
        for (const b of [decodeLokiPush(proto, PROTO, NOW, MAX), j]) {
          assert.equal(b.pos.length + b.rejected.length, all.length);
          all.forEach(({ e, labels }, i) => {
            if (i === bad) return;
            const at = b.pos.indexOf(i + 1);
            assert.ok(at >= 0, `entry ${i + 1} lost: ${JSON.stringify(b.rejected)}`);
            assert.equal(b.ts[at], Number(e.ns / 1_000_000n));
            const want: Fields = { ...labels };
            for (const [k2, v] of e.meta ?? []) want[k2] = v;
            want.message = e.line;
            assert.deepEqual(b.fields[at], want);
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('decodeLokiPush: throughput', () => {
  test('decodes 10k entries in each encoding', (t) => {
    const entries: Entry[] = Array.from({ length: 10_000 }, (_, i) => ({
      ns: T0 + BigInt(i) * 1_000_000n,
      line: `level=info msg="GET /api/orders/${i} completed" duration_ms=${i % 97} user=u-${i % 13}`,
      meta: i % 4 === 0 ? [['trace_id', `t${i}`]] : [],
    }));
    // Ten streams of a thousand entries, as an agent batching several files would send.
    const streams = Array.from({ length: 10 }, (_, s) => entries.slice(s * 1000, (s + 1) * 1000));
    const proto = push(...streams.map((es, s) => streamProto(`{job="app", host="h${s}", env="prod"}`, es.map(entryProto))));
    const json = pushJson(streams.map((es, s) => ({ stream: { job: 'app', host: `h${s}`, env: 'prod' }, values: es.map(entryJson) })));
    for (const [name, body, type] of [
      ['protobuf+snappy', proto, PROTO],
      ['json', json, JSON_TYPE],
    ] as const) {
      decodeLokiPush(body, type, NOW, MAX); // warm up
      const runs = 5;
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      let b: DecodedBatch | undefined;
      for (let i = 0; i < runs; i++) b = decodeLokiPush(body, type, NOW, MAX);
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(cpu);
      const cpuS = (used.user + used.system) / 1e6;
      assert.equal(b!.ts.length, 10_000);
      assert.deepEqual(b!.fields[9_999], { job: 'app', host: 'h9', env: 'prod', message: entries[9_999].line });
      t.diagnostic(`Loki ${name}: ${Math.round((runs * 10_000) / s).toLocaleString('en')} records/s (${Math.round((runs * 10_000) / cpuS).toLocaleString('en')} per CPU second; ${(body.length / 1e6).toFixed(2)} MB body)`);
    }
  });
});
