import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatQuery, type Query } from './ast.ts';
import { MAX_QUERY_CLAUSES, MAX_QUERY_LENGTH, parseQuery, QueryError } from './parser.ts';

/** Expected as the canonical formatted form (a string) or as the exact AST. */
function check(input: string, expected: string | Query): void {
  const q = parseQuery(input);
  if (typeof expected === 'string') assert.equal(formatQuery(q), expected, `query ${JSON.stringify(input)}`);
  else assert.deepEqual(q, expected, `query ${JSON.stringify(input)}`);
}

/** Expects a QueryError at `position`, optionally with a message matching `msg`. */
function fails(input: string, position: number, msg?: RegExp): void {
  assert.throws(
    () => parseQuery(input),
    (e: unknown) => {
      assert.ok(e instanceof QueryError, `${JSON.stringify(input)} threw ${String(e)}, not a QueryError`);
      assert.equal(e.position, position, `position for ${JSON.stringify(input)}: ${e.message}`);
      assert.equal(e.code, 'invalid_query');
      if (msg) assert.match(e.message, msg);
      return true;
    },
  );
}

const text = (field: string | null, tokens: string[], prefix = false, number?: number): Query =>
  number === undefined ? { type: 'text', field, tokens, prefix } : { type: 'text', field, tokens, prefix, number };
const range = (field: string, min: number, max: number, minInclusive: boolean, maxInclusive: boolean): Query => ({
  type: 'range', field, min, max, minInclusive, maxInclusive,
});

