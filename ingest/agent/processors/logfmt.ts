/**
 * The agent's own logfmt reader (the agent imports lib/ only, so it cannot take the node pipeline's). It reads
 * the same grammar the node's `logfmt` processor does, so a line parsed on the host or on the node gives the
 * same fields:
 *
 *   pair   = key "=" value | key "=" | key      (`key=` is the empty string; a bare `key` is `true`)
 *   value  = '"' quoted '"' | unquoted          (unquoted runs to the next space or tab, and may hold `=`)
 *   quoted = characters with JSON's escapes (\" \\ \/ \b \f \n \r \t \uXXXX); any other `\x` is kept as written
 *
 * Values stay strings. A text with no `key=value` pair at all is not logfmt (a plain sentence must not become a
 * field per word): that is an error.
 */

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const EQ = 61;

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

const isSep = (c: number) => c === SPACE || c === TAB;

/** Parses `text` into `out` (pairs in order); answers null, or why the text is not logfmt. */
export function parseLogfmt(text: string, out: Array<[string, string | true]>): string | null {
  const n = text.length;
  let pairs = 0;
  let i = 0;
  for (;;) {
    while (i < n && isSep(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const keyStart = i;
    if (text.charCodeAt(i) === QUOTE) return `a quoted key at character ${i} (quoted keys are not logfmt)`;
    while (i < n && !isSep(text.charCodeAt(i)) && text.charCodeAt(i) !== EQ) i++;
    const key = text.slice(keyStart, i);
    if (key === '') return `a pair without a key at character ${keyStart}`;
    if (i >= n || text.charCodeAt(i) !== EQ) {
      out.push([key, true]);
      continue;
    }
    i++;
    pairs++;
    if (i < n && text.charCodeAt(i) === QUOTE) {
      const r = readQuoted(text, i + 1);
      if (typeof r === 'string') return r;
      out.push([key, r.value]);
      i = r.end;
      if (i < n && !isSep(text.charCodeAt(i))) return `text right after the closing quote of "${key}" at character ${i}`;
    } else {
      const start = i;
      while (i < n && !isSep(text.charCodeAt(i))) i++;
      out.push([key, text.slice(start, i)]);
    }
  }
  return pairs === 0 ? 'no key=value pair' : null;
}

function readQuoted(text: string, from: number): { value: string; end: number } | string {
  let value = '';
  let run = from;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return { value: value + text.slice(run, i), end: i + 1 };
    if (c !== BACKSLASH) continue;
    value += text.slice(run, i);
    const e = text[i + 1];
    if (e === undefined) break;
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
      value += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
      i += 5;
    } else if (Object.hasOwn(SIMPLE_ESCAPES, e)) {
      value += SIMPLE_ESCAPES[e];
      i += 1;
    } else {
      value += '\\' + e;
      i += 1;
    }
    run = i + 1;
  }
  return `a quoted value that never ends (from character ${from - 1})`;
}
