import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fields } from '../../lib/record.ts';
import type { Rejection } from '../batch.ts';
import { decodeLines } from '../protocols/ndjson.ts';
import { Pipeline, type PipelineStats } from './pipeline.ts';
import { parsePipelineDef } from './schema.ts';

const NOW = Date.UTC(2026, 0, 1, 12);
const OPTS = { nowMs: NOW, maxRecordBytes: 1 << 20 };

interface Stored {
  index: string;
  pos: number;
  ts: number;
  fields: Fields;
  /** The stored JSON text the output kept, or null when it must be written again. */
  json: string | null;
}

interface Result {
  stored: Stored[];
  dropped: number[];
  rejected: Rejection[];
  stats: PipelineStats;
}

/** Runs NDJSON documents (a string is `{"message": s}`) through a pipeline of `processors`, as the native path would. */
function run(processors: unknown[], docs: (Record<string, unknown> | string)[], index = 'logs'): Result {
  const p = new Pipeline('test', parsePipelineDef({ processors }));
  const body = docs.map((d) => JSON.stringify(typeof d === 'string' ? { message: d } : d)).join('\n');
  const out = p.run(decodeLines(body, 'ndjson', NOW, OPTS.maxRecordBytes), index, OPTS);
  const stored: Stored[] = [];
  for (const [name, b] of out.batches) {
    b.ts.forEach((ts, i) => stored.push({ index: name, pos: b.pos[i], ts, fields: b.fields[i]!, json: b.fieldsJson[i] }));
    assert.deepEqual(b.rejected, [], 'output batches carry no rejections of their own');
  }
  stored.sort((a, b) => a.pos - b.pos);
  return { stored, dropped: out.dropped, rejected: out.rejected, stats: p.stats() };
}

/** The fields of the one record stored. */
function only(processors: unknown[], doc: Record<string, unknown> | string): Stored {
  const r = run(processors, [doc]);
  assert.deepEqual(r.rejected, [], 'rejected');
  assert.deepEqual(r.dropped, [], 'dropped');
  assert.equal(r.stored.length, 1);
  return r.stored[0];
}

function rejection(processors: unknown[], doc: Record<string, unknown> | string): Rejection {
  const r = run(processors, [doc]);
  assert.equal(r.stored.length, 0, `stored ${JSON.stringify(r.stored)}`);
  assert.equal(r.rejected.length, 1);
  return r.rejected[0];
}