describe('parseQuery: constructs', () => {
  test('empty and match-all', () => {
    for (const q of ['', '   ', '\t\n', '*', ' * ', '* *', 'a OR *']) check(q, '*');
    check('a * b', '(a AND b)');
  });

  test('words: tokens are lower-cased runs of letters, marks, digits and _', () => {
    check('error', text(null, ['error']));
    check('ERROR', text(null, ['error']));
    check('Café', text(null, ['café']));
    check('cafe\u0301', text(null, ['cafe\u0301']));
    check('foo_bar', text(null, ['foo_bar']));
    check('𝑥𝑦z', text(null, ['𝑥𝑦z']));
    check('٣٤', text(null, ['٣٤']));
    check('İstanbul', text(null, ['i\u0307stanbul']));
    // Lower-case operators are words.
    check('not', 'not');
    check('and or', '(and AND or)');
    check('NOTa ANDROID ORACLE', '(nota AND android AND oracle)');
  });

  test('a word of several tokens is a phrase of them', () => {
    check('10.0.0.1', text(null, ['10', '0', '0', '1']));
    check('user-42', text(null, ['user', '42']));
    check('a/b,c', '"a b c"');
    check('3.5', text(null, ['3', '5'], false, 3.5));
  });

  test('numbers keep their value for numeric fields', () => {
    check('42', text(null, ['42'], false, 42));
    check('status:404', text('status', ['404'], false, 404));
    check('status:-5', text('status', ['5'], false, -5));
    check('status:+7', text('status', ['7'], false, 7));
    check('status:1e3', text('status', ['1e3'], false, 1000));
    check('status:.5', text('status', ['5'], false, 0.5));
    check('status:"404"', text('status', ['404']));
    check('status:404*', text('status', ['404'], true));
  });

  test('phrases', () => {
    check('"Connection refused"', text(null, ['connection', 'refused']));
    check('"single"', text(null, ['single']));
    check('"a \\" b"', '"a b"');
    check('"conn refused*"', '"conn refused"');
    check('"a"b', '(a AND b)');
    check('NOT"x y"', 'NOT "x y"');
  });

  test('prefixes', () => {
    check('conn*', text(null, ['conn'], true));
    check('CONN*', text(null, ['conn'], true));
    check('10.0*', text(null, ['10', '0'], true));
    // A separator before '*' completes the last token: not a prefix.
    check('10.0.*', text(null, ['10', '0']));
    check('user-*', text(null, ['user']));
  });

  test('field:value, field:"phrase", field:prefix*, field:*', () => {
    check('level:error', text('level', ['error']));
    check('level:ERROR', text('level', ['error']));
    check('http.method:GET', text('http.method', ['get']));
    check('host:web-1', text('host', ['web', '1']));
    check('message:"connection refused"', text('message', ['connection', 'refused']));
    check('host:web*', text('host', ['web'], true));
    check('host:*', { type: 'exists', field: 'host' });
    check('@timestamp:*', { type: 'exists', field: '@timestamp' });
    check('a:b:c', 'a:"b c"');
  });

  test('field groups apply the field to every clause inside', () => {
    check('level:(error OR warn)', '(level:error OR level:warn)');
    check('message:(conn* -timeout)', '(message:conn* AND NOT message:timeout)');
    check('f:(*)', 'f:*');
    check('f:(x:y)', 'f:"x y"');
  });

  test('comparisons and ranges', () => {
    check('status>=10', range('status', 10, Infinity, true, true));
    check('status>10', range('status', 10, Infinity, false, true));
    check('status<=10', range('status', -Infinity, 10, true, true));
    check('status<3.5', range('status', -Infinity, 3.5, true, false));
    check('status:>=10', range('status', 10, Infinity, true, true));
    check('status:>5', range('status', 5, Infinity, false, true));
    check('status:<-1', range('status', -Infinity, -1, true, false));
    check('status:[10 TO 20]', range('status', 10, 20, true, true));
    check('status:{10 TO 20}', range('status', 10, 20, false, false));
    check('status:[10 TO 20}', range('status', 10, 20, true, false));
    check('status:{10 TO 20]', range('status', 10, 20, false, true));
    check('status:[10 TO *]', range('status', 10, Infinity, true, true));
    check('status:{* TO 20]', range('status', -Infinity, 20, false, true));
    check('status:[ 1   TO  2 ]', range('status', 1, 2, true, true));
    check('f:[1 TO 2]x', '(f:[1 TO 2] AND x)');
    const t = Date.UTC(2024, 0, 1);
    check('@timestamp>=2024-01-01T00:00:00Z', range('@timestamp', t, Infinity, true, true));
    check('@timestamp:[2024-01-01T00:00:00Z TO ' + (t + 5) + '}', range('@timestamp', t, t + 5, true, false));
  });

  test('boolean operators and precedence: OR < AND (or space) < NOT / -', () => {
    check('a b', '(a AND b)');
    check('a AND b', '(a AND b)');
    check('a OR b', '(a OR b)');
    check('a OR b c', '(a OR (b AND c))');
    check('a b OR c', '((a AND b) OR c)');
    check('a OR b AND c OR d', '(a OR (b AND c) OR d)');
    check('NOT a b', '(NOT a AND b)');
    check('NOT a OR b', '(NOT a OR b)');
    check('-a b', '(NOT a AND b)');
    check('a -b', '(a AND NOT b)');
    check('-level:error', 'NOT level:error');
    check('-"a b"', 'NOT "a b"');
    check('NOT(a)', 'NOT a');
    check('NOT NOT a', 'a');
    check('NOT -a', 'a');
    check('--a', 'a');
    check('(a OR b) c', '((a OR b) AND c)');
    check('NOT (a OR b)', 'NOT (a OR b)');
    check('a (b (c OR d))', '(a AND b AND (c OR d))');
    check('a OR (b OR c)', '(a OR b OR c)');
    check('((a))', 'a');
  });
});

