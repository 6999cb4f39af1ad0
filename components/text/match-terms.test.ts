import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markMatches, termsOf } from './match-terms.ts';

const marks = (text: string, field: string, q: string) => markMatches(text, field, termsOf(q)).map((p) => (typeof p === 'string' ? p : `[${p.mark}]`)).join('');

test('words, phrases and prefixes are marked where the query matches them', () => {
  assert.equal(marks('Connection to db-1 FAILED: timeout', 'message', 'failed'), 'Connection to db-1 [FAILED]: timeout');
  assert.equal(marks('connection to db-1 failed', 'message', '"to db 1"'), 'connection [to db-1] failed');
  assert.equal(marks('connection connected conn', 'message', 'conn*'), '[connection] [connected] [conn]');
  // A word of several tokens is its tokens in a row.
  assert.equal(marks('from 10.0.0.1 and 10.0.0.2', 'message', '10.0.0.1'), 'from [10.0.0.1] and 10.0.0.2');
});

test('field clauses mark only their field; NOT clauses mark nothing; a broken query marks nothing', () => {
  assert.equal(marks('error here', 'message', 'level:error'), 'error here');
  assert.equal(marks('error', 'level', 'level:error'), '[error]');
  assert.equal(marks('error here', 'message', '-error here'), 'error [here]');
  assert.equal(marks('error here', 'message', 'error AND ('), 'error here');
});

test('markup stays plain text in the pieces', () => {
  const pieces = markMatches('<script>alert(1)</script> failed', 'message', termsOf('failed'));
  assert.deepEqual(pieces, ['<script>alert(1)</script> ', { mark: 'failed' }]);
});
