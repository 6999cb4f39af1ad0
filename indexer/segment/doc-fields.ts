import type { IdHasher } from '../../lib/id-hash.ts';
import { type Fields, recordId } from '../../lib/record.ts';
import { IdIndexBuilder } from './id-section.ts';
import { MAX_KEYWORD_VALUES } from './layout.ts';
import { TermTable } from './term-table.ts';
import { docU32 } from './scratch.ts';
import { native, type NativeCollector } from '../native/index.ts';

/** Docs' texts as UTF-8: doc i's are the bytes `bufs[buf[i]]` holds from `start[i]` to `end[i]`. */
export interface DocBytes {
  bufs: Buffer[];
  buf: Uint32Array;
  start: Uint32Array;
  end: Uint32Array;
}

/** Per-field accumulation while scanning docs once. */
export class FieldBuilder {
  terms: TermTable;
  numbers: Float64Array | null = null;
  strings = false;
  keyword: Map<string, number> | null = new Map();
  keywordOrds: Uint32Array;
  presence: Uint32Array;
  /** Doc d's tokens are the term table's pairs [from[d], to[d]) (empty when the doc has no string here). */
  from: Uint32Array;
  to: Uint32Array;
  /** The last doc that had this field: a second sighting in one doc is a repeated key. */
  lastDoc = -1;
  constructor(
    readonly n: number,
    expectedPairs: number,
  ) {
    // From the thread's pool, cleared: a doc without the field reads 0 in each (give them back with `release`).
    this.keywordOrds = docU32.takeExact(n).fill(0);
    this.from = docU32.takeExact(n).fill(0);
    this.to = docU32.takeExact(n).fill(0);
    this.presence = new Uint32Array((n + 31) >>> 5);
    this.terms = new TermTable(expectedPairs);
  }

  /** Gives the per-doc arrays and the term table's back to the thread's pools once nothing reads them again. */
  release(): void {
    this.terms.release();
    docU32.give(this.keywordOrds, this.from, this.to);
  }

  number(doc: number, v: number): void {
    this.presence[doc >>> 5] |= 1 << (doc & 31);
    if (this.numbers === null) this.numbers = new Float64Array(this.n).fill(NaN);
    this.numbers[doc] = v;
  }

  /** A string value (or a boolean as `true`/`false`): its keyword ordinal and its tokens. */
  string(doc: number, s: string): void {
    this.presence[doc >>> 5] |= 1 << (doc & 31);
    this.strings = true;
    this.keywordOf(doc, s);
    this.from[doc] = this.terms.pairs;
    this.terms.addText(s.toLowerCase(), doc);
    this.to[doc] = this.terms.pairs;
  }

  /** `string` for a value that is `b[from, end)`, ASCII with no escape: tokenized from the bytes, no string made. */
  asciiString(doc: number, b: Buffer, from: number, end: number): void {
    this.presence[doc >>> 5] |= 1 << (doc & 31);
    this.strings = true;
    if (this.keyword !== null) this.keywordOf(doc, latin1(b, from, end));
    this.from[doc] = this.terms.pairs;
    this.terms.addAscii(b, from, end, doc);
    this.to[doc] = this.terms.pairs;
  }

  private keywordOf(doc: number, s: string): void {
    if (this.keyword === null) return;
    let ord = this.keyword.get(s);
    if (ord === undefined) {
      if (this.keyword.size >= MAX_KEYWORD_VALUES) this.keyword = null;
      else this.keyword.set(s, (ord = this.keyword.size + 1));
    }
    if (ord !== undefined) this.keywordOrds[doc] = ord;
  }
}

/**
 * Every doc's fields, gathered into one builder per field, and the docs' `_id`s. Docs given as bytes (a seal's
 * payload) are read straight from their UTF-8 JSON, which our own encoder wrote flat: no parse into objects, no
 * string per value unless it holds an escape or a non-ASCII byte. Anything that reader does not expect (a repeated
 * key, a null, a nested value: none of which ingest stores) has every doc parsed with JSON.parse instead, the
 * definition the fast path must match.
 */
