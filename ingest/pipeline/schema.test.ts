import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StrataError } from '../../lib/errors.ts';
import { MAX_PATTERN_BYTES, parsePipelineDef } from './schema.ts';

function refusal(input: unknown): string {
  try {
    parsePipelineDef(input);
  } catch (e) {
    assert.ok(e instanceof StrataError, `threw ${String(e)}`);
    assert.equal(e.code, 'invalid_config');
    return e.message;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

const one = (p: unknown) => ({ processors: [p] });

describe('parsePipelineDef', () => {
  test('fills in every default, so a stored definition shows what runs', () => {
    const def = parsePipelineDef({
      description: 'web logs',
      processors: [
        { json: {} },
        { logfmt: { target: 'lf' } },
        { kv: {} },
        { grok: { patterns: ['%{WORD:w}'] } },
        { timestamp: { field: 'time' } },
        { set: { field: 'env', value: 'prod' } },
        { redact: { fields: ['message'], pattern: '\\d{16}' } },
        { convert: { field: 'status', type: 'integer' } },
        { rename: { field: 'a', to: 'b' } },
      ],
    });
    assert.deepEqual(def.processors, [
      { json: { field: 'message', target: '', on_failure: 'keep' } },
      { logfmt: { field: 'message', target: 'lf', on_failure: 'keep' } },
      { kv: { field: 'message', field_split: ' ', value_split: '=', target: '', on_failure: 'keep' } },
      { grok: { field: 'message', patterns: ['%{WORD:w}'], pattern_definitions: {}, on_failure: 'keep' } },
      { timestamp: { field: 'time', formats: ['auto'], remove: false, on_failure: 'reject' } },
      { set: { field: 'env', value: 'prod', override: true, on_failure: 'keep' } },
      { redact: { fields: ['message'], pattern: '\\d{16}', mask: '[redacted]' } },
      { convert: { field: 'status', type: 'integer', on_failure: 'keep' } },
      { rename: { field: 'a', to: 'b', on_failure: 'keep' } },
    ]);
    assert.equal(def.description, 'web logs');
    // Parsing a parsed definition changes nothing: the node may validate a stored one again.
    assert.deepEqual(parsePipelineDef(def), def);
  });

  test('accepts the definition of the documentation', () => {
    const def = parsePipelineDef({
      description: 'optional text',
      processors: [
        { json: { field: 'message', target: '' } },
        { logfmt: { field: 'message', target: '' } },
        { kv: { field: 'message', field_split: ' ', value_split: '=', target: '' } },
        { grok: { field: 'message', patterns: ['%{MY:x}'], pattern_definitions: { MY: '[a-z]+' } } },
        { timestamp: { field: 'time', formats: ['auto'], timezone: 'UTC', remove: true } },
        { rename: { field: 'a', to: 'b' } },
        { remove: { fields: ['a', 'b'] } },
        { set: { field: 'env', value: 'prod', override: true } },
        { drop_if: { query: 'level:debug' } },
        { redact: { fields: ['message'], pattern: '\\b\\d{16}\\b', mask: '[card]' } },
        { lowercase: { fields: ['level'] } },
        { uppercase: { fields: ['code'] } },
        { convert: { field: 'status', type: 'integer', if: 'status:*', on_failure: 'reject' } },
        { route: { index: 'errors', if: 'level:error' } },
      ],
    });
    assert.equal(def.processors.length, 14);
  });

  test('an empty list of processors is a pipeline that only validates', () => {
    assert.deepEqual(parsePipelineDef({ processors: [] }), { processors: [] });
  });

  // Each refusal names the path of what is wrong and says what would be right.
  const refusals: [string, unknown, RegExp][] = [
    ['not an object', 'json', /\(root\): .*expected object/],
    ['processors missing', {}, /processors: /],
    ['an unknown top-level key', { processors: [], version: 2 }, /\(root\): Unrecognized key: "version"/],
    ['an unknown processor type', one({ grokk: {} }), /processors\.0: Unrecognized key: "grokk"/],
    ['a processor with no type', one({}), /processors\.0: a processor is an object with one key, its type: one of json, logfmt/],
    ['a processor with two types', one({ json: {}, logfmt: {} }), /processors\.0: a processor has exactly one type, this one has json and logfmt/],
    ['an unknown option', one({ json: { field: 'message', add_to_root: true } }), /processors\.0\.json: Unrecognized key: "add_to_root"/],
    ['on_failure where nothing can fail', one({ remove: { fields: ['a'], on_failure: 'drop' } }), /processors\.0\.remove: Unrecognized key: "on_failure"/],
    ['an unknown on_failure', one({ json: { on_failure: 'ignore' } }), /processors\.0\.json\.on_failure: /],
    ['a bad if query', one({ set: { field: 'a', value: 1, if: 'level:(' } }), /processors\.0\.set\.if: invalid query: .*at position/],
    ['a bad drop_if query', one({ drop_if: { query: 'a AND' } }), /processors\.0\.drop_if\.query: invalid query/],
    ['a bad grok reference', one({ grok: { patterns: ['%{WORD:w}', '%{NO_SUCH_PATTERN:x}'] } }), /processors\.0\.grok\.patterns\.1: .*NO_SUCH_PATTERN/],
    ['no grok pattern', one({ grok: { patterns: [] } }), /processors\.0\.grok\.patterns: give at least one pattern/],
    ['a grok pattern over 4 KiB', one({ grok: { patterns: ['a'.repeat(MAX_PATTERN_BYTES + 1)] } }), /processors\.0\.grok\.patterns\.0: a pattern may be at most 4096 bytes/],
    ['a bad pattern name', one({ grok: { patterns: ['%{WORD}'], pattern_definitions: { 'my-pat': 'x' } } }), /processors\.0\.grok\.pattern_definitions\.my-pat: a pattern name/],
    ['a bad redact regex', one({ redact: { fields: ['m'], pattern: '(unclosed' } }), /processors\.0\.redact\.pattern: not a valid regular expression/],
    ['a redact regex matching nothing', one({ redact: { fields: ['m'], pattern: '\\d*' } }), /processors\.0\.redact\.pattern: the pattern matches the empty string/],
    ['a bad route index', one({ route: { index: 'Errors!' } }), /processors\.0\.route\.index: an index name is lower-case letters/],
    ['a convert type', one({ convert: { field: 'a', type: 'long' } }), /processors\.0\.convert\.type: /],
    ['setting @timestamp', one({ set: { field: '@timestamp', value: 1 } }), /processors\.0\.set\.field: "@timestamp" is the record's time, not a field: use a timestamp processor/],
    ['renaming to _index', one({ rename: { field: 'a', to: '_index' } }), /processors\.0\.rename\.to: "_index" .*use a route processor/],
    ['renaming a field to itself', one({ rename: { field: 'a', to: 'a' } }), /processors\.0\.rename\.to: renaming a field to itself/],
    ['an empty field name', one({ lowercase: { fields: [''] } }), /processors\.0\.lowercase\.fields\.0: a field name must not be empty/],
    ['no fields', one({ uppercase: { fields: [] } }), /processors\.0\.uppercase\.fields: name at least one field/],
    ['a set value of the wrong type', one({ set: { field: 'a', value: null } }), /processors\.0\.set\.value: /],
    ['an empty template reference', one({ set: { field: 'a', value: 'x-{{ }}' } }), /processors\.0\.set\.value: empty field reference/],
    ['a timestamp without its field', one({ timestamp: {} }), /processors\.0\.timestamp\.field: /],
    ['kv separators that overlap', one({ kv: { field_split: '=', value_split: '=' } }), /processors\.0\.kv\.value_split: field_split and value_split must differ/],
    ['a bad time zone', one({ timestamp: { field: 't', timezone: 'Mars/Olympus' } }), /processors\.0\.timestamp\.timezone: unknown time zone "Mars\/Olympus"/],
    ['a bad time pattern', one({ timestamp: { field: 't', formats: ['auto', 'yyyy-MM-dd QQ'] } }), /processors\.0\.timestamp\.formats\.1: /],
    ['over 100 processors', { processors: Array.from({ length: 101 }, () => ({ lowercase: { fields: ['a'] } })) }, /processors: a pipeline has at most 100 processors/],
  ];
  for (const [what, input, want] of refusals) {
    test(`refuses ${what}`, () => {
      const msg = refusal(input);
      assert.match(msg, /^invalid pipeline definition: /);
      assert.match(msg, want);
    });
  }

  test('names every bad path at once', () => {
    const msg = refusal({ processors: [{ json: { field: 1 } }, { rename: { field: 'a' } }] });
    assert.match(msg, /processors\.0\.json\.field: /);
    assert.match(msg, /processors\.1\.rename\.to: /);
  });
});
