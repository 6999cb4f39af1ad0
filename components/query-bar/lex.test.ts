import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseQuery } from '../../indexer/query/parser.ts';
import { addFilter, lexQuery, quoteValue, wordAt } from './lex.ts';

const kinds = (q: string) => lexQuery(q).filter((s) => s.kind !== 'space').map((s) => `${s.kind}:${q.slice(s.start, s.end)}`);

test('spans follow the query language: fields, operators, keywords, phrases, numbers, prefixes, ranges', () => {
  assert.deepEqual(kinds('level:error AND NOT "conn refused"'), ['field:level', 'op::', 'word:error', 'keyword:AND', 'keyword:NOT', 'phrase:"conn refused"']);
  assert.deepEqual(kinds('status>=500 -path:api* (a OR b)'), ['field:status', 'op:>=', 'number:500', 'not:-', 'field:path', 'op::', 'wild:api*', 'paren:(', 'word:a', 'keyword:OR', 'word:b', 'paren:)']);
  assert.deepEqual(kinds('bytes:[10 TO 20] host:"web 1"'), ['field:bytes', 'op::', 'range:[10 TO 20]', 'field:host', 'op::', 'phrase:"web 1"']);
  // A keyword only counts at the start of a clause: ORDER is a word.
  assert.deepEqual(kinds('ORDER placed'), ['word:ORDER', 'word:placed']);
});

test('spans cover the whole text without gaps or overlaps, for any input', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ':', '"', '(', ')', '-', ' ', '*', '[', ']', '>', '=', '1', 'A', 'N', 'D', 'O', 'R', '\\') }), (q) => {
      let at = 0;
      for (const s of lexQuery(q)) {
        assert.equal(s.start, at);
        assert.ok(s.end > s.start);
        at = s.end;
      }
      assert.equal(at, q.length);
    }),
    { numRuns: 2000 },
  );
});

test('the word at the caret, and whether it is a field value', () => {
  assert.deepEqual(wordAt('level:er', 8), { start: 6, field: 'level', prefix: 'er' });
  assert.deepEqual(wordAt('a lev', 5), { start: 2, field: null, prefix: 'lev' });
  assert.deepEqual(wordAt('a -serv', 7), { start: 3, field: null, prefix: 'serv' });
  assert.deepEqual(wordAt('(host:', 6), { start: 6, field: 'host', prefix: '' });
});

test('filters added from values parse back to exactly that value', () => {
  assert.equal(addFilter('', 'level', 'error', false), 'level:error');
  assert.equal(addFilter('*', 'level', 'error', true), '-level:error');
  assert.equal(addFilter('a OR b', 'host.name', 'web 1', false), '(a OR b) host.name:"web 1"');
  assert.equal(quoteValue(42), '42');
  assert.equal(quoteValue('OR'), '"OR"');
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((v) => /[\p{L}\p{N}_]/u.test(v)), (v) => {
      const q = parseQuery(addFilter('', 'f', v, false));
      assert.equal(q.type, 'text');
      if (q.type === 'text') assert.equal(q.field, 'f');
    }),
    { numRuns: 1000 },
  );
});
