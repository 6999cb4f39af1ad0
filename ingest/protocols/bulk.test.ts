import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fieldsOf, jsonOf } from '../batch.ts';
import { BulkItemScanner, decodeBulk, type BulkOptions } from './bulk.ts';

const NOW = 1_767_225_600_000;
const opts = (o: Partial<BulkOptions> = {}): BulkOptions => ({
  defaultIndex: null,
  defaultPipeline: undefined,
  nowMs: NOW,
  maxRecordBytes: 1024,
  ...o,
});

describe('decodeBulk', () => {
  test('pairs action and source lines, groups by index, and keeps every item in request order', () => {
    const body = [
      '{"index":{"_index":"web","_type":"events"}}',
      '{"@timestamp":"2026-01-01T00:00:00Z","message":"one"}',
      '{"create":{"_index":"app","_id":"abc"}}',
      '{"message":"two","n":2}',
      '{"delete":{"_index":"web","_id":"x"}}',
      '{"update":{"_index":"web","_id":"y"}}',
      '{"doc":{"a":1}}',
      '{"index":{}}',
      '{"message":"three"}',
      '',
    ].join('\r\n');
    const d = decodeBulk(body, opts({ defaultIndex: 'dflt' }));
    assert.deepEqual(d.items.map((i) => [i.op, i.index, i.id]), [
      ['index', 'web', null],
      ['create', 'app', 'abc'],
      ['delete', 'web', 'x'],
      ['update', 'web', 'y'],
      ['index', 'dflt', null],
    ]);
    assert.deepEqual([...d.errors.keys()], [3, 4]);
    assert.match(d.errors.get(3)!.reason, /append-only: delete/);
    assert.match(d.errors.get(4)!.reason, /append-only: update/);
    assert.deepEqual(d.groups.map((g) => [g.index, g.batch.pos]), [['web', [1]], ['app', [2]], ['dflt', [5]]]);
    const app = d.groups[1].batch;
    // The sender's id is the record's first member, in the fields and in the stored JSON alike.
    assert.deepEqual(app.fields[0], { _id: 'abc', message: 'two', n: 2 });
    assert.equal(jsonOf(app, 0), '{"_id":"abc","message":"two","n":2}');
    assert.equal(d.groups[0].batch.ts[0], Date.UTC(2026, 0, 1));
    assert.equal(d.groups[2].batch.ts[0], NOW);
  });

  test('refuses bad items one by one and stays in step with the lines after them', () => {
    const body = [
      '{"index":{"_index":"a"}}',
      'not json',
      '{"index":{"_index":"a","bogus":1}}',
      '{"message":"unknown parameter"}',
      '{"index" {broken',
      '{"message":"source of a broken action"}',
      '{"index":{}}',
      '{"message":"no index"}',
      '{"index":{"_index":"Bad Name"}}',
      '{"message":"bad name"}',
      '{"index":{"_index":"a"}}',
      '[1,2]',
      '{"index":{"_index":"a"}}',
      `{"message":"${'x'.repeat(2000)}"}`,
      '{"index":{"_index":"a","pipeline":"_none"}}',
      '{"@timestamp":"yesterday","message":"kept"}',
      '{"index":{"_index":"a"}}',
    ].join('\n');
    const d = decodeBulk(body, opts());
    assert.equal(d.items.length, 9);
    const codes = [...d.errors].map(([pos, e]) => [pos, e.code, e.type]);
    assert.deepEqual(codes, [
      [1, 'invalid_json', 'document_parsing_exception'],
      [2, 'unknown_field', 'illegal_argument_exception'],
      [3, 'invalid_syntax', 'illegal_argument_exception'],
      [4, 'invalid_field', 'action_request_validation_exception'],
      [5, 'invalid_field', 'invalid_index_name_exception'],
      [6, 'not_an_object', 'document_parsing_exception'],
      [7, 'oversize', 'illegal_argument_exception'],
      [9, 'invalid_syntax', 'illegal_argument_exception'],
    ]);
    assert.equal(d.groups.length, 1);
    assert.equal(d.groups[0].pipeline, null);
    assert.deepEqual(d.groups[0].batch.fields, [{ message: 'kept' }]);
    assert.deepEqual(d.groups[0].batch.pos, [8]);
    assert.match(d.groups[0].batch.warnings![0].reason, /"yesterday" is not ISO 8601/);
  });

  test('the streaming scanner lists the same items as the decoder', () => {
    const action = fc.record({
      op: fc.constantFrom('index', 'create', 'delete', 'update'),
      index: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
      id: fc.option(fc.string({ minLength: 1, maxLength: 5 }), { nil: undefined }),
      source: fc.oneof(fc.constant('{"message":"m"}'), fc.constant('garbage'), fc.constant('{"index":"looks like data"}')),
    });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 20 }), (actions) => {
        const lines: string[] = [];
        for (const a of actions) {
          const meta: Record<string, string> = {};
          if (a.index) meta._index = a.index;
          if (a.id) meta._id = a.id;
          lines.push(JSON.stringify({ [a.op]: meta }));
          if (a.op !== 'delete') lines.push(a.source);
        }
        const d = decodeBulk(lines.join('\n'), opts({ defaultIndex: 'z' }));
        const s = new BulkItemScanner('z');
        for (const l of lines) s.line(l);
        assert.deepEqual(s.items, d.items.map(({ op, index, id }) => ({ op, index, id })));
        assert.equal(d.items.length, actions.length);
      }),
    );
  });

  test('property: arbitrary lines mixed into a body never throw, and every well-formed pair around them is kept', () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('{"index":', '{"delete":{}}', '{"index":{"_index":7}}', '{"create":{"_id":""}}', '[]', 'null', '{}', '\r'),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(junk.map((j) => ({ junk: j })), fc.nat(1000).map((n) => ({ n }))), { maxLength: 30 }), (parts) => {
        const lines: string[] = [];
        const want: string[] = [];
        for (const p of parts) {
          if ('junk' in p) lines.push(p.junk);
          else {
            lines.push('{"index":{"_index":"ok"}}', `{"message":"good ${p.n}"}`);
            want.push(`good ${p.n}`);
          }
        }
        const d = decodeBulk(lines.join('\n'), opts());
        const got = d.groups.filter((g) => g.index === 'ok').flatMap((g) => g.batch.fields.map((f) => String(f!.message)));
        // Junk can swallow at most the line after it (a broken action's presumed source), never a later pair; so
        // every good pair not directly after junk is kept.
        const safe = parts.flatMap((p, i) => ('n' in p && (i === 0 || 'n' in parts[i - 1]) ? [`good ${p.n}`] : []));
        for (const m of safe) assert.ok(got.includes(m), m);
        assert.ok(got.length <= want.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeBulk: a body given as bytes', () => {
  test('decodes to exactly what its text decodes to, across window boundaries', () => {
    const source = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }).map((m) => JSON.stringify({ message: m })),
      fc.integer({ min: 20_000, max: 60_000 }).map((k) => JSON.stringify({ message: 'é'.repeat(k) })),
      fc.constantFrom('garbage', '{"index":{}}', ''),
    );
    // Actions of one length that differ (an action line repeated is parsed once), and one refused for its index name.
    const action = fc.constantFrom('{"index":{}}', '{"create":{"_index":"b"}}', '{"create":{"_index":"c"}}', '{"create":{"_index":"B"}}', '{"delete":{}}', '{"index":');
    const pair = fc.tuple(action, source, fc.constantFrom('\n', '\r\n'));
    let spanned = 0;
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 300 }), fc.boolean(), (pairs, endsWithNewline) => {
        let s = pairs.map(([a, src, eol]) => a + eol + src + eol).join('');
        if (!endsWithNewline) s = s.replace(/\r?\n$/, '');
        const bytes = Buffer.from(s, 'utf8');
        if (bytes.length > 64 * 1024) spanned++;
        const o = opts({ defaultIndex: 'z' });
        const strip = (d: ReturnType<typeof decodeBulk>) => ({ items: d.items, errors: [...d.errors], groups: d.groups });
        assert.deepEqual(strip(decodeBulk(bytes, { ...o, nowMs: 1 })), strip(decodeBulk(s, { ...o, nowMs: 1 })));
      }),
      { seed: 113002, numRuns: 60 },
    );
    assert.ok(spanned >= 15, `only ${spanned} bodies spanned more than two windows`);
  });
});

