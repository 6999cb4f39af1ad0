import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compress, decompress } from 'zstd-napi';
import { mulberry32Float } from '../../lib/prng.ts';
import { StoredBlock, StoredBlocksWriter, StoredTemplates } from './stored-blocks.ts';

/**
 * Writes blocks of docs, then decodes every block with the segment's templates. `grouped`: variables grouped by slot
 * (version 5 on) or in doc order (versions 2 to 4).
 */
function roundTrip(blocks: string[][], level = 3, grouped = true): { decoded: string[][]; bytes: number; templates: StoredTemplates } {
  const w = new StoredBlocksWriter(level, grouped);
  const blobs = blocks.map((b) => Uint8Array.from(w.block(b)));
  const section = w.templates();
  const templates = StoredTemplates.parse(decompress(Buffer.from(section)));
  const decoded = blobs.map((b) => new StoredBlock(b, templates, grouped).all());
  // Docs read out of order (a page of hits, newest first) come out the same as read in order.
  for (const b of blobs) {
    const block = new StoredBlock(b, templates, grouped);
    const backwards = Array.from({ length: block.count }, (_, i) => block.doc(block.count - 1 - i)).reverse();
    assert.deepEqual(backwards, decoded[blobs.indexOf(b)]);
  }
  return { decoded, bytes: blobs.reduce((a, b) => a + b.length, section.length), templates };
}

/** Log-like docs: a few templates whose numbers, hex ids and host names vary, with some non-ASCII text. */
function logDocs(seed: number, n: number): string[] {
  const rnd = mulberry32Float(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const hex = () => int(0xffffffff).toString(16);
  const shapes = [
    () => `INFO dfs.DataNode: Received block blk_${int(1e9)}${int(1e9)} of size ${int(1e8)} from /10.${int(256)}.${int(256)}.${int(256)}`,
    () => `req-${hex()}-${hex()} GET /v2/${hex()}/servers status: ${200 + int(300)} len: ${int(5000)} time: 0.${int(1e6)}`,
    () => `node-${int(1000)} temperature ${int(100)}°C ambient=${int(50)} état=ok 温度${int(99)}`,
    () => `session 0x${hex()} closed after ${int(3600)} s; user=u${int(500)}_x 00${int(9)}`,
    () => `plain words without a single variable here`,
  ];
  return Array.from({ length: n }, () => JSON.stringify({ message: shapes[int(shapes.length)](), system: ['HDFS', 'Spark'][int(2)], n: int(100) }));
}

test('blocks of log-like docs decode to the same texts, and repeated templates are shared by the segment', () => {
  const docs = logDocs(1, 3 * 4096 + 17);
  const blocks = [docs.slice(0, 4096), docs.slice(4096, 8192), docs.slice(8192, 12288), docs.slice(12288)];
  const { decoded, bytes, templates } = roundTrip(blocks);
  assert.deepEqual(decoded, blocks);
  assert.ok(templates.count > 0 && templates.count < 200, `a handful of shapes share templates (${templates.count})`);
  // The same docs as newline-joined JSON per block (the version-1 layout): splitting must pay for itself.
  const joined = blocks.reduce((a, b) => a + compress(Buffer.from(b.join('\n')), { compressionLevel: 3 }).length, 0);
  assert.ok(bytes < joined * 0.8, `templates and variables (${bytes} bytes) beat joined JSON (${joined})`);
  // Variables in doc order (versions 2 to 4) decode the same, and grouping them by slot must pay for itself too.
  const inDocOrder = roundTrip(blocks, 3, false);
  assert.deepEqual(inDocOrder.decoded, blocks);
  assert.ok(bytes < inDocOrder.bytes * 0.95, `variables grouped by slot (${bytes} bytes) beat doc order (${inDocOrder.bytes})`);
});

test('texts that are not JSON.stringify output (raw markers, raw newlines, lone surrogates), empty texts and long ones round-trip', () => {
  const odd = ['', 'x1 é '.repeat(20_000), 'a\u0001b 12', 'x\u0002 7', 'line one 1\nline two 2', '{"m":"\u00e9\u00e99x9\ud83d\ude00 42"}', 'z9\ud800', '12345678901234567890123456789', 'ab'.repeat(5000) + '7'];
  const blocks = [odd, [...odd].reverse(), logDocs(2, 50).concat(odd)];
  const { decoded } = roundTrip(blocks);
  // A lone surrogate cannot be UTF-8: both layouts store U+FFFD for it, as Buffer.from does.
  const asStored = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
  assert.deepEqual(decoded, blocks.map((b) => b.map(asStored)));
});

test('any strings round-trip through blocks, variables grouped or not (property)', () => {
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', ' ', '-', '\u0001', '\u0002', '\n', 'é'), maxLength: 40 }));
  fc.assert(
    fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (blocks, grouped) => {
      assert.deepEqual(roundTrip(blocks, 1, grouped).decoded, blocks);
    }),
    { numRuns: 200 },
  );
});