describe('parseQuery: errors carry the position that broke the parse', () => {
  test('unterminated quote', () => {
    fails('"abc', 0, /unterminated quote/);
    fails('foo "abc', 4, /unterminated quote/);
    fails('level:"abc', 6, /unterminated quote/);
  });
  test("missing ')' points at its '('", () => {
    fails('(a b', 0, /missing '\)'/);
    fails('x (a (b)', 2, /missing '\)'/);
    fails('a:(b', 2, /missing '\)'/);
  });
  test("stray ')'", () => {
    fails(')', 0, /without a matching/);
    fails('a)', 1, /without a matching/);
    fails('(a) b)', 5, /without a matching/);
  });
  test('field with no value', () => {
    fails('field:', 6, /expected a value after 'field:'/);
    fails('field: x', 6, /expected a value/);
    fails('(field:)', 7, /expected a value/);
    fails('status>=', 8, /expected a value after 'status>='/);
  });
  test('bad numbers and ranges', () => {
    fails('status>=abc', 8, /'abc' is not a number/);
    fails('status:[10 TO]', 7, /\[low TO high\]/);
    fails('status:[10 20]', 7, /\[low TO high\]/);
    fails('status:[10 TO 20', 7, /missing '\]'/);
    fails('status:[a TO 5]', 8, /'a' is not a number/);
    fails('status:[1 TO b]', 13, /'b' is not a number/);
    fails('@timestamp>=yesterday', 12, /not a timestamp/);
  });
  test("'*' inside a word, '?' wildcards", () => {
    fails('co*n', 2, /only allowed at the end/);
    fails('x co*n', 4, /only allowed at the end/);
    fails('level:e*r', 7, /only allowed at the end/);
    fails('a?b', 0, /'\?' wildcards/);
  });
  test('nothing to search for', () => {
    fails('""', 0, /phrase has no letters/);
    fails('x "  ,"', 2, /phrase has no letters/);
    fails('!!!', 0, /has no letters/);
    fails('a - b', 2, /has no letters/);
    fails('()', 1, /empty parentheses/);
  });
  test('operator with nothing after it', () => {
    fails('NOT', 3, /after 'NOT'/);
    fails('a NOT', 5, /after 'NOT'/);
    fails('(NOT)', 4, /after 'NOT'/);
    fails('a AND', 5, /after 'AND'/);
    fails('a OR', 4, /after 'OR'/);
    fails('a OR )', 5, /after 'OR'/);
  });
  test('nesting and length limits', () => {
    fails('('.repeat(70) + 'a' + ')'.repeat(70), 65, /nested deeper/);
    fails('-'.repeat(70) + 'a', 65, /nested deeper/);
    fails('NOT '.repeat(70) + 'a', 65 * 4, /nested deeper/);
    check('('.repeat(60) + 'a' + ')'.repeat(60), 'a');
    // Exactly at the clause limit: flattened into one AND; one more is refused.
    check('a '.repeat(MAX_QUERY_CLAUSES), '(' + Array(MAX_QUERY_CLAUSES).fill('a').join(' AND ') + ')');
    fails('a '.repeat(MAX_QUERY_CLAUSES + 1), 0, new RegExp(`has ${MAX_QUERY_CLAUSES + 1} terms; at most ${MAX_QUERY_CLAUSES}`));
    fails('a'.repeat(MAX_QUERY_LENGTH + 1), MAX_QUERY_LENGTH, /longer than/);
  });
});

describe('parseQuery: properties', () => {
  const alphabet = fc.constantFrom(
    ...'ab z09_-:*"()[]{}<>=.,\\?!@ \t'.split(''),
    'AND', 'OR', 'NOT', ' TO ', 'é', '\u0301', '𝑥', '\ud835', 'İ',
  );
  const queryish = fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(''));
  const anyString = fc.oneof(fc.string({ maxLength: 60, unit: 'binary' }), fc.string({ maxLength: 60, unit: 'grapheme' }), queryish);

  test('arbitrary input never throws anything but a QueryError, with a position inside the input', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        try {
          const q = parseQuery(s);
          assert.equal(typeof formatQuery(q), 'string');
        } catch (e) {
          if (!(e instanceof QueryError)) throw e;
          assert.ok(Number.isInteger(e.position) && e.position >= 0 && e.position <= s.length, `position ${e.position} for ${JSON.stringify(s)}`);
        }
      }),
      { seed: 424242, numRuns: 3000 },
    );
  });

  test('queries longer than MAX_QUERY_LENGTH are refused; at the limit they parse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * MAX_QUERY_LENGTH }), fc.constantFrom('a', 'ab ', '(a) ', 'x:y OR '), (len, unit) => {
        const s = unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
        if (s.length > MAX_QUERY_LENGTH) {
          assert.throws(() => parseQuery(s), (e: unknown) => e instanceof QueryError && e.position === MAX_QUERY_LENGTH && /longer than/.test(e.message));
        } else {
          try {
            parseQuery(s);
          } catch (e) {
            // Cut mid-construct (e.g. "x:y OR" ending in OR) may be invalid, but never for its length.
            assert.ok(e instanceof QueryError && !/longer than/.test(e.message), String(e));
          }
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