describe('json', () => {
  test('merges an object into the root, following the record rules', () => {
    const s = only([{ json: {} }], '{"level":"warn","http":{"status":503,"path":"/x"},"tags":["a","b"],"gone":null,"ok":true,"_id":"x","_index":"y"}');
    assert.deepEqual(s.fields, {
      message: s.fields.message,
      level: 'warn',
      'http.status': 503,
      'http.path': '/x',
      tags: '["a","b"]',
      ok: true,
    });
    assert.equal(s.json, null, 'a changed record is written again');
  });

  test('puts keys under a target as dotted names, and takes @timestamp as the record time', () => {
    const s = only([{ json: { field: 'payload', target: 'p' } }], { payload: '{"@timestamp":"2026-02-03T04:05:06Z","a":{"b":1},"_id":"kept"}' });
    assert.equal(s.ts, Date.UTC(2026, 1, 3, 4, 5, 6));
    assert.deepEqual(s.fields, { payload: s.fields.payload, 'p.a.b': 1, 'p._id': 'kept' });
  });

  test('overwrites fields it parses, including the source', () => {
    assert.deepEqual(only([{ json: {} }], '{"message":"inner","x":1}').fields, { message: 'inner', x: 1 });
  });

  test('fails on text that is not a JSON object, keeping the record by default', () => {
    for (const m of ['plain text', '{"broken": ', '[1,2]', '  {"a":1} trailing']) {
      const s = only([{ json: {} }], m);
      assert.deepEqual(s.fields, { message: m });
      assert.equal(s.json, '{"message":' + JSON.stringify(m) + '}', 'an unchanged record keeps its stored text');
    }
    const r = run([{ json: {} }], ['not json', { other: 1 }, { message: 5 }]);
    assert.equal(r.stats.processors[0].failed, 3);
    assert.equal(r.stored.length, 3);
  });

  test('on_failure reject names the processor, its type and the value, cut to 100 characters', () => {
    const long = 'x'.repeat(300);
    const rj = rejection([{ lowercase: { fields: ['a'] } }, { json: { on_failure: 'reject' } }], long);
    assert.equal(rj.code, 'invalid_json');
    assert.equal(rj.line, 1);
    assert.match(rj.reason, /^processors\[1\] \(json\): field "message" is not a JSON object: "x{100}…"$/);
    assert.match(rejection([{ json: { on_failure: 'reject' } }], { other: 1 }).reason, /field "message" is missing/);
    assert.match(rejection([{ json: { on_failure: 'reject' } }], '{"a":').reason, /field "message" is not JSON \(/);
  });
});

describe('logfmt and kv', () => {
  test('logfmt merges pairs, as strings, bare keys as true', () => {
    const s = only([{ logfmt: {} }], 'level=info msg="user \\"bob\\" logged in" duration=12ms cached');
    assert.deepEqual(s.fields, { message: s.fields.message, level: 'info', msg: 'user "bob" logged in', duration: '12ms', cached: true });
  });

  test('logfmt under a target, with @timestamp taken as the time', () => {
    const s = only([{ logfmt: { target: 'lf' } }], '@timestamp=2026-05-06T07:08:09Z a=1 _index=x');
    assert.equal(s.ts, Date.UTC(2026, 4, 6, 7, 8, 9));
    assert.deepEqual(s.fields, { message: s.fields.message, 'lf.a': '1', 'lf._index': 'x' });
  });

  test('kv with its own separators, on another field', () => {
    const s = only([{ kv: { field: 'query', field_split: '&', value_split: '=' } }], { query: 'q=error&page=2&empty=' });
    assert.deepEqual(s.fields, { query: 'q=error&page=2&empty=', q: 'error', page: '2', empty: '' });
  });

  test('a line that is not pairs fails: kept by default, rejected or dropped on request', () => {
    assert.deepEqual(only([{ logfmt: {} }], 'a plain sentence').fields, { message: 'a plain sentence' });
    const rj = rejection([{ kv: { on_failure: 'reject' } }], 'a="unterminated');
    assert.equal(rj.code, 'pipeline_failed');
    assert.match(rj.reason, /^processors\[0\] \(kv\): field "message": unterminated quoted value of "a" starting at column 3: "a=\\"unterminated"$/);
    const r = run([{ logfmt: { on_failure: 'drop' } }], ['a=1', 'no pairs', 'b=2']);
    assert.deepEqual(r.dropped, [2]);
    assert.deepEqual(r.stored.map((s) => s.pos), [1, 3]);
  });
});

describe('grok', () => {
  const access = '%{IP:client.ip} %{WORD:http.method} %{NOTSPACE:url.original} %{INT:http.status:int}';

  test('the first matching pattern wins, with typed captures merged into the root', () => {
    const def = [{ grok: { patterns: ['^%{MYLEVEL:level}: %{GREEDYDATA:text}$', `^${access}$`], pattern_definitions: { MYLEVEL: '(?:INFO|WARN)' } } }];
    assert.deepEqual(only(def, '10.0.0.1 GET /index.html 404').fields, {
      message: '10.0.0.1 GET /index.html 404',
      'client.ip': '10.0.0.1',
      'http.method': 'GET',
      'url.original': '/index.html',
      'http.status': 404,
    });
    assert.deepEqual(only(def, 'WARN: disk at 91%').fields, { message: 'WARN: disk at 91%', level: 'WARN', text: 'disk at 91%' });
  });

  test('no matching pattern: kept by default, rejected or dropped on request', () => {
    assert.deepEqual(only([{ grok: { patterns: [access] } }], 'nothing like it').fields, { message: 'nothing like it' });
    const rj = rejection([{ grok: { patterns: [access, '^x$'], on_failure: 'reject' } }], 'nothing like it');
    assert.equal(rj.code, 'pipeline_failed');
    assert.equal(rj.reason, 'processors[0] (grok): field "message" matches none of the 2 patterns: "nothing like it"');
    assert.deepEqual(run([{ grok: { patterns: [access], on_failure: 'drop' } }], ['nothing']).dropped, [1]);
  });
});

describe('timestamp', () => {
  test('sets the record time from a field, keeping the field and its stored text by default', () => {
    const s = only([{ timestamp: { field: 'time' } }], { time: '2026-02-03T04:05:06.789+01:00', m: 1 });
    assert.equal(s.ts, Date.UTC(2026, 1, 3, 3, 5, 6, 789));
    assert.deepEqual(s.fields, { time: '2026-02-03T04:05:06.789+01:00', m: 1 });
    assert.equal(s.json, '{"time":"2026-02-03T04:05:06.789+01:00","m":1}', 'only the time changed: the stored fields stand');
  });

  test('tries its formats in order, in its time zone, and removes the field on request', () => {
    const def = [{ timestamp: { field: 'time', formats: ['yyyy-MM-dd HH:mm:ss,SSS', 'epoch_s'], timezone: 'Europe/Paris', remove: true } }];
    const r = run(def, [{ time: '2026-07-01 12:00:00,250', m: 1 }, { time: 1767225600, m: 2 }]);
    assert.deepEqual(r.stored.map((s) => [s.ts, s.fields, s.json]), [
      [Date.UTC(2026, 6, 1, 10, 0, 0, 250), { m: 1 }, null],
      [Date.UTC(2026, 0, 1), { m: 2 }, null],
    ]);
  });

  test('a year-less syslog time takes its year from the request time', () => {
    assert.equal(only([{ timestamp: { field: 'time', formats: ['syslog'] } }], { time: 'Dec 31 23:59:59' }).ts, Date.UTC(2025, 11, 31, 23, 59, 59));
  });

  test('a time that does not parse rejects the record by default, with invalid_timestamp', () => {
    const rj = rejection([{ timestamp: { field: 'time', formats: ['iso8601', 'epoch_ms'] } }], { time: 'yesterday' });
    assert.deepEqual([rj.code, rj.reason], ['invalid_timestamp', 'processors[0] (timestamp): field "time" is not a time in the formats iso8601, epoch_ms: "yesterday"']);
    assert.match(rejection([{ timestamp: { field: 'time' } }], { m: 1 }).reason, /^processors\[0\] \(timestamp\): field "time" is missing$/);
    assert.match(rejection([{ timestamp: { field: 'time' } }], { time: true }).reason, /field "time" is a boolean, not a time: true$/);
  });
});

describe('rename', () => {
  test('moves a value to another name, overwriting it', () => {
    assert.deepEqual(only([{ rename: { field: 'lvl', to: 'level' } }], { lvl: 'info', level: 'old', n: 1 }).fields, { n: 1, level: 'info' });
  });

  test('a missing field fails: nothing happens by default, rejected or dropped on request', () => {
    const s = only([{ rename: { field: 'lvl', to: 'level' } }], { n: 1 });
    assert.deepEqual(s.fields, { n: 1 });
    assert.equal(s.json, '{"n":1}');
    assert.equal(rejection([{ rename: { field: 'lvl', to: 'level', on_failure: 'reject' } }], { n: 1 }).reason, 'processors[0] (rename): field "lvl" is missing');
    assert.deepEqual(run([{ rename: { field: 'lvl', to: 'level', on_failure: 'drop' } }], [{ n: 1 }]).dropped, [1]);
  });

  test('never reads a field from the object prototype', () => {
    assert.deepEqual(only([{ rename: { field: 'constructor', to: 'c' } }], { n: 1 }).fields, { n: 1 });
  });
});

describe('remove', () => {
  test('removes the named fields and ignores missing ones', () => {
    const s = only([{ remove: { fields: ['a', 'missing', 'c'] } }], { a: 1, b: 2, c: 3 });
    assert.deepEqual(s.fields, { b: 2 });
    assert.equal(s.json, null);
    assert.equal(only([{ remove: { fields: ['missing'] } }], { b: 2 }).json, '{"b":2}', 'nothing removed, nothing to write again');
  });
});

describe('set', () => {
  test('sets constants of each type, overriding by default', () => {
    const def = [{ set: { field: 'env', value: 'prod' } }, { set: { field: 'n', value: 7 } }, { set: { field: 'ok', value: false } }];
    assert.deepEqual(only(def, { env: 'dev' }).fields, { env: 'prod', n: 7, ok: false });
  });

  test('override false keeps an existing value', () => {
    assert.deepEqual(only([{ set: { field: 'env', value: 'prod', override: false } }], { env: 'dev' }).fields, { env: 'dev' });
    assert.deepEqual(only([{ set: { field: 'env', value: 'prod', override: false } }], { x: 1 }).fields, { x: 1, env: 'prod' });
  });

  test('templates reference fields; a single reference keeps the type', () => {
    const def = [
      { set: { field: 'id', value: '{{host}}:{{ port }}/{{missing' } },
      { set: { field: 'code', value: '{{status}}' } },
      { set: { field: 'at', value: 'at {{@timestamp}}' } },
    ];
    const s = only(def, { '@timestamp': '2026-01-02T03:04:05Z', host: 'web-1', port: 8080, status: 503 });
    assert.deepEqual(s.fields, { host: 'web-1', port: 8080, status: 503, id: 'web-1:8080/{{missing', code: 503, at: 'at 2026-01-02T03:04:05.000Z' });
  });

  test('a reference to a missing field fails: the field is not set by default', () => {
    assert.deepEqual(only([{ set: { field: 'id', value: '{{host}}-1' } }], { x: 1 }).fields, { x: 1 });
    const rj = rejection([{ set: { field: 'id', value: '{{host}}-1', on_failure: 'reject' } }], { x: 1 });
    assert.equal(rj.reason, 'processors[0] (set): value references field "host", which is missing');
    assert.deepEqual(run([{ set: { field: 'id', value: '{{host}}', on_failure: 'drop' } }], [{ x: 1 }, { host: 'h' }]).dropped, [1]);
  });

  test('setting the value a field already has changes nothing', () => {
    assert.equal(only([{ set: { field: 'env', value: 'prod' } }], { env: 'prod' }).json, '{"env":"prod"}');
  });
});

describe('drop_if', () => {
  test('drops the records matching its query', () => {
    const r = run([{ drop_if: { query: 'level:debug OR status<200' } }], [{ level: 'debug' }, { level: 'info', status: 100 }, { level: 'info', status: 200 }]);
    assert.deepEqual(r.dropped, [1, 2]);
    assert.deepEqual(r.stored.map((s) => s.fields), [{ level: 'info', status: 200 }]);
    assert.equal(r.stats.processors[0].dropped, 2);
  });

  test('sees the record as the processors before it left it', () => {
    const r = run([{ lowercase: { fields: ['level'] } }, { drop_if: { query: 'level:debug' } }], [{ level: 'DEBUG' }, { level: 'Info' }]);
    assert.deepEqual(r.dropped, [1]);
  });
});

describe('redact', () => {
  test('masks every match in string fields and leaves others alone', () => {
    const s = only([{ redact: { fields: ['message', 'card', 'n'], pattern: '\\b\\d{4}(?:[ -]?\\d{4}){3}\\b', mask: '[card]' } }], {
      message: 'paid with 4111 1111 1111 1111 and 5500-0000-0000-0004',
      card: '4111111111111111',
      n: 4111111111111111,
      other: '4111111111111111',
    });
    assert.deepEqual(s.fields, { message: 'paid with [card] and [card]', card: '[card]', n: 4111111111111111, other: '4111111111111111' });
  });

  test('an empty match inside a pattern that can also match text inserts nothing', () => {
    assert.deepEqual(only([{ redact: { fields: ['m'], pattern: '(?=secret)|token=\\w+' } }], { m: 'a token=abc secret' }).fields, { m: 'a [redacted] secret' });
  });

  test('a mask with $ is inserted as written', () => {
    assert.deepEqual(only([{ redact: { fields: ['m'], pattern: 'pw=\\S+', mask: '$& $1' } }], { m: 'login pw=hunter2' }).fields, { m: 'login $& $1' });
  });
});

describe('lowercase and uppercase', () => {
  test('change string fields only', () => {
    const s = only([{ lowercase: { fields: ['level', 'n', 'missing'] } }, { uppercase: { fields: ['code'] } }], { level: 'WARN', code: 'e42ä', n: 5 });
    assert.deepEqual(s.fields, { level: 'warn', code: 'E42Ä', n: 5 });
    assert.equal(only([{ lowercase: { fields: ['level'] } }], { level: 'warn' }).json, '{"level":"warn"}');
  });
});

describe('convert', () => {
  const cases: [string, unknown, unknown][] = [
    ['integer', '42', 42],
    ['integer', ' -7 ', -7],
    ['integer', 12, 12],
    ['integer', true, 1],
    ['integer', '3.5', undefined],
    ['integer', 3.5, undefined],
    ['integer', '12abc', undefined],
    ['integer', '99999999999999999999', undefined],
    ['integer', '-0', 0], // not -0: JSON has none, so memory and the stored record agree
    ['float', '3.25', 3.25],
    ['float', '-1e3', -1000],
    ['float', '.5', 0.5],
    ['float', '-0.0', 0],
    ['float', 7, 7],
    ['float', 'NaN', undefined],
    ['float', '0x10', undefined],
    ['string', 503, '503'],
    ['string', false, 'false'],
    ['string', 'as is', 'as is'],
    ['boolean', 'TRUE', true],
    ['boolean', 'yes', true],
    ['boolean', '1', true],
    ['boolean', 'No', false],
    ['boolean', '0', false],
    ['boolean', 0, false],
    ['boolean', 1, true],
    ['boolean', 2, undefined],
    ['boolean', 'maybe', undefined],
  ];
  for (const [type, value, want] of cases) {
    test(`${JSON.stringify(value)} to ${type}: ${want === undefined ? 'fails' : JSON.stringify(want)}`, () => {
      const def = [{ convert: { field: 'v', type, on_failure: 'reject' } }];
      const r = run(def, [{ v: value }]);
      if (want === undefined) {
        assert.equal(r.rejected.length, 1);
        assert.equal(r.rejected[0].code, 'invalid_field');
        assert.match(r.rejected[0].reason, new RegExp(`^processors\\[0\\] \\(convert\\): field "v" does not convert to an? ${type}: `));
      } else {
        assert.deepEqual(r.stored[0].fields, { v: want });
      }
    });
  }

  test('by default a value that does not convert is kept as it was', () => {
    assert.deepEqual(only([{ convert: { field: 'status', type: 'integer' } }], { status: 'n/a' }).fields, { status: 'n/a' });
    assert.deepEqual(run([{ convert: { field: 'status', type: 'integer', on_failure: 'drop' } }], [{ status: 'n/a' }]).dropped, [1]);
    assert.match(rejection([{ convert: { field: 'status', type: 'integer', on_failure: 'reject' } }], { x: 1 }).reason, /field "status" is missing/);
  });
});

describe('route', () => {
  test('the first route whose if matches names the index, else the request\'s index', () => {
    const def = [
      { route: { index: 'errors', if: 'level:error' } },
      { route: { index: 'slow', if: 'duration_ms>1000' } },
      { route: { index: 'never' , if: 'level:error' } },
    ];
    const r = run(def, [{ level: 'error', duration_ms: 5000 }, { level: 'info', duration_ms: 5000 }, { level: 'info' }], 'app');
    assert.deepEqual(r.stored.map((s) => [s.pos, s.index]), [[1, 'errors'], [2, 'slow'], [3, 'app']]);
    assert.deepEqual(r.stats.processors.map((p) => [p.in, p.skipped]), [[3, 2], [2, 1], [1, 1]]);
  });

  test('a route without if takes everything; routes run last wherever they are listed', () => {
    const def = [{ route: { index: 'by-level-error', if: 'level:error' } }, { lowercase: { fields: ['level'] } }, { route: { index: 'rest' } }];
    const r = run(def, [{ level: 'ERROR' }, { level: 'Info' }], 'app');
    assert.deepEqual(r.stored.map((s) => s.index), ['by-level-error', 'rest']);
  });
});

describe('if', () => {
  // Each processor would change `{"message": "a=1 X", "level": "DEBUG", ...}` if it ran; with an `if` that the
  // record does not match, it must leave it exactly as it came.
  const doc = { message: '{"a":1}', kv: 'a=1', level: 'DEBUG', status: '200', time: '2026-01-01T00:00:00Z' };
  const processors: Record<string, unknown>[] = [
    { json: {} },
    { logfmt: { field: 'kv' } },
    { kv: { field: 'kv' } },
    { grok: { field: 'level', patterns: ['%{WORD:w}'] } },
    { timestamp: { field: 'time', remove: true } },
    { rename: { field: 'level', to: 'lvl' } },
    { remove: { fields: ['level'] } },
    { set: { field: 'level', value: 'x' } },
    { drop_if: { query: '*' } },
    { redact: { fields: ['level'], pattern: 'DEBUG' } },
    { lowercase: { fields: ['level'] } },
    { uppercase: { fields: ['kv'] } },
    { convert: { field: 'status', type: 'integer' } },
    { route: { index: 'elsewhere' } },
  ];
  for (const p of processors) {
    const type = Object.keys(p)[0];
    const opts = (p as Record<string, Record<string, unknown>>)[type];
    test(`${type} runs only on records matching it`, () => {
      const skipped = run([{ [type]: { ...opts, if: 'level:info' } }], [doc], 'logs');
      assert.equal(skipped.stored.length, 1);
      assert.deepEqual(skipped.stored[0].fields, doc);
      assert.equal(skipped.stored[0].index, 'logs');
      assert.equal(skipped.stored[0].ts, NOW);
      assert.equal(skipped.stored[0].json, JSON.stringify(doc), 'a skipped record keeps its stored text');
      assert.equal(skipped.stats.processors[0].skipped, 1);

      const ran = run([{ [type]: { ...opts, if: 'level:debug' } }], [doc], 'logs');
      const s = ran.stored[0];
      const same = s !== undefined && JSON.stringify(s.fields) === JSON.stringify(doc) && s.index === 'logs' && s.ts === NOW;
      assert.ok(!same, `${type} changed nothing when its if matched`);
      assert.equal(ran.stats.processors[0].skipped, 0);
    });
  }
});

describe('on_failure', () => {
  // A processor, a record it fails on, and the code it rejects with.
  const failing: [Record<string, unknown>, Record<string, unknown>, string][] = [
    [{ json: {} }, { message: 'not json' }, 'invalid_json'],
    [{ logfmt: {} }, { message: 'no pairs' }, 'pipeline_failed'],
    [{ kv: {} }, { message: 'no pairs' }, 'pipeline_failed'],
    [{ grok: { patterns: ['^%{INT:n}$'] } }, { message: 'no digits' }, 'pipeline_failed'],
    [{ timestamp: { field: 'time' } }, { time: 'not a time at all' }, 'invalid_timestamp'],
    [{ rename: { field: 'a', to: 'b' } }, { c: 1 }, 'pipeline_failed'],
    [{ set: { field: 'a', value: '{{b}}' } }, { c: 1 }, 'pipeline_failed'],
    [{ convert: { field: 'a', type: 'boolean' } }, { a: 'perhaps' }, 'invalid_field'],
  ];
  for (const [p, doc, code] of failing) {
    const type = Object.keys(p)[0];
    const opts = (p as Record<string, Record<string, unknown>>)[type];
    test(`${type}: keep passes the record on unchanged, drop drops it, reject rejects it with ${code}`, () => {
      const docs = [{ ...doc }, { ...doc }];
      const kept = run([{ [type]: { ...opts, on_failure: 'keep' } }], docs);
      assert.deepEqual(kept.stored.map((s) => [s.pos, s.fields, s.json]), [[1, doc, JSON.stringify(doc)], [2, doc, JSON.stringify(doc)]]);
      assert.deepEqual([kept.stats.processors[0].failed, kept.stats.processors[0].out], [2, 2]);

      const dropped = run([{ [type]: { ...opts, on_failure: 'drop' } }], docs);
      assert.deepEqual([dropped.stored, dropped.dropped, dropped.rejected], [[], [1, 2], []]);
      assert.deepEqual([dropped.stats.processors[0].failed, dropped.stats.processors[0].dropped], [2, 2]);

      const rejected = run([{ [type]: { ...opts, on_failure: 'reject' } }], docs);
      assert.deepEqual([rejected.stored, rejected.dropped], [[], []]);
      assert.deepEqual(rejected.rejected.map((r) => [r.line, r.code]), [[1, code], [2, code]]);
      assert.ok(rejected.rejected[0].reason.startsWith(`processors[0] (${type}): `), rejected.rejected[0].reason);
      assert.deepEqual(rejected.stats.processors[0].rejected, { [code]: 2 });
    });
  }
});