test('the shared templates stop at their cap; templates past it stay in their blocks', () => {
  // Letters only differ, so every doc is its own template: each is seen twice (shared from its second sighting).
  const name = (i: number) => Array.from({ length: 4 }, (_, k) => String.fromCharCode(97 + (Math.floor(i / 26 ** k) % 26))).join('');
  const docs: string[] = [];
  for (let i = 0; i < 70_000; i++) docs.push(`{"message":"${name(i)} 1"}`, `{"message":"${name(i)} 22"}`);
  const blocks: string[][] = [];
  for (let i = 0; i < docs.length; i += 4096) blocks.push(docs.slice(i, i + 4096));
  const { decoded, templates } = roundTrip(blocks, 1);
  assert.equal(templates.count, 1 << 16);
  assert.deepEqual(decoded, blocks);
});

test('a block that names a missing template or carries trailing bytes is an error, not wrong text', () => {
  const w = new StoredBlocksWriter(1);
  const doc = '{"message":"port 8080 open"}';
  w.block([doc]);
  const shared = w.block([doc]); // second sighting: shared, id 0
  const none = StoredTemplates.parse(decompress(Buffer.from(new StoredBlocksWriter(1).templates())));
  assert.throws(() => new StoredBlock(shared, none, true), /names template 0 of 0/);
  const withTemplates = StoredTemplates.parse(decompress(Buffer.from(w.templates())));
  assert.deepEqual(new StoredBlock(shared, withTemplates, true).all(), [doc]);
  assert.throws(() => new StoredBlock(Uint8Array.from([...shared, 0]), withTemplates, true), /bytes past its streams/);
});

/**
 * Writes each source as a segment of blocks, interleaves their docs in a seeded order that keeps each source's own
 * order (as a merge does), and writes that order twice: copying the encoded docs, and from their texts. Odd sources
 * keep their variables in doc order, as segments before version 5 do.
 */
function copyAgainstText(sources: string[][], seed: number, blockDocs: number): { copied: Uint8Array[]; fromText: Uint8Array[]; copiedTemplates: Uint8Array; textTemplates: Uint8Array } {
  const opened = sources.map((docs, s) => {
    const grouped = s % 2 === 0;
    const w = new StoredBlocksWriter(1, grouped);
    const blobs: Uint8Array[] = [];
    for (let i = 0; i < docs.length; i += blockDocs) blobs.push(Uint8Array.from(w.block(docs.slice(i, i + blockDocs))));
    const templates = StoredTemplates.parse(decompress(Buffer.from(w.templates())));
    return blobs.map((b) => new StoredBlock(b, templates, grouped));
  });
  const rnd = mulberry32Float(seed);
  const heads = sources.map(() => 0);
  const order: [number, number][] = [];
  for (let left = sources.reduce((a, s) => a + s.length, 0); left > 0; left--) {
    const open = sources.map((_, i) => i).filter((i) => heads[i] < sources[i].length);
    const i = open[Math.floor(rnd() * open.length)];
    order.push([i, heads[i]++]);
  }
  const copy = new StoredBlocksWriter(1);
  const text = new StoredBlocksWriter(1);
  const copied: Uint8Array[] = [];
  const fromText: Uint8Array[] = [];
  for (let o = 0; o < order.length; o += blockDocs) {
    copy.begin();
    text.begin();
    for (const [i, d] of order.slice(o, o + blockDocs)) {
      copy.copy(opened[i][Math.floor(d / blockDocs)], d % blockDocs);
      text.text(sources[i][d]);
    }
    copied.push(Uint8Array.from(copy.end()));
    fromText.push(Uint8Array.from(text.end()));
  }
  return { copied, fromText, copiedTemplates: Uint8Array.from(copy.templates()), textTemplates: Uint8Array.from(text.templates()) };
}

