import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PairParser, type PairValue, parseLogfmt } from './parsers.ts';

type Parsed = Record<string, PairValue> | string;

function logfmt(text: string): Parsed {
  const keys: string[] = [];
  const values: PairValue[] = [];
  const err = parseLogfmt(text, keys, values);
  return err ?? Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}

function kv(text: string, fieldSplit = ' ', valueSplit = '='): Parsed {
  const keys: string[] = [];
  const values: PairValue[] = [];
  const err = new PairParser(fieldSplit, valueSplit).parse(text, keys, values);
  return err ?? Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}

describe('logfmt', () => {
  const cases: [string, Parsed][] = [
    ['level=info msg=started', { level: 'info', msg: 'started' }],
    ['  a=1\tb=2  ', { a: '1', b: '2' }],
    ['msg="hello world" n=3', { msg: 'hello world', n: '3' }],
    ['msg="say \\"hi\\"" path="C:\\\\tmp"', { msg: 'say "hi"', path: 'C:\\tmp' }],
    ['msg="line1\\nline2\\tend" e="caf\\u00e9" s="a\\/b"', { msg: 'line1\nline2\tend', e: 'café', s: 'a/b' }],
    ['msg="keeps \\x as written"', { msg: 'keeps \\x as written' }],
    ['empty= next=1', { empty: '', next: '1' }],
    ['empty="" next=1', { empty: '', next: '1' }],
    ['debug a=1 verbose', { debug: true, a: '1', verbose: true }],
    ['query=a=b&c=d', { query: 'a=b&c=d' }],
    ['a=1 a=2', { a: '2' }],
    ['http.status=200 user-agent=curl/8', { 'http.status': '200', 'user-agent': 'curl/8' }],
    ['text=un"quoted', { text: 'un"quoted' }],
    ['msg="ünïcödé ✓"', { msg: 'ünïcödé ✓' }],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => assert.deepEqual(logfmt(input), want));
  }

  const errors: [string, RegExp][] = [
    ['', /no key=value pair/],
    ['just some words', /no key=value pair/],
    ['msg="unterminated', /unterminated quoted value of "msg" starting at column 5/],
    ['msg="ends with backslash\\"', /unterminated/],
    ['a=1 =2', /a value without a key at column 5/],
    ['msg="x"y', /unexpected text after the quoted value of "msg" at column 8/],
    ['"quoted key"=1', /quoted keys are not supported/],
  ];
  for (const [input, want] of errors) {
    test(`refuses ${JSON.stringify(input)}`, () => {
      const r = logfmt(input);
      assert.equal(typeof r, 'string', `parsed as ${JSON.stringify(r)}`);
      assert.match(r as string, want);
    });
  }

  test('reads back what a writer quoting every value wrote', () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,8}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ unit: 'grapheme', maxLength: 20 }), { minKeys: 1, maxKeys: 6 }), (obj) => {
        const line = Object.entries(obj)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ');
        assert.deepEqual(logfmt(line), { ...obj });
      }),
      { numRuns: 300 },
    );
  });
});

describe('key=value', () => {
  const cases: [string, string, string, Parsed][] = [
    ['a=1 b=2', ' ', '=', { a: '1', b: '2' }],
    ['a=1  b=2', ' ', '=', { a: '1', b: '2' }],
    ['a=1&b=two&c=', '&', '=', { a: '1', b: 'two', c: '' }],
    ['user: bob, id: 7', ',', ':', { user: 'bob', id: '7' }],
    ['name = "Ann Lee" ; role = admin', ';', '=', { name: 'Ann Lee', role: 'admin' }],
    ['msg="a, \\"b\\"", n=1', ',', '=', { msg: 'a, "b"', n: '1' }],
    ['a=>1 || b=>2', ' || ', '=>', { a: '1', b: '2' }],
    ['flag, x=1', ',', '=', { flag: true, x: '1' }],
    ['a= b=c', ' ', '=', { a: '', b: 'c' }],
    ['a=1,,,b=2,', ',', '=', { a: '1', b: '2' }],
  ];
  for (const [input, fs, vs, want] of cases) {
    test(`${JSON.stringify(input)} split by ${JSON.stringify(fs)} and ${JSON.stringify(vs)}`, () => assert.deepEqual(kv(input, fs, vs), want));
  }

  const errors: [string, string, string, RegExp][] = [
    ['no pairs here', ' ', '=', /no key=value pair/],
    ['a="open, b=2', ',', '=', /unterminated quoted value of "a"/],
    ['a="x" junk, b=2', ',', '=', /unexpected text after the quoted value of "a"/],
    ['a=1, =2', ',', '=', /a value without a key/],
  ];
  for (const [input, fs, vs, want] of errors) {
    test(`refuses ${JSON.stringify(input)}`, () => {
      const r = kv(input, fs, vs);
      assert.equal(typeof r, 'string', `parsed as ${JSON.stringify(r)}`);
      assert.match(r as string, want);
    });
  }

  test('a parser reuses the caller\'s arrays, cleared on each call', () => {
    const p = new PairParser('&', '=');
    const keys: string[] = ['stale'];
    const values: PairValue[] = ['stale'];
    assert.equal(p.parse('x=1', keys, values), null);
    assert.deepEqual([keys, values], [['x'], ['1']]);
    assert.equal(p.parse('y=2&z=3', keys, values), null);
    assert.deepEqual([keys, values], [['y', 'z'], ['2', '3']]);
  });
});
