/**
 * logfmt and key=value parsing. Both read a line as pairs:
 *
 *   pair    = key "=" value | key "=" | key      (`key=` is the empty string; a bare `key` is `true`)
 *   value   = '"' quoted '"' | unquoted           (an unquoted value runs to the next separator and may hold `=`)
 *   quoted  = characters with JSON's escapes: \" \\ \/ \b \f \n \r \t \uXXXX (any other `\x` is kept as written)
 *
 * logfmt separates pairs by runs of spaces and tabs and splits pairs at `=`; key=value takes both separators as
 * literal text, runs of the pair separator counting as one, and trims spaces and tabs around keys and unquoted
 * values. Values stay strings: a `convert` processor turns them into numbers where wanted, so a field's type never
 * depends on how one line happened to look.
 *
 * A line with no `key=value` pair at all is an error rather than a set of bare keys: `logfmt` on a plain sentence
 * must fail (and let `on_failure` decide) instead of turning each word into a field.
 *
 * The parsers write into arrays the caller reuses, and return an error message or null, so that a batch parses
 * with no allocation beyond the keys and values themselves.
 */

export type PairValue = string | true;

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * A parser for one pair of separators, built once per processor: the separators are decoded into code units here
 * rather than on every line.
 */
export class PairParser {
  /** -1: runs of whitespace (logfmt); -2: a multi-character literal; else the separator's code unit. */
  private readonly fs: number;
  private readonly vs: number;
  private readonly sepLen: number;

  /** `fieldSplit` null: runs of whitespace separate pairs (logfmt). */
  constructor(
    private readonly fieldSplit: string | null,
    private readonly valueSplit: string,
  ) {
    this.fs = fieldSplit === null ? -1 : fieldSplit.length === 1 ? fieldSplit.charCodeAt(0) : -2;
    this.vs = valueSplit.length === 1 ? valueSplit.charCodeAt(0) : -1;
    this.sepLen = fieldSplit === null ? 1 : fieldSplit.length;
  }

  /** Parses `text` into `keys` / `values` (cleared first); returns null, or why the text is not a list of pairs. */
  parse(text: string, keys: string[], values: PairValue[]): string | null {
    keys.length = 0;
    values.length = 0;
    const n = text.length;
    const literal = this.fieldSplit !== null;
    let pairs = 0;
    let i = 0;
    for (;;) {
      while (i < n && this.isSep(text, i)) i += this.sepLen;
      if (i >= n) break;
      const keyStart = i;
      while (i < n && !this.isSep(text, i) && !this.isValueSplit(text, i)) i++;
      const key = literal ? trimBlanks(text, keyStart, i) : text.slice(keyStart, i);
      if (key.charCodeAt(0) === QUOTE) return `quoted keys are not supported (at column ${keyStart + 1})`;
      if (i >= n || this.isSep(text, i)) {
        if (key !== '') {
          keys.push(key);
          values.push(true);
        }
        continue;
      }
      if (key === '') return `a value without a key at column ${keyStart + 1}`;
      i += this.valueSplit.length;
      if (literal) i = this.skipBlanks(text, i);
      let value: string;
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const quoteAt = i;
        const end = closingQuote(text, i + 1);
        if (end < 0) return `unterminated quoted value of "${key}" starting at column ${quoteAt + 1}`;
        value = unescape(text, quoteAt + 1, end);
        i = end + 1;
        if (literal) i = this.skipBlanks(text, i);
        if (i < n && !this.isSep(text, i)) return `unexpected text after the quoted value of "${key}" at column ${i + 1}`;
      } else {
        const valueStart = i;
        while (i < n && !this.isSep(text, i)) i++;
        value = literal ? trimBlanks(text, valueStart, i) : text.slice(valueStart, i);
      }
      keys.push(key);
      values.push(value);
      pairs++;
    }
    return pairs > 0 ? null : 'no key=value pair found';
  }

  private isSep(text: string, i: number): boolean {
    const c = text.charCodeAt(i);
    if (this.fs === -1) return c === SPACE || c === TAB || c === LF || c === CR;
    if (this.fs >= 0) return c === this.fs;
    return text.startsWith(this.fieldSplit!, i);
  }

  private isValueSplit(text: string, i: number): boolean {
    return this.vs >= 0 ? text.charCodeAt(i) === this.vs : text.startsWith(this.valueSplit, i);
  }

  /** Spaces and tabs around a literal separator's values are not part of them, unless they are the separator. */
  private skipBlanks(text: string, i: number): number {
    while (i < text.length && !this.isSep(text, i) && isBlank(text.charCodeAt(i))) i++;
    return i;
  }
}

const LOGFMT = new PairParser(null, '=');

/** Parses a logfmt line into `keys` / `values` (cleared first); returns null, or why the line is not logfmt. */
export function parseLogfmt(text: string, keys: string[], values: PairValue[]): string | null {
  return LOGFMT.parse(text, keys, values);
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function trimBlanks(text: string, start: number, end: number): string {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Index of the quote closing a value whose text starts at `i`, or -1. */
function closingQuote(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const HEX4 = /^[0-9a-fA-F]{4}$/;

function unescape(text: string, start: number, end: number): string {
  let b = text.indexOf('\\', start);
  if (b < 0 || b >= end) return text.slice(start, end);
  let out = '';
  let from = start;
  while (b >= 0 && b < end) {
    out += text.slice(from, b);
    const e = text[b + 1];
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
      out += simple;
      from = b + 2;
    } else if (e === 'u' && b + 6 <= end && HEX4.test(text.slice(b + 2, b + 6))) {
      out += String.fromCharCode(parseInt(text.slice(b + 2, b + 6), 16));
      from = b + 6;
    } else {
      // Not an escape we know: kept as written, so nothing of the line is lost.
      out += text.slice(b, b + 2);
      from = b + 2;
    }
    b = text.indexOf('\\', from);
  }
  return out + text.slice(from, end);
}