test('docs copied as encoded from other segments write the same bytes as their texts would, templates included', () => {
  // Odd texts too: a raw marker keeps a doc whole; first sightings are local to their source's block.
  const odd = ['', 'a\u0001b 12', 'line one 1\nline two 2', 'z9\ud800', 'ab'.repeat(5000) + '7'];
  const sources = [logDocs(3, 5000).concat(odd), odd.concat(logDocs(4, 3000)), logDocs(5, 700)];
  const r = copyAgainstText(sources, 7, 512);
  assert.equal(r.copied.length, Math.ceil((5005 + 3005 + 700) / 512));
  assert.deepEqual(r.copied, r.fromText);
  assert.deepEqual(r.copiedTemplates, r.textTemplates);
  // And they decode to the interleaved texts (the comparison above would also pass if both were wrong alike).
  const templates = StoredTemplates.parse(decompress(Buffer.from(r.copiedTemplates)));
  const all = r.copied.flatMap((b) => new StoredBlock(b, templates, true).all());
  assert.equal(all.length, 5005 + 3005 + 700);
  const asStored = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
  assert.deepEqual([...all].sort(), sources.flat().map(asStored).sort());
});

test('copying encoded docs matches writing their texts for any strings (property)', () => {
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', ' ', '\u0001', '\u0002', '\n'), maxLength: 30 }));
  fc.assert(
    fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 }), fc.integer(), fc.integer({ min: 1, max: 8 }), (sources, seed, blockDocs) => {
      const r = copyAgainstText(sources, seed, blockDocs);
      assert.deepEqual(r.copied, r.fromText);
      assert.deepEqual(r.copiedTemplates, r.textTemplates);
    }),
    { numRuns: 200 },
  );
});

/** Each doc's UTF-8 bytes at its own offset inside one larger buffer, as a seal finds them in its payload. */
function inPayload(docs: readonly string[]): { buf: Buffer; start: number[]; end: number[] } {
  const start: number[] = [];
  const end: number[] = [];
  const parts: Buffer[] = [Buffer.from('1234\t')];
  let at = parts[0].length;
  for (const d of docs) {
    const b = Buffer.from(d, 'utf8');
    start.push(at);
    end.push((at += b.length));
    parts.push(b, Buffer.from('\n5678\t'));
    at += 6;
  }
  return { buf: Buffer.concat(parts), start, end };
}

test('docs given as UTF-8 bytes inside a larger buffer write the same blocks and templates as their texts', () => {
  // Odd texts too: a raw marker keeps the doc whole (the bytes path copies its range, not the buffer's start).
  const odd = ['', 'a\u0001b 12', 'x\u0002 7', 'line one 1\nline two 2', 'é 9x9 \ud83d\ude00 42', 'ab'.repeat(5000) + '7'];
  const blocks = [logDocs(6, 600).concat(odd), odd.concat(logDocs(7, 300))];
  const fromText = new StoredBlocksWriter(3);
  const fromBytes = new StoredBlocksWriter(3);
  for (const docs of blocks) {
    const p = inPayload(docs);
    fromBytes.begin();
    for (let i = 0; i < docs.length; i++) fromBytes.textBytes(p.buf, p.start[i], p.end[i]);
    assert.deepEqual(Uint8Array.from(fromBytes.end()), Uint8Array.from(fromText.block(docs)));
  }
  assert.deepEqual(Uint8Array.from(fromBytes.templates()), Uint8Array.from(fromText.templates()));
  // And they decode to the texts (the comparison above would also pass if both were wrong alike).
  const p = inPayload(odd);
  const w = new StoredBlocksWriter(3);
  w.begin();
  for (let i = 0; i < odd.length; i++) w.textBytes(p.buf, p.start[i], p.end[i]);
  const blob = Uint8Array.from(w.end());
  assert.deepEqual(new StoredBlock(blob, StoredTemplates.parse(decompress(Buffer.from(w.templates()))), true).all(), odd);
});
