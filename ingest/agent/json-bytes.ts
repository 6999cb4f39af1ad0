/**
 * JSON text written straight from file bytes into a `_bulk` body: a line is never turned into a JS string (one
 * allocation and a UTF-8 round trip per line), only copied, with the few bytes JSON forbids escaped. Bytes of
 * 0x80 and above are copied as they are: valid UTF-8 stays itself, and the node decodes invalid sequences as
 * U+FFFD, as it does for any body.
 */

/** For each byte: 0 to copy it, else the character that follows the backslash (`u` for `\u00XX`). */
const ESCAPE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) ESCAPE[c] = 0x75; // u
ESCAPE[0x08] = 0x62; // \b
ESCAPE[0x09] = 0x74; // \t
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[0x0c] = 0x66; // \f
ESCAPE[0x0d] = 0x72; // \r
ESCAPE[0x22] = 0x22; // \"
ESCAPE[0x5c] = 0x5c; // \\
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** The most bytes `writeJsonChars` can write for `n` input bytes (every byte a `\u00XX`). */
export const maxEscapedBytes = (n: number): number => 6 * n;

/**
 * Writes `src[start, end)` as the inside of a JSON string at `dst[at]` and answers the position after it. The
 * caller guarantees room for `maxEscapedBytes(end - start)` bytes. Runs without escapes are copied natively.
 */
export function writeJsonChars(src: Buffer, start: number, end: number, dst: Buffer, at: number): number {
  let run = start;
  for (let i = start; i < end; i++) {
    const e = ESCAPE[src[i]];
    if (e === 0) continue;
    if (i > run) {
      at += src.copy(dst, at, run, i);
    }
    dst[at++] = 0x5c;
    dst[at++] = e;
    if (e === 0x75) {
      const c = src[i];
      dst[at++] = 0x30;
      dst[at++] = 0x30;
      dst[at++] = HEX[c >> 4];
      dst[at++] = HEX[c & 15];
    }
    run = i + 1;
  }
  if (end > run) {
    at += src.copy(dst, at, run, end);
  }
  return at;
}

/** Writes a non-negative safe integer in decimal at `dst[at]`, without making a string of it. */
export function writeDecimal(n: number, dst: Buffer, at: number): number {
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  let p = at + digits;
  let v = n;
  do {
    dst[--p] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  return at + digits;
}

/** The most bytes `writeDecimal` writes (2^53 has 16 digits). */
export const MAX_DECIMAL_BYTES = 16;