describe('decodeBulk without keeping the parsed records', () => {
  test('drops exactly the objects of records without `_id` whose stored JSON is their own line, per index', () => {
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean());
    const obj = fc.dictionary(fc.oneof(fc.constantFrom('message', 'n', 'host.name', 'nested'), fc.string({ maxLength: 6 })), value, { maxKeys: 4 });
    const source = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4e12 }), obj).map(([ts, o]) => JSON.stringify({ '@timestamp': ts, ...o })) },
      { weight: 1, arbitrary: obj.map((o) => JSON.stringify({ ...o, nested: { a: [1] }, gone: null })) },
      { weight: 1, arbitrary: fc.constantFrom('{bad', '[1]', '', ' ') },
      // Spaces around the object: the decoding path trims them from the stored text, so the bytes path must too.
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4e12 }), obj, fc.constantFrom(' ', '\t', ''), fc.constantFrom(' ', ' \t', '')).map(([ts, o, a, b]) => a + JSON.stringify({ '@timestamp': ts, ...o }) + b) },
    );
    const action = fc.tuple(fc.constantFrom('index', 'create'), fc.constantFrom('kept', 'dropped'), fc.option(fc.string({ minLength: 1, maxLength: 6 }), { nil: null, freq: 2 })).map(
      ([op, index, id]) => JSON.stringify({ [op]: id === null ? { _index: index } : { _index: index, _id: id } }),
    );
    let raw = 0;
    let dropped = 0;
    let kept = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(action, source), { minLength: 1, maxLength: 30 }), (pairs) => {
        const body = Buffer.from(pairs.flat().join('\n') + '\n');
        const a = decodeBulk(body, opts({ maxRecordBytes: 1 << 20 }));
        const b = decodeBulk(body, opts({ maxRecordBytes: 1 << 20, keepFields: (index) => index === 'kept' }));
        assert.deepEqual(b.items, a.items);
        assert.deepEqual([...b.errors], [...a.errors]);
        assert.equal(b.groups.length, a.groups.length);
        b.groups.forEach((g, k) => {
          const ga = a.groups[k].batch;
          const gb = g.batch;
          assert.deepEqual([gb.ts, gb.pos, gb.rejected, gb.warnings], [ga.ts, ga.pos, ga.rejected, ga.warnings]);
          assert.equal(gb.raw !== undefined, g.index === 'dropped', `${g.index} keeps records as bytes`);
          gb.fields.forEach((f, i) => {
            const hasId = ga.fields[i]!._id !== undefined;
            if (gb.raw !== undefined && gb.raw.start[i] >= 0) {
              // The source line's own bytes: what the decoding path stores too, whenever it stores the line's text.
              raw++;
              assert.ok(!hasId, `record ${i} has an id`);
              assert.deepEqual([f, gb.fieldsJson[i]], [null, null]);
              if (ga.fieldsJson[i] !== null) assert.equal(jsonOf(gb, i), ga.fieldsJson[i]);
            } else {
              assert.equal(gb.fieldsJson[i], ga.fieldsJson[i]);
              assert.equal(f === null, g.index === 'dropped' && gb.fieldsJson[i] !== null && !hasId, `${g.index} record ${i}`);
              if (f === null) dropped++;
              else kept++;
            }
            assert.deepEqual(JSON.parse(jsonOf(gb, i)), ga.fields[i]);
            assert.deepEqual(fieldsOf(gb, i), ga.fields[i]);
            assert.deepEqual(Object.keys(fieldsOf(gb, i)), Object.keys(ga.fields[i]!));
          });
        });
      }),
      { seed: 20261130, numRuns: 300 },
    );
    assert.ok(raw > 200 && dropped > 5 && kept > 200, `raw ${raw}, dropped ${dropped}, kept ${kept}`);
  });
});
