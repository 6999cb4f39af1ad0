import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forEachWindow, WINDOW_BYTES } from './windows.ts';

describe('body windows', () => {
  // Lines short and long (past a window), multi-byte text, CRLF, blank lines, and bodies with and without a final newline.
  const line = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 50_000 }).map((k) => '日本'.repeat(k)) },
    { weight: 1, arbitrary: fc.constantFrom('', '\r', 'é\r') },
  );
  const body = fc.array(line, { maxLength: 500 }).chain((ls) => fc.boolean().map((end) => ls.join('\n') + (end ? '\n' : '')));

  test('windows join to the whole decoded text and end at line ends, whichever boundaries fall where', () => {
    let spanned = 0;
    fc.assert(
      fc.property(body, (s) => {
        const bytes = Buffer.from(s, 'utf8');
        if (bytes.length > 2 * WINDOW_BYTES) spanned++;
        const texts: string[] = [];
        forEachWindow(bytes, (t) => texts.push(t));
        assert.equal(texts.join(''), s);
        for (const t of texts.slice(0, -1)) assert.ok(t.endsWith('\n'), 'every window but the last ends a line');
      }),
      { seed: 113001, numRuns: 80 },
    );
    assert.ok(spanned >= 20, `only ${spanned} bodies spanned more than two windows`);
  });

  test('an empty body has no window; a lone newline is one', () => {
    const windows = (b: Buffer): string[] => {
      const texts: string[] = [];
      forEachWindow(b, (t) => texts.push(t));
      return texts;
    };
    assert.deepEqual(windows(Buffer.alloc(0)), []);
    assert.deepEqual(windows(Buffer.from('\n')), ['\n']);
  });
});
