import { StrataError } from '../../lib/errors.ts';
import { parseTimestamp, TIMESTAMP_FIELD } from '../../lib/record.ts';
import { tokenize } from '../text/tokenize.ts';
import type { Query } from './ast.ts';

/**
 * Recursive descent over the query text. Precedence, loosest first: OR, AND (also implied by a space), NOT / `-`.
 * Every error carries the 0-based position of the character that broke the parse, so the dashboard can point at it.
 */
export class QueryError extends StrataError {
  constructor(message: string, readonly position: number) {
    super('invalid_query', `${message} (at position ${position})`, { position, reason: message });
    this.name = 'QueryError';
  }
}

/** Queries longer than this are refused before parsing: a guard against pathological input. */
export const MAX_QUERY_LENGTH = 16_384;
const MAX_DEPTH = 64;
const FIELD_OP = /([A-Za-z_@][A-Za-z0-9_.@\-]*)(:>=|:<=|:>|:<|>=|<=|:|>|<)/y;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function parseQuery(text: string): Query {
  if (text.length > MAX_QUERY_LENGTH) throw new QueryError(`query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  const p = new Parser(text);
  p.skipSpace();
  if (p.atEnd()) return { type: 'all' };
  const q = p.parseOr(null, 0);
  p.skipSpace();
  if (!p.atEnd()) {
    const c = text[p.pos];
    throw new QueryError(c === ')' ? "unexpected ')' without a matching '('" : `unexpected '${c}'`, p.pos);
  }
  const n = leafCount(q);
  if (n > MAX_QUERY_CLAUSES) throw new QueryError(`the query has ${n} terms; at most ${MAX_QUERY_CLAUSES} are allowed: split it, or use a prefix or a range`, 0);
  return simplify(q);
}

/**
 * Query complexity limits: a query costs a postings walk per term, so a query of thousands of terms (or a prefix
 * matching hundreds of thousands) would hold a search thread for long; such queries are refused with what to do.
 */
export const MAX_QUERY_CLAUSES = 1024;
/** Terms one prefix may expand to in one field of one segment. */
export const MAX_PREFIX_TERMS = 100_000;

function leafCount(q: Query): number {
  switch (q.type) {
    case 'and':
    case 'or':
      return q.clauses.reduce((n, c) => n + leafCount(c), 0);
    case 'not':
      return leafCount(q.clause);
    default:
      return 1;
  }
}

class Parser {
  pos = 0;
  constructor(readonly s: string) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }
  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }
  /** Is the keyword `kw` at the cursor, followed by a delimiter? */
  private keyword(kw: string): boolean {
    if (!this.s.startsWith(kw, this.pos)) return false;
    const after = this.s[this.pos + kw.length];
    return after === undefined || /[\s()]/.test(after) || (kw === 'NOT' && after === '"');
  }

  parseOr(field: string | null, depth: number): Query {
    const clauses = [this.parseAnd(field, depth)];
    for (;;) {
      this.skipSpace();
      if (!this.keyword('OR')) break;
      this.pos += 2;
      this.skipSpace();
      if (this.atEnd() || this.s[this.pos] === ')') throw new QueryError("expected a clause after 'OR'", this.pos);
      clauses.push(this.parseAnd(field, depth));
    }
    return clauses.length === 1 ? clauses[0] : { type: 'or', clauses };
  }

  parseAnd(field: string | null, depth: number): Query {
    const clauses = [this.parseUnary(field, depth)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.s[this.pos] === ')' || this.keyword('OR')) break;
      if (this.keyword('AND')) {
        this.pos += 3;
        this.skipSpace();
        if (this.atEnd() || this.s[this.pos] === ')') throw new QueryError("expected a clause after 'AND'", this.pos);
      }
      clauses.push(this.parseUnary(field, depth));
    }
    return clauses.length === 1 ? clauses[0] : { type: 'and', clauses };
  }

  parseUnary(field: string | null, depth: number): Query {
    if (depth > MAX_DEPTH) throw new QueryError(`query is nested deeper than ${MAX_DEPTH} levels`, this.pos);
    this.skipSpace();
    if (this.keyword('NOT')) {
      this.pos += 3;
      this.skipSpace();
      if (this.atEnd() || this.s[this.pos] === ')') throw new QueryError("expected a clause after 'NOT'", this.pos);
      return { type: 'not', clause: this.parseUnary(field, depth + 1) };
    }
    if (this.s[this.pos] === '-' && this.pos + 1 < this.s.length && !/[\s)]/.test(this.s[this.pos + 1])) {
      this.pos++;
      return { type: 'not', clause: this.parseUnary(field, depth + 1) };
    }
    return this.parsePrimary(field, depth);
  }

  parsePrimary(field: string | null, depth: number): Query {
    const start = this.pos;
    const c = this.s[this.pos];
    if (c === undefined) throw new QueryError('expected a clause', this.pos);
    if (c === '(') return this.parseGroup(field, depth);
    if (c === ')') throw new QueryError("unexpected ')' without a matching '('", this.pos);
    if (c === '"') return this.textClause(field, this.readQuoted(), start, true);
    if (field === null) {
      FIELD_OP.lastIndex = this.pos;
      const m = FIELD_OP.exec(this.s);
      if (m) {
        this.pos += m[0].length;
        return this.parseFieldValue(m[1], m[2].replace(':', '') || ':', depth);
      }
    }
    const word = this.readBare();
    return this.textClause(field, word, start, false);
  }

  private parseGroup(field: string | null, depth: number): Query {
    const open = this.pos;
    this.pos++;
    this.skipSpace();
    if (this.s[this.pos] === ')') throw new QueryError('empty parentheses', this.pos);
    if (this.atEnd()) throw new QueryError("missing ')' for this '('", open);
    const q = this.parseOr(field, depth + 1);
    this.skipSpace();
    if (this.s[this.pos] !== ')') throw new QueryError("missing ')' for this '('", open);
    this.pos++;
    return q;
  }

  private parseFieldValue(field: string, op: string, depth: number): Query {
    const c = this.s[this.pos];
    if (op !== ':') {
      const v = this.readBare();
      if (v === '') throw new QueryError(`expected a value after '${field}${op}'`, this.pos);
      const n = this.numberFor(field, v, this.pos - v.length);
      switch (op) {
        case '>=':
          return range(field, n, Infinity, true, true);
        case '>':
          return range(field, n, Infinity, false, true);
        case '<=':
          return range(field, -Infinity, n, true, true);
        default:
          return range(field, -Infinity, n, true, false);
      }
    }
    if (c === undefined || /\s/.test(c) || c === ')') throw new QueryError(`expected a value after '${field}:'`, this.pos);
    if (c === '"') {
      const at = this.pos;
      return this.textClause(field, this.readQuoted(), at, true);
    }
    if (c === '(') return this.parseGroup(field, depth);
    if (c === '[' || c === '{') return this.parseRange(field);
    const valueAt = this.pos;
    const v = this.readBare();
    if (v === '*') return { type: 'exists', field };
    return this.textClause(field, v, valueAt, false);
  }

  private parseRange(field: string): Query {
    const open = this.pos;
    const minInclusive = this.s[this.pos] === '[';
    const close = this.s.slice(this.pos).search(/[\]}]/);
    if (close < 0) throw new QueryError(`missing ']' or '}' to close this range`, open);
    const body = this.s.slice(this.pos + 1, this.pos + close);
    const maxInclusive = this.s[this.pos + close] === ']';
    const m = /^\s*(\S+)\s+TO\s+(\S+)\s*$/.exec(body);
    if (!m) throw new QueryError("a range is written [low TO high]", open);
    const lowAt = open + 1 + body.indexOf(m[1]);
    const highAt = open + 1 + body.lastIndexOf(m[2]);
    const min = m[1] === '*' ? -Infinity : this.numberFor(field, m[1], lowAt);
    const max = m[2] === '*' ? Infinity : this.numberFor(field, m[2], highAt);
    this.pos += close + 1;
    return range(field, min, max, minInclusive, maxInclusive);
  }

  private numberFor(field: string, v: string, at: number): number {
    if (NUMBER.test(v)) return Number(v);
    if (field === TIMESTAMP_FIELD) {
      const t = parseTimestamp(v);
      if (!Number.isNaN(t)) return t;
      throw new QueryError(`'${v}' is not a timestamp or a number`, at);
    }
    throw new QueryError(`'${v}' is not a number`, at);
  }

  /** A run of characters up to whitespace, a parenthesis or a quote. */
  private readBare(): string {
    const start = this.pos;
    while (this.pos < this.s.length && !/[\s()"]/.test(this.s[this.pos])) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private readQuoted(): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === '\\' && this.pos + 1 < this.s.length) {
        out += this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === '"') {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    throw new QueryError('unterminated quote', open);
  }

  private textClause(field: string | null, raw: string, start: number, quoted: boolean): Query {
    let body = raw;
    let prefix = false;
    if (!quoted) {
      if (body === '*') return field === null ? { type: 'all' } : { type: 'exists', field };
      const star = body.indexOf('*');
      if (star >= 0) {
        if (star !== body.length - 1) throw new QueryError("'*' is only allowed at the end of a word", start + star);
        body = body.slice(0, -1);
        prefix = true;
      }
      if (body.includes('?')) throw new QueryError("'?' wildcards are not supported; use a trailing '*'", start);
    }
    const tokens = tokenize(body);
    if (tokens.length === 0) {
      throw new QueryError(quoted ? 'the phrase has no letters or digits to search for' : `'${raw}' has no letters or digits to search for`, start);
    }
    // "foo-" followed by '*' means the last token is complete and the next one may be anything: not a prefix.
    if (prefix && !/[\p{L}\p{M}\p{N}_]$/u.test(body)) prefix = false;
    const q: Query = { type: 'text', field, tokens, prefix };
    if (!quoted && !prefix && NUMBER.test(body)) q.number = Number(body);
    return q;
  }
}

function range(field: string, min: number, max: number, minInclusive: boolean, maxInclusive: boolean): Query {
  return { type: 'range', field, min, max, minInclusive, maxInclusive };
}

/** Flattens nested AND/OR, drops `*` inside AND, and folds double negation. */
export function simplify(q: Query): Query {
  switch (q.type) {
    case 'and': {
      const out: Query[] = [];
      for (const c of q.clauses.map(simplify)) {
        if (c.type === 'and') out.push(...c.clauses);
        else if (c.type !== 'all') out.push(c);
      }
      return out.length === 0 ? { type: 'all' } : out.length === 1 ? out[0] : { type: 'and', clauses: out };
    }
    case 'or': {
      const out: Query[] = [];
      for (const c of q.clauses.map(simplify)) {
        if (c.type === 'all') return c;
        if (c.type === 'or') out.push(...c.clauses);
        else out.push(c);
      }
      return out.length === 1 ? out[0] : { type: 'or', clauses: out };
    }
    case 'not': {
      const inner = simplify(q.clause);
      return inner.type === 'not' ? inner.clause : { type: 'not', clause: inner };
    }
    default:
      return q;
  }
}
