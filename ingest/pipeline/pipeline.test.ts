import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { resolveDatasetsDir } from '../../lib/datasets.ts';
import type { Fields, FieldValue } from '../../lib/record.ts';
import { jsonOf } from '../batch.ts';
import { decodeLines } from '../protocols/ndjson.ts';
import { Pipeline, type PipelineStats, type StageStats } from './index.ts';
import { parsePipelineDef } from './schema.ts';

const NOW = Date.UTC(2026, 0, 1, 12);
const OPTS = { nowMs: NOW, maxRecordBytes: 1 << 20 };

const pipeline = (processors: unknown[]) => new Pipeline('test', parsePipelineDef({ processors }));
const ndjson = (docs: unknown[]) => docs.map((d) => JSON.stringify(d)).join('\n');
const rejectedCount = (s: StageStats) => Object.values(s.rejected).reduce((a, b) => a + (b ?? 0), 0);

function assertCountersAddUp(stats: PipelineStats): void {
  for (const [name, s] of Object.entries(stats.stages)) {
    assert.equal(s.in, s.out + s.dropped + rejectedCount(s), `stage ${name}: ${JSON.stringify(s)}`);
    assert.ok(s.ns >= 0);
  }
  for (const p of stats.processors) {
    assert.equal(p.in, p.out + p.dropped + rejectedCount(p), `processors[${p.position}] (${p.type}): ${JSON.stringify(p)}`);
    assert.ok(p.skipped <= p.out && p.failed <= p.in);
  }
}