export function collectFields(docs: string[] | DocBytes, n: number, idHash: IdHasher): { builders: Map<string, FieldBuilder>; ids: IdIndexBuilder } {
  let textBytes = 0;
  if (Array.isArray(docs)) for (let i = 0; i < n; i++) textBytes += docs[i].length;
  else for (let i = 0; i < n; i++) textBytes += docs.end[i] - docs.start[i];
  if (!Array.isArray(docs)) {
    const fast = native.collector === null ? null : collectNative(native.collector, docs, n, idHash);
    if (fast !== null) return fast;
    const c = new Collector(n, textBytes, idHash);
    try {
      for (let doc = 0; doc < n; doc++) c.scan(docs.bufs[docs.buf[doc]], docs.start[doc], docs.end[doc], doc);
      return { builders: c.builders, ids: c.ids };
    } catch (e) {
      if (!(e instanceof Unexpected)) throw e;
      c.release();
    }
  }
  const c = new Collector(n, textBytes, idHash);
  const text = Array.isArray(docs) ? (d: number) => docs[d] : (d: number) => docs.bufs[docs.buf[d]].toString('utf8', docs.start[d], docs.end[d]);
  for (let doc = 0; doc < n; doc++) c.parsed(JSON.parse(text(doc)) as Fields, doc);
  return { builders: c.builders, ids: c.ids };
}

/** collectFields through the compiled collector, or null where it leaves the docs to the TypeScript path. */
export function collectNative(nc: NativeCollector, docs: DocBytes, n: number, idHash: IdHasher): { builders: Map<string, FieldBuilder>; ids: IdIndexBuilder } | null {
  const scan = nc.scan(docs.bufs, docs.buf, docs.start, docs.end, n, MAX_KEYWORD_VALUES);
  if (scan === null) return null;
  const builders = new Map<string, FieldBuilder>();
  scan.fields.forEach((f, k) => {
    const fb = new FieldBuilder(n, f.pairs);
    const tt = fb.terms;
    fb.strings = f.strings;
    if (f.numbers) fb.numbers = new Float64Array(n);
    nc.fill(k, tt.pairTerm, tt.pairDoc, tt.pairPos, fb.from, fb.to, fb.presence, f.keyword === null ? null : fb.keywordOrds, fb.numbers);
    tt.adopt(f.termCount === 0 ? [] : f.terms.split('\n'), f.terms, f.hashes, f.pairs);
    if (f.keyword === null || f.keywordStarts === null) fb.keyword = null;
    else for (let v = 0; v + 1 < f.keywordStarts.length; v++) fb.keyword!.set(f.keyword.slice(f.keywordStarts[v], f.keywordStarts[v + 1]), v + 1);
    builders.set(f.name, fb);
  });
  const ids = new IdIndexBuilder(0, idHash);
  for (let k = 0; k < scan.ids.length; k += 2) ids.addId(scan.ids[k] as number, scan.ids[k + 1] as string);
  return { builders, ids };
}

/** The bytes reader met JSON it leaves to JSON.parse. */
class Unexpected extends Error {}

const QUOTE = 34;
const BACKSLASH = 92;

class Collector {
  builders = new Map<string, FieldBuilder>();
  ids: IdIndexBuilder;
  /** The builder of the k-th member of the doc before, and its key's bytes: docs mostly repeat their keys. */
  private lastKeys: (Uint8Array | undefined)[] = [];
  private lastBuilders: FieldBuilder[] = [];
  constructor(
    private readonly n: number,
    private readonly textBytes: number,
    idHash: IdHasher,
  ) {
    this.ids = new IdIndexBuilder(0, idHash);
  }

  release(): void {
    for (const fb of this.builders.values()) fb.release();
  }

  private builder(name: string): FieldBuilder {
    let fb = this.builders.get(name);
    if (fb === undefined) {
      // About one token per 6 bytes of stored text, for the first (usually the main) field.
      fb = new FieldBuilder(this.n, this.builders.size === 0 ? Math.ceil(this.textBytes / 6) + 1024 : 4096);
      this.builders.set(name, fb);
    }
    return fb;
  }

  /** One doc parsed into its fields: the definition. */
  parsed(f: Fields, doc: number): void {
    const id = recordId(f);
    if (id !== null) this.ids.addId(doc, id);
    for (const name in f) {
      const fb = this.builder(name);
      const v = f[name];
      if (typeof v === 'number') fb.number(doc, v);
      else fb.string(doc, typeof v === 'string' ? v : v ? 'true' : 'false');
    }
  }

