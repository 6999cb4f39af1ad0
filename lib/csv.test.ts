import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv } from './csv.ts';

test('quoted fields keep commas, doubled quotes and line breaks; rows end at CRLF or LF', () => {
  const text = 'a,b,c\r\n1,"x, y","say ""hi"""\n2,"two\nlines",\n3,,last';
  assert.deepEqual(parseCsv(text), [
    ['a', 'b', 'c'],
    ['1', 'x, y', 'say "hi"'],
    ['2', 'two\nlines', ''],
    ['3', '', 'last'],
  ]);
});

test('an unterminated quote is an error that names the row', () => {
  assert.throws(() => parseCsv('a,b\n1,"open'), /unterminated quoted CSV field in row 2/);
});
