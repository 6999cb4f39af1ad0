import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { batches } from './strata.ts';

test('the ingest client sends every line once, in order, in batches of the set size, whatever the read size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-batches-'));
  try {
    const file = join(dir, 'c.ndjson');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '{', '"', ' '), maxLength: 40 }), { maxLength: 80 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 64 }),
        (lines, lastNewline, batchLines, readBytes) => {
          const text = lines.join('\n') + (lastNewline && lines.length > 0 ? '\n' : '');
          writeFileSync(file, text);
          // Each body is a view of the reader's buffer until the next one is asked for: copy it, as the client does.
          const bodies = [...(function* () {
            for (const b of batches(file, batchLines, readBytes)) yield Buffer.from(b).toString('utf8');
          })()];
          assert.equal(bodies.join(''), text);
          for (const [k, body] of bodies.entries()) {
            const n = body.split('\n').length - (body.endsWith('\n') ? 1 : 0);
            if (k < bodies.length - 1) assert.equal(n, batchLines, `body ${k} of ${bodies.length}`);
            else assert.ok(n >= 1 && n <= batchLines, `last body: ${n} lines`);
          }
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
