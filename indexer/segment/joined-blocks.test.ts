import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { compress } from 'zstd-napi';
import { StrataError } from '../../lib/errors.ts';
import { crc32c } from '../log/crc.ts';
import { evalSegment } from '../query/exec-segment.ts';
import { parseQuery } from '../query/parser.ts';
import { BLOCK_DOCS, type SectionRef } from './layout.ts';
import { mergeSegments } from './merger.ts';
import { SegmentReader } from './reader.ts';
import { readSegmentFile, withFooter } from './testing.ts';
import { writeSegment } from './writer.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'strata-joined-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seals the texts in order (ascending timestamps) and opens the segment. */
function seal(path: string, json: readonly string[], olderVersion?: 6): SegmentReader {
  const n = json.length;
  const ts = Float64Array.from({ length: n }, (_, i) => 1000 + i);
  writeSegment(path, { ts, seq: ts.slice(), json: [...json] }, { olderVersion });
  return SegmentReader.open(path);
}

const texts = (seg: SegmentReader): string[] => Array.from({ length: seg.docs }, (_, d) => seg.docJson(d));

// Newlines, quotes and backslashes escaped in the JSON text, non-ASCII and astral characters, numbers, booleans.
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: fc.constantFrom('a', 'B', '7', ' ', '\n', '\r', '"', '\\', 'é', '温', '\u0001', '\ud83d\ude00'), maxLength: 30 }));
const record = fc.record({ message: text, n: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), ok: fc.boolean(), host: fc.constantFrom('a', 'b', 'c') }, { requiredKeys: ['message'] });

test('a seal stores its records joined; each reads back as its text, and a merge rewrites them as templates', () => {
  withDir((dir) => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 60 }), (recs) => {
        const json = recs.map((r) => JSON.stringify(r));
        const seg = seal(join(dir, 's.seg'), json);
        const merged = join(dir, 'm.seg');
        try {
          assert.equal(seg.storedJoined, true);
          assert.equal(seg.footer.templates, undefined);
          assert.deepEqual(texts(seg), json);
          mergeSegments(merged, [seg]);
        } finally {
          seg.close();
        }
        const m = SegmentReader.open(merged);
        try {
          assert.equal(m.storedJoined, false);
          assert.ok(m.footer.templates, 'a merge writes templates');
          assert.deepEqual(texts(m), json);
        } finally {
          m.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

test('joined, template and merged segments of the same records answer queries alike, over several blocks', () => {
  withDir((dir) => {
    const n = BLOCK_DOCS * 2 + 77;
    const json = Array.from({ length: n }, (_, i) => JSON.stringify({ message: `user u${i % 13} logged in from 10.0.${i % 7}.${i % 251} after ${i % 5} tries`, level: i % 3 ? 'INFO' : 'WARN' }));
    const joined = seal(join(dir, 'j.seg'), json);
    const tpl = seal(join(dir, 't.seg'), json, 6);
    // A merge of a joined and a template segment: half of the docs come through each kind of block.
    const half = seal(join(dir, 'h1.seg'), json.slice(0, n >> 1));
    const rest = json.slice(n >> 1);
    const ts = Float64Array.from({ length: rest.length }, (_, i) => 1000 + (n >> 1) + i);
    writeSegment(join(dir, 'h2.seg'), { ts, seq: ts.slice(), json: rest }, { olderVersion: 6 });
    const second = SegmentReader.open(join(dir, 'h2.seg'));
    mergeSegments(join(dir, 'm.seg'), [half, second]);
    const merged = SegmentReader.open(join(dir, 'm.seg'));
    try {
      assert.equal(joined.storedJoined, true);
      assert.equal(tpl.storedJoined, false);
      assert.equal(second.storedJoined, false);
      for (const seg of [joined, tpl, merged]) assert.deepEqual(texts(seg), json);
      const count = (s: SegmentReader, q: string) => evalSegment(s, parseQuery(q)).countRange(0, s.docs);
      for (const q of ['u7', '"logged in from 10.0.3"', 'level:WARN', 'tries AND NOT u1*', '250']) {
        const want = count(tpl, q);
        assert.ok(want > 0, `${q} matches`);
        assert.equal(count(joined, q), want, q);
        assert.equal(count(merged, q), want, q);
      }
    } finally {
      for (const s of [joined, tpl, half, second, merged]) s.close();
    }
  });
});

test('a joined block that does not split into its docs is reported corrupt, not misread', () => {
  withDir((dir) => {
    const json = Array.from({ length: 10 }, (_, i) => JSON.stringify({ message: `line ${i}` }));
    seal(join(dir, 's.seg'), json).close();
    const path = join(dir, 's.seg');
    const { body, footer } = readSegmentFile(path);
    // One line short: the block's bytes, rewritten with a valid CRC, hold 9 docs for 10.
    const bad = compress(Buffer.from(json.slice(0, 9).join('\n')));
    const ref: SectionRef = [body.length, bad.length, crc32c(bad)];
    const refs = compress(Buffer.from(new Float64Array(ref).buffer));
    footer.blocks = [body.length + bad.length, refs.length, crc32c(refs)];
    writeFileSync(path, withFooter([body, bad, refs], footer));
    const seg = SegmentReader.open(path);
    try {
      assert.throws(() => seg.docJson(0), (e: unknown) => e instanceof StrataError && /stored block 0 does not hold its 10 docs/.test(e.message));
    } finally {
      seg.close();
    }
  });
});
