import { ASCII_TOKEN_CHAR, tokenCharLen } from '../text/tokenize.ts';
import { buildScratch } from './scratch.ts';

/**
 * Interns a field's tokens while the text is scanned once: an open-addressing hash table over term ids, hashed
 * (FNV-1a) as the characters go by, so a token that was seen before costs no string allocation at all. This loop
 * runs once per character of every record sealed, which is why it avoids callbacks, Maps and slices.
 */
export class TermTable {
  terms: string[] = [];
  private hashes = new Uint32Array(1024);
  private slots = new Int32Array(2048);
  private mask = 2047;
  /**
   * Every token occurrence, in doc order then position order: (term, doc, position within the value). The arrays
   * may be longer than `pairs`, and come from the thread's scratch pool: `release` gives them back.
   */
  pairTerm: Uint32Array;
  pairDoc: Uint32Array;
  pairPos: Uint32Array;
  pairs = 0;
  /** The first `joinedCount` terms joined by newlines, when they came that way (adopt). */
  private joinedHead = '';
  private joinedCount = 0;

  constructor(expectedPairs = 4096) {
    this.pairTerm = buildScratch.take(expectedPairs);
    this.pairDoc = buildScratch.take(expectedPairs);
    this.pairPos = buildScratch.take(expectedPairs);
  }

  /** Gives the occurrence arrays back to the thread's pool once nothing will read them again. */
  release(): void {
    buildScratch.give(this.pairTerm, this.pairDoc, this.pairPos);
    this.pairTerm = this.pairDoc = this.pairPos = EMPTY;
    this.pairs = 0;
  }

  get size(): number {
    return this.terms.length;
  }

  /** Every term in id order, joined by newlines (which no term holds). */
  joined(): string {
    const n = this.terms.length;
    if (this.joinedCount === 0) return this.terms.join('\n');
    if (n === this.joinedCount) return this.joinedHead;
    return `${this.joinedHead}\n${this.terms.slice(this.joinedCount).join('\n')}`;
  }

  /**
   * Takes over terms interned elsewhere (the compiled collector: native/index.ts) with their hashes, and the first
   * `pairs` occurrences already written into the occurrence arrays, so that later interning (bigrams) continues
   * the same table. `joined`: the terms joined by newlines, as they came.
   */
  adopt(terms: string[], joined: string, hashes: Uint32Array<ArrayBuffer>, pairs: number): void {
    this.terms = terms;
    this.joinedHead = joined;
    this.joinedCount = terms.length;
    this.hashes = hashes.length > 0 ? hashes : new Uint32Array(1024);
    this.pairs = pairs;
    let cap = 2048;
    while (cap - 1 < terms.length * 2) cap *= 2;
    this.rehash(cap);
  }

  /** Tokenizes an already lower-cased value and posts each token for `doc`. */
  addText(lower: string, doc: number): void {
    const n = lower.length;
    let i = 0;
    let pos = 0;
    while (i < n) {
      let c = lower.charCodeAt(i);
      if (c < 128 ? ASCII_TOKEN_CHAR[c] === 0 : tokenCharLen(lower, i) === 0) {
        i++;
        continue;
      }
      const start = i;
      let h = 0x811c9dc5;
      while (i < n) {
        c = lower.charCodeAt(i);
        if (c < 128) {
          if (ASCII_TOKEN_CHAR[c] === 0) break;
          h = Math.imul(h ^ c, 0x01000193);
          i++;
        } else {
          const l = tokenCharLen(lower, i);
          if (l === 0) break;
          for (let k = 0; k < l; k++) h = Math.imul(h ^ lower.charCodeAt(i + k), 0x01000193);
          i += l;
        }
      }
      this.post(this.intern(lower, start, i, h >>> 0), doc, pos++);
    }
  }

  /**
   * addText for the ASCII bytes `b[from, end)` (no escapes: a JSON string's raw bytes), lower-cased as they are
   * read. Hashes and interns exactly as addText does for the same text as a string, so both may feed one table.
   */
  addAscii(b: Buffer, from: number, end: number, doc: number): void {
    let i = from;
    let pos = 0;
    while (i < end) {
      if (ASCII_TOKEN_CHAR[b[i]] === 0) {
        i++;
        continue;
      }
      const start = i;
      let h = 0x811c9dc5;
      let upper = false;
      for (; i < end; i++) {
        let c = b[i];
        if (ASCII_TOKEN_CHAR[c] === 0) break;
        if (c <= 90 && c >= 65) {
          c += 32;
          upper = true;
        }
        h = Math.imul(h ^ c, 0x01000193);
      }
      this.post(this.internAscii(b, start, i, h >>> 0, upper), doc, pos++);
    }
  }

  /** Interns a whole string as one term (for bigram terms, which tokenizing never yields). */
  internWhole(s: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return this.intern(s, 0, s.length, h >>> 0);
  }

  post(id: number, doc: number, pos: number): void {
    if (this.pairs === this.pairTerm.length) {
      this.pairTerm = growScratch(this.pairTerm, this.pairs);
      this.pairDoc = growScratch(this.pairDoc, this.pairs);
      this.pairPos = growScratch(this.pairPos, this.pairs);
    }
    this.pairTerm[this.pairs] = id;
    this.pairDoc[this.pairs] = doc;
    this.pairPos[this.pairs++] = pos;
  }

  private intern(s: string, start: number, end: number, h: number): number {
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const v = this.slots[slot];
      if (v === 0) break;
      const id = v - 1;
      if (this.hashes[id] === h) {
        const t = this.terms[id];
        if (t.length === len) {
          let k = 0;
          while (k < len && t.charCodeAt(k) === s.charCodeAt(start + k)) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    return this.insert(s.slice(start, end), h, slot);
  }

  /** intern for the ASCII bytes `b[start, end)`, compared and stored lower-cased. */
  private internAscii(b: Buffer, start: number, end: number, h: number, upper: boolean): number {
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const v = this.slots[slot];
      if (v === 0) break;
      const id = v - 1;
      if (this.hashes[id] === h) {
        const t = this.terms[id];
        if (t.length === len) {
          let k = 0;
          while (k < len && t.charCodeAt(k) === lowerAscii(b[start + k])) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    const s = b.toString('latin1', start, end);
    return this.insert(upper ? s.toLowerCase() : s, h, slot);
  }

  /** Makes `term` the next id, in the empty `slot` where its probe ended. */
  private insert(term: string, h: number, slot: number): number {
    const id = this.terms.length;
    this.terms.push(term);
    if (id === this.hashes.length) this.hashes = grow(this.hashes, id * 2);
    this.hashes[id] = h;
    this.slots[slot] = id + 1;
    if (this.terms.length * 2 > this.mask) this.rehash((this.mask + 1) * 2);
    return id;
  }

  private rehash(cap: number): void {
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    for (let id = 0; id < this.terms.length; id++) {
      let slot = this.hashes[id] & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id + 1;
    }
  }
}

const EMPTY = new Uint32Array(0);

function lowerAscii(c: number): number {
  return c <= 90 && c >= 65 ? c + 32 : c;
}

/** A pool array twice as long holding the first `used` elements of `a`, which goes back to the pool. */
function growScratch(a: Uint32Array, used: number): Uint32Array {
  const b = buildScratch.take(Math.max(1024, used * 2));
  b.set(a.subarray(0, used));
  buildScratch.give(a);
  return b;
}

function grow<T extends Uint32Array>(a: T, cap: number): T {
  const b = new Uint32Array(cap);
  b.set(a);
  return b as T;
}
