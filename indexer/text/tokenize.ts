/**
 * Tokens are maximal runs of letters, combining marks, digits and underscore in the lower-cased text. Lower-casing
 * first (not per token) keeps one definition for indexing, scanning and query parsing, including the rare letters
 * whose lower case changes length. ASCII takes a table lookup; other code points a Unicode property test.
 */
const ASCII_WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_WORD[c] = 1;
for (let c = 97; c <= 122; c++) ASCII_WORD[c] = 1;
for (let c = 65; c <= 90; c++) ASCII_WORD[c] = 1;
ASCII_WORD[95] = 1;
const UNICODE_WORD = /^[\p{L}\p{M}\p{N}_]$/u;

/** Is the code point at `i` a token character? Returns its length in code units, or 0 when it is not. */
function wordCharLen(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII_WORD[c];
  const cp = s.codePointAt(i)!;
  const len = cp > 0xffff ? 2 : 1;
  return UNICODE_WORD.test(String.fromCodePoint(cp)) ? len : 0;
}

/** Calls `fn(start, end)` for each token of an already lower-cased string; allocates nothing itself. */
export function forEachTokenSpan(lower: string, fn: (start: number, end: number) => void): void {
  const n = lower.length;
  let i = 0;
  while (i < n) {
    let l = wordCharLen(lower, i);
    if (l === 0) {
      i++;
      continue;
    }
    const start = i;
    while (l > 0) {
      i += l;
      l = i < n ? wordCharLen(lower, i) : 0;
    }
    fn(start, i);
  }
}

/** The tokens of `text`, lower-cased, in order. */
export function tokenize(text: string): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  forEachTokenSpan(lower, (s, e) => out.push(lower.slice(s, e)));
  return out;
}

/** True when `s` (lower-cased) is exactly one token. */
export function isSingleToken(lower: string): boolean {
  if (lower.length === 0) return false;
  let i = 0;
  while (i < lower.length) {
    const l = wordCharLen(lower, i);
    if (l === 0) return false;
    i += l;
  }
  return true;
}

/** Length in code units of the token character at `i` of a lower-cased string, or 0: for hot loops. */
export const tokenCharLen = wordCharLen;
/** 1 for ASCII token characters, by char code. */
export const ASCII_TOKEN_CHAR: Readonly<Uint8Array> = ASCII_WORD;