describe('Pipeline.run', () => {
  test('keeps positions, carries the decoder\'s rejections over, and sorts all rejections by line', () => {
    const p = pipeline([{ convert: { field: 'n', type: 'integer', on_failure: 'reject' } }, { drop_if: { query: 'drop:true' } }]);
    const body = [JSON.stringify({ n: 'x' }), 'not json', JSON.stringify({ n: '2', drop: true }), JSON.stringify({ n: '3' }), '{"n":"y"}'].join('\n');
    const batch = decodeLines(body, 'ndjson', NOW, OPTS.maxRecordBytes);
    const out = p.run(batch, 'logs', OPTS);
    assert.deepEqual([...out.batches.keys()], ['logs']);
    const b = out.batches.get('logs')!;
    assert.deepEqual([b.pos, b.fields], [[4], [{ n: 3 }]]);
    assert.deepEqual(out.dropped, [3]);
    assert.deepEqual(out.rejected.map((r) => [r.line, r.code]), [[1, 'invalid_field'], [2, 'invalid_json'], [5, 'invalid_field']]);
  });

  test('keeps the stored text of records it did not change, and drops that of records it did', () => {
    const p = pipeline([{ lowercase: { fields: ['level'] } }]);
    const body = ndjson([{ level: 'info', m: 1 }, { level: 'WARN', m: 2 }, { '@timestamp': '2026-01-01T00:00:00Z', level: 'ERROR' }]);
    const b = p.run(decodeLines(body, 'ndjson', NOW, OPTS.maxRecordBytes), 'logs', OPTS).batches.get('logs')!;
    assert.deepEqual(b.fieldsJson, ['{"level":"info","m":1}', null, null]);
    b.fields.forEach((f, i) => assert.deepEqual(JSON.parse(jsonOf(b, i)), f));
  });

  test('runs processors in the order listed, whatever their stage', () => {
    // The rename (enrich) must run before the json parser reads the field it names.
    const p = pipeline([{ rename: { field: 'raw', to: 'payload' } }, { json: { field: 'payload' } }]);
    const b = p.run(decodeLines(ndjson([{ raw: '{"a":1}' }]), 'ndjson', NOW, OPTS.maxRecordBytes), 'logs', OPTS).batches.get('logs')!;
    assert.deepEqual(b.fields, [{ payload: '{"a":1}', a: 1 }]);
  });

  test('validates every record: at least one field, and JSON within maxRecordBytes', () => {
    const p = pipeline([{ remove: { fields: ['drop_me'] } }, { set: { field: 'pad', value: 'é'.repeat(100), if: 'big:true' } }]);
    const docs = [{ drop_me: 1 }, { big: true }, { big: false }, { '@timestamp': 5 }];
    const out = p.run(decodeLines(ndjson(docs), 'ndjson', NOW, 1 << 20), 'logs', { nowMs: NOW, maxRecordBytes: 200 });
    assert.deepEqual(out.batches.get('logs')!.pos, [3]);
    assert.deepEqual(
      out.rejected.map((r) => [r.line, r.code, r.reason]),
      [
        [1, 'invalid_field', 'the record has no fields left after the pipeline'],
        [2, 'oversize', 'the record is 221 bytes after the pipeline, over the limit of 200'],
        [4, 'invalid_field', 'the record has no fields left after the pipeline'],
      ],
    );
    const s = p.stats();
    assert.deepEqual(s.stages.validate.rejected, { invalid_field: 2, oversize: 1 });
    assert.deepEqual([s.stages.validate.in, s.stages.validate.out, s.stages.route.in], [4, 1, 1]);
  });

  test('an oversize record whose stored text is kept is measured by that text', () => {
    const p = pipeline([]);
    const line = JSON.stringify({ m: 'ü'.repeat(150) });
    const out = p.run(decodeLines(line, 'ndjson', NOW, 1 << 20), 'logs', { nowMs: NOW, maxRecordBytes: 300 });
    assert.deepEqual(out.rejected.map((r) => r.code), ['oversize']);
    assert.equal(out.batches.size, 0);
  });

  test('a processor that throws fails on that record only', () => {
    // V8 throws a RangeError when this pattern's backtracking stack overflows on a long enough value.
    const p = pipeline([{ redact: { fields: ['m'], pattern: '^(a|b)+$' } }]);
    const docs = [{ m: 'a'.repeat(10_000_000) }, { m: 'ab' }];
    const big = { nowMs: NOW, maxRecordBytes: 64 << 20 };
    const out = p.run(decodeLines(ndjson(docs), 'ndjson', NOW, big.maxRecordBytes), 'logs', big);
    const b = out.batches.get('logs')!;
    assert.deepEqual([b.pos, b.fields[1], b.fieldsJson[0]], [[1, 2], { m: '[redacted]' }, null]);
    assert.equal(b.fields[0]!.m, docs[0].m);
    assert.deepEqual([p.stats().processors[0].failed, p.stats().processors[0].out], [1, 2]);
    const step = p.simulate([docs[0]], 'logs', big).docs[0].steps[0];
    assert.match(step.error!, /^processors\[0\] \(redact\): stopped on an error: Maximum call stack size exceeded$/);
  });

  test('counters add up for every stage and processor, whatever the pipeline and the records', () => {
    const onFailure = fc.constantFrom('keep', 'drop', 'reject');
    const processor = fc.oneof(
      onFailure.map((f) => ({ json: { on_failure: f } })),
      onFailure.map((f) => ({ logfmt: { on_failure: f } })),
      onFailure.map((f) => ({ convert: { field: 'status', type: 'integer', on_failure: f } })),
      onFailure.map((f) => ({ rename: { field: 'lvl', to: 'level', on_failure: f } })),
      fc.constant({ drop_if: { query: 'level:debug' } }),
      fc.constant({ lowercase: { fields: ['level'] } }),
      fc.constant({ remove: { fields: ['message'] } }),
      fc.constant({ set: { field: 'pad', value: 'x'.repeat(300), if: 'status:500' } }),
      fc.constant({ route: { index: 'errors', if: 'level:error' } }),
    );
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const doc = fc.record({
      message: opt(fc.constantFrom('{"level":"error"}', 'level=debug', 'plain text', 'a=1', '{"status":"500"}')),
      level: opt(fc.constantFrom('DEBUG', 'error', 'info')),
      lvl: opt(fc.constantFrom('debug', 'error')),
      status: opt(fc.constantFrom('500', 'n/a', 200)),
    });
    fc.assert(
      fc.property(fc.array(processor, { maxLength: 8 }), fc.array(doc, { maxLength: 30 }), (processors, docs) => {
        const p = pipeline(processors);
        const body = ndjson(docs) + '\n{bad json';
        for (let round = 1; round <= 2; round++) {
          const batch = decodeLines(body, 'ndjson', NOW, OPTS.maxRecordBytes);
          const decoded = batch.ts.length;
          const out = p.run(batch, 'logs', { nowMs: NOW, maxRecordBytes: 256 });
          const stats = p.stats();
          assertCountersAddUp(stats);
          let stored = 0;
          for (const b of out.batches.values()) stored += b.ts.length;
          const pipelineRejected = out.rejected.length - 1;
          assert.equal(stored + out.dropped.length + pipelineRejected, decoded);
          // Every record that left is accounted to exactly one stage, and counters accumulate across batches.
          const st = stats.stages;
          const total = (k: 'dropped' | 'rejected') => (k === 'dropped' ? ['parse', 'enrich'].reduce((a, s) => a + st[s as 'parse'].dropped, 0) : Object.values(st).reduce((a, s) => a + rejectedCount(s), 0));
          assert.equal(total('dropped'), round * out.dropped.length);
          assert.equal(total('rejected'), round * pipelineRejected);
          assert.equal(st.route.in, round * stored);
          assert.equal(st.validate.in, st.validate.out + rejectedCount(st.validate));
          assert.equal(st.route.out, round * stored);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('stage counters: in counts records, not processors', () => {
    const p = pipeline([{ json: {} }, { logfmt: {} }, { lowercase: { fields: ['level'] } }, { uppercase: { fields: ['code'] } }]);
    p.run(decodeLines(ndjson([{ message: '{"level":"X"}' }, { message: 'code=a' }, { message: 'z' }]), 'ndjson', NOW, 1 << 20), 'logs', OPTS);
    const s = p.stats();
    assert.deepEqual([s.stages.parse.in, s.stages.parse.out, s.stages.enrich.in, s.stages.enrich.out], [3, 3, 3, 3]);
    assert.deepEqual(s.processors.map((x) => [x.position, x.type, x.stage, x.in, x.failed]), [
      [0, 'json', 'parse', 3, 2],
      [1, 'logfmt', 'parse', 3, 2],
      [2, 'lowercase', 'enrich', 3, 0],
      [3, 'uppercase', 'enrich', 3, 0],
    ]);
    assert.ok(s.stages.parse.ns >= s.processors[0].ns + s.processors[1].ns);
    assert.equal(s.pipeline, 'test');
  });

  test('set, rename and remove change exactly the fields they name, and every record is kept', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'message', 'x.y', 'level');
    const value: fc.Arbitrary<FieldValue> = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const op = fc.oneof(
      fc.record({ set: fc.record({ field: key, value: fc.oneof(value, key.map((k) => `{{${k}}}`), key.map((k) => `${k}={{${k}}}`)), override: fc.boolean() }) }),
      fc.tuple(key, key).filter(([a, b]) => a !== b).map(([field, to]) => ({ rename: { field, to } })),
      fc.uniqueArray(key, { minLength: 1, maxLength: 3 }).map((fields) => ({ remove: { fields } })),
    );
    const record = fc.dictionary(fc.oneof(key, fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !['@timestamp', '_id', '_index', '__proto__'].includes(k))), value, { minKeys: 1, maxKeys: 8 });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), fc.array(record, { minLength: 1, maxLength: 20 }), (ops, records) => {
        const p = pipeline(ops);
        const batch = decodeLines(ndjson(records), 'ndjson', NOW, OPTS.maxRecordBytes);
        const before = batch.fields.map((f) => ({ ...f }));
        const jsonBefore = batch.fieldsJson.slice();
        const out = p.run(batch, 'logs', OPTS);
        const named = new Set<string>();
        for (const o of ops) {
          if ('set' in o) named.add(o.set.field);
          if ('rename' in o) named.add(o.rename.field).add(o.rename.to);
          if ('remove' in o) o.remove.fields.forEach((f) => named.add(f));
        }
        // Records the validate stage refuses (every field removed) are the only ones that may go missing.
        const b = out.batches.get('logs');
        const kept = b?.pos.length ?? 0;
        assert.equal(kept + out.rejected.length, records.length);
        assert.deepEqual(out.dropped, []);
        for (const r of out.rejected) {
          assert.equal(r.code, 'invalid_field');
          assert.deepEqual(model(ops, before[r.line - 1]), {});
        }
        for (let i = 0; i < kept; i++) {
          const at = b!.pos[i] - 1;
          const was = before[at];
          const now = b!.fields[i];
          assert.deepEqual(now, model(ops, was));
          for (const k of new Set([...Object.keys(was), ...Object.keys(now)])) {
            if (!named.has(k)) assert.deepEqual(now[k], was[k], `field ${k} is named by no processor`);
          }
          assert.equal(b!.ts[i], NOW);
          if (b!.fieldsJson[i] !== null) assert.equal(b!.fieldsJson[i], jsonBefore[at]);
          assert.deepEqual(JSON.parse(jsonOf(b!, i)), now);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('set with -0 stores 0 and keeps 0 in memory: JSON has no negative zero (found by the property above)', () => {
    const p = pipeline([{ set: { field: 'a', value: -0, override: false } }]);
    const out = p.run(decodeLines(ndjson([{ ' ': '' }]), 'ndjson', NOW, OPTS.maxRecordBytes), 'logs', OPTS);
    const b = out.batches.get('logs')!;
    assert.ok(Object.is(b.fields[0]!.a, 0));
    assert.deepEqual(JSON.parse(jsonOf(b, 0)), b.fields[0]);
  });
});

/** What set, rename and remove should do, written the plain way. */
function model(ops: Record<string, Record<string, unknown>>[], fields: Fields): Fields {
  const f: Fields = { ...fields };
  const has = (k: string) => Object.hasOwn(f, k);
  for (const o of ops) {
    if ('set' in o) {
      const { field, value, override } = o.set as { field: string; value: FieldValue; override: boolean };
      if (!override && has(field)) continue;
      let v: FieldValue | undefined = value === 0 ? 0 : value; // JSON has no -0
      if (typeof value === 'string') {
        const whole = /^\{\{(.+)\}\}$/.exec(value);
        const part = /^(.+)=\{\{(.+)\}\}$/.exec(value);
        if (whole) v = has(whole[1]) ? f[whole[1]] : undefined;
        else if (part) v = has(part[2]) ? `${part[1]}=${String(f[part[2]])}` : undefined;
      }
      if (v !== undefined) f[field] = v;
    } else if ('rename' in o) {
      const { field, to } = o.rename as { field: string; to: string };
      if (!has(field)) continue;
      const v = f[field];
      delete f[field];
      f[to] = v;
    } else if ('remove' in o) {
      for (const k of o.remove.fields as string[]) delete f[k];
    }
  }
  return f;
}

describe('Pipeline.simulate', () => {
  const p = pipeline([
    { grok: { patterns: ['^%{WORD:level} %{GREEDYDATA:text}$'] } },
    { drop_if: { query: 'level:debug' } },
    { convert: { field: 'code', type: 'integer', on_failure: 'reject', if: 'code:*' } },
    { route: { index: 'errors', if: 'level:error' } },
    { uppercase: { fields: ['level'] } },
  ]);

  test('shows each step of each document and its outcome, storing and counting nothing', () => {
    const r = p.simulate(['error disk full', { message: 'debug noise' }, { message: 'weird', code: 'x' }, 42, { message: 'info ok', '@timestamp': '2026-03-01T00:00:00Z' }], 'logs', OPTS);
    const at = new Date(NOW).toISOString();
    assert.deepEqual(r.docs[0], {
      steps: [
        { processor: 'grok', position: 0, stage: 'parse', record: { '@timestamp': at, message: 'error disk full', level: 'error', text: 'disk full' } },
        { processor: 'drop_if', position: 1, stage: 'enrich', record: { '@timestamp': at, message: 'error disk full', level: 'error', text: 'disk full' } },
        { processor: 'convert', position: 2, stage: 'enrich', skipped: true, record: { '@timestamp': at, message: 'error disk full', level: 'error', text: 'disk full' } },
        { processor: 'uppercase', position: 4, stage: 'enrich', record: { '@timestamp': at, message: 'error disk full', level: 'ERROR', text: 'disk full' } },
        { processor: 'validate', stage: 'validate', record: { '@timestamp': at, message: 'error disk full', level: 'ERROR', text: 'disk full' } },
        { processor: 'route', position: 3, stage: 'route', matched: true, index: 'errors' },
      ],
      outcome: { index: 'errors', record: { '@timestamp': at, message: 'error disk full', level: 'ERROR', text: 'disk full' } },
    });
    assert.deepEqual(r.docs[1].steps.map((s) => [s.processor, s.dropped ?? false]), [['grok', false], ['drop_if', true]]);
    assert.deepEqual(r.docs[1].outcome, { dropped: true });
    assert.deepEqual(r.docs[2].steps[0], { processor: 'grok', position: 0, stage: 'parse', error: 'processors[0] (grok): field "message" does not match the pattern: "weird"', record: { '@timestamp': at, message: 'weird', code: 'x' } });
    assert.deepEqual(r.docs[2].outcome, { rejected: 'processors[2] (convert): field "code" does not convert to an integer: "x"', code: 'invalid_field' });
    assert.deepEqual(r.docs[3], { steps: [], outcome: { rejected: 'expected a JSON object or a text line', code: 'not_an_object' } });
    assert.deepEqual(r.docs[4].outcome, { index: 'logs', record: { '@timestamp': '2026-03-01T00:00:00.000Z', message: 'info ok', level: 'INFO', text: 'ok' } });
    assert.equal(r.docs[4].steps.at(-1)!.matched, false);
    const s = p.stats();
    assert.ok([...Object.values(s.stages), ...s.processors].every((c) => c.in === 0), 'simulate counts nothing');
  });

  test('reports a record the validate stage refuses', () => {
    const r = pipeline([{ remove: { fields: ['message'] } }]).simulate(['x'], 'logs', OPTS);
    assert.deepEqual(r.docs[0].steps.at(-1), { processor: 'validate', stage: 'validate', error: 'the record has no fields left after the pipeline' });
    assert.deepEqual(r.docs[0].outcome, { rejected: 'the record has no fields left after the pipeline', code: 'invalid_field' });
  });
});

describe('grok through the pipeline', () => {
  const combined = [
    { grok: { patterns: ['%{APACHE_COMBINED}'], on_failure: 'reject' } },
    { timestamp: { field: 'timestamp', formats: ['apache'], remove: true } },
  ];
  const line =
    '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0 (Macintosh)"';

  test('%{APACHE_COMBINED} and an apache timestamp make a standard access record', () => {
    const out = pipeline(combined).run(decodeLines(line, 'text', NOW, 1 << 20), 'web', OPTS);
    assert.deepEqual(out.rejected, []);
    const b = out.batches.get('web')!;
    assert.equal(b.ts[0], Date.UTC(2015, 4, 17, 10, 5, 3));
    assert.equal(b.fieldsJson[0], null);
    assert.deepEqual(b.fields[0], {
      message: line,
      'client.ip': '83.149.9.216',
      'user.ident': '-',
      'user.name': '-',
      'http.method': 'GET',
      'url.original': '/presentations/kibana-search.png',
      'http.version': '1.1',
      'http.status': 200,
      'http.bytes': 203023,
      'http.referrer': 'http://semicomplete.com/',
      user_agent: 'Mozilla/5.0 (Macintosh)',
    });
  });

  const file = join(resolveDatasetsDir(), 'apache_access_elastic', 'apache_logs');
  test('every line of the elastic Apache sample parses', { skip: existsSync(file) ? false : `dataset absent: ${file}` }, () => {
    const text = readFileSync(file, 'utf8');
    const p = pipeline(combined);
    const out = p.run(decodeLines(text, 'text', NOW, 1 << 20), 'web', OPTS);
    assert.deepEqual(out.rejected.slice(0, 3), []);
    const b = out.batches.get('web')!;
    assert.equal(b.ts.length, text.split('\n').filter((l) => l.trim() !== '').length);
    assert.ok(b.fields.every((f) => typeof f!['http.status'] === 'number' && typeof f!['client.ip'] === 'string'));
    assert.ok(b.ts.every((t) => t >= Date.UTC(2015, 4, 17) && t < Date.UTC(2015, 4, 22)));
    assertCountersAddUp(p.stats());
  });
});