  /** One doc read from the bytes `b[from, end)` of its JSON object, to the same effect as `parsed`. */
  scan(b: Buffer, from: number, end: number, doc: number): void {
    let i = ws(b, from, end);
    if (b[i] !== 123 /* { */) throw new Unexpected();
    i = ws(b, i + 1, end);
    if (b[i] === 125 /* } */) return;
    for (let k = 0; ; k++) {
      if (b[i] !== QUOTE) throw new Unexpected();
      // The key, and its builder: the k-th of the doc before when the bytes match.
      const ks = i + 1;
      let ke = closingQuote(b, ks, end);
      const plain = ke >= 0;
      if (!plain) ke = ~ke;
      if (ke >= end) throw new Unexpected();
      let fb: FieldBuilder;
      let name: string | null = null;
      const last = this.lastKeys[k];
      if (plain && last !== undefined && sameBytes(last, b, ks, ke)) {
        fb = this.lastBuilders[k];
      } else {
        name = plain ? latin1(b, ks, ke) : (JSON.parse(utf8(b, ks - 1, ke + 1)) as string);
        fb = this.builder(name);
        if (plain) {
          // A view, not a copy: the payload stays as it is until the seal ends.
          this.lastKeys[k] = b.subarray(ks, ke);
          this.lastBuilders[k] = fb;
        }
      }
      if (fb.lastDoc === doc) throw new Unexpected();
      fb.lastDoc = doc;
      i = ws(b, ke + 1, end);
      if (b[i] !== 58 /* : */) throw new Unexpected();
      i = ws(b, i + 1, end);
      const c = b[i];
      if (c === QUOTE) {
        const vs = i + 1;
        let ve = closingQuote(b, vs, end);
        const ascii = ve >= 0;
        if (!ascii) ve = ~ve;
        if (ve >= end) throw new Unexpected();
        const isId = isIdKey(b, ks, ke, name);
        if (ascii) {
          fb.asciiString(doc, b, vs, ve);
          if (isId) this.ids.addId(doc, latin1(b, vs, ve));
        } else {
          const v = JSON.parse(utf8(b, vs - 1, ve + 1)) as string;
          fb.string(doc, v);
          if (isId) this.ids.addId(doc, v);
        }
        i = ve + 1;
      } else if ((c >= 48 && c <= 57) || c === 45 /* - */) {
        let ne = i + 1;
        while (ne < end && isNumberByte(b[ne])) ne++;
        const v = Number(latin1(b, i, ne));
        if (Number.isNaN(v)) throw new Unexpected();
        fb.number(doc, v);
        i = ne;
      } else if (c === 116 /* t */ && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101) {
        fb.string(doc, 'true');
        i += 4;
      } else if (c === 102 /* f */ && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101) {
        fb.string(doc, 'false');
        i += 5;
      } else {
        throw new Unexpected();
      }
      i = ws(b, i, end);
      if (b[i] === 44 /* , */) {
        i = ws(b, i + 1, end);
        continue;
      }
      if (b[i] === 125 /* } */ && ws(b, i + 1, end) === end) return;
      throw new Unexpected();
    }
  }
}

/**
 * The closing quote of the JSON string whose text starts at `b[from]` (`limit` when none comes before it), or that
 * position's bitwise complement (negative) when the text holds an escape or a non-ASCII byte and must be decoded.
 */
function closingQuote(b: Uint8Array, from: number, limit: number): number {
  let raw = true;
  let i = from;
  for (; i < limit; i++) {
    const c = b[i];
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      raw = false;
      i++;
    } else if (c >= 0x80) {
      raw = false;
    }
  }
  if (i > limit) i = limit;
  return raw ? i : ~i;
}

/** Skips JSON whitespace from `i`; returns where it stops (at most `end`). */
function ws(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/** Digits, `-`, `+`, `.`, `e` and `E`: the bytes a JSON number is made of. */
function isNumberByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

/** Is the key `b[ks, ke)` (or its decoded `name`, when it had to be decoded) `_id`? */
function isIdKey(b: Uint8Array, ks: number, ke: number, name: string | null): boolean {
  if (name !== null) return name === '_id';
  return ke - ks === 3 && b[ks] === 95 && b[ks + 1] === 105 && b[ks + 2] === 100;
}

function sameBytes(a: Uint8Array, b: Uint8Array, from: number, end: number): boolean {
  if (a.length !== end - from) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[from + k]) return false;
  return true;
}

function latin1(b: Buffer, from: number, end: number): string {
  return b.toString('latin1', from, end);
}

function utf8(b: Buffer, from: number, end: number): string {
  return b.toString('utf8', from, end);
}
