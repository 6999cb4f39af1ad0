import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forEachWindow, splitWindows, WINDOW_BYTES } from './windows.ts';

describe('body windows', () => {
  // Lines short and long (past a window), multi-byte text, CRLF, blank lines, and bodies with and without a final newline.
  const line = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 50_000 }).map((k) => '日本'.repeat(k)) },
    { weight: 1, arbitrary: fc.constantFrom('', '\r', 'é\r') },
  );
  const body = fc.array(line, { maxLength: 500 }).chain((ls) => fc.boolean().map((end) => ls.join('\n') + (end ? '\n' : '')));

  test('split a body exactly as the whole decoded text splits, whichever window boundaries fall where', () => {
    let spanned = 0;
    fc.assert(
      fc.property(body, (s) => {
        const bytes = Buffer.from(s, 'utf8');
        if (bytes.length > 2 * WINDOW_BYTES) spanned++;
        assert.deepEqual(splitWindows(bytes), s.split('\n'));
        const texts: string[] = [];
        forEachWindow(bytes, (t) => texts.push(t));
        assert.equal(texts.join(''), s);
        for (const t of texts.slice(0, -1)) assert.ok(t.endsWith('\n'), 'every window but the last ends a line');
      }),
      { seed: 113001, numRuns: 80 },
    );
    assert.ok(spanned >= 20, `only ${spanned} bodies spanned more than two windows`);
  });

  test('an empty body is one empty line, as "".split gives', () => {
    assert.deepEqual(splitWindows(Buffer.alloc(0)), ['']);
    assert.deepEqual(splitWindows(Buffer.from('\n')), ['', '']);
  });
});
