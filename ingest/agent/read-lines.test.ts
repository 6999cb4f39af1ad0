import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { FileState, fingerprintOf } from './file-state.ts';
import { type LineSink, ReadBuffer, readChunk, type ReadSettings } from './read-lines.ts';
import { tempDir } from './testing.ts';

const dir = tempDir('read');
process.on('exit', () => dir.remove());

interface Got {
  text: string;
  offset: number;
  end: number;
}

async function setup(name: string, content: string) {
  const path = join(dir.path, name);
  writeFileSync(path, content);
  const fh = await open(path, 'r');
  const f = new FileState('k', path, '1', '1', 0, fingerprintOf(Buffer.alloc(0), 0), 0, fh, { index: 0, excluded: () => false, fieldsJson: '' }, 0, true);
  const got: Got[] = [];
  let budget = Infinity;
  const sink: LineSink = {
    line(_f, buf, start, stop, offset, end) {
      got.push({ text: buf.toString('utf8', start, stop), offset, end });
      return --budget > 0;
    },
  };
  return { path, f, got, sink, setBudget: (n: number) => (budget = n), close: () => fh.close() };
}

/** Reads until the end of the file (or the budget), answering the last result. */
async function drain(f: FileState, rb: ReadBuffer, sink: LineSink, s: ReadSettings, now = 0) {
  for (let k = 0; k < 10_000; k++) {
    const r = await readChunk(f, rb, sink, s, now);
    if (r !== 'more') return r;
  }
  throw new Error('no end');
}

const settings = (maxLineBytes = 1000, partialLineTimeoutMs = 0): ReadSettings => ({ maxLineBytes, partialLineTimeoutMs, fingerprintBytes: 1024 });

test('lines cut by chunk ends come out whole, each with its exact offset and end', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(i % 37)}`);
  const t = await setup('chunks.log', lines.map((l) => l + '\n').join(''));
  assert.equal(await drain(t.f, new ReadBuffer(16, 1001), t.sink, settings()), 'eof');
  assert.deepEqual(
    t.got.map((g) => g.text),
    lines,
  );
  let offset = 0;
  for (const g of t.got) {
    assert.equal(g.offset, offset);
    offset += Buffer.byteLength(g.text) + 1;
    assert.equal(g.end, offset);
  }
  assert.equal(t.f.readOffset, offset);
  await t.close();
});

test('a partial last line waits for its newline; CRLF loses its CR; empty lines are lines', async () => {
  const t = await setup('partial.log', 'one\r\n\ntwo');
  const rb = new ReadBuffer(4096, 1001);
  assert.equal(await drain(t.f, rb, t.sink, settings()), 'eof');
  assert.deepEqual(t.got.map((g) => g.text), ['one', '']);
  assert.equal(t.f.readOffset, 6, 'the partial line is read again from its start');
  appendFileSync(t.path, ' and more\n');
  await drain(t.f, rb, t.sink, settings());
  assert.deepEqual(t.got.map((g) => g.text), ['one', '', 'two and more']);
  assert.deepEqual(t.got[2], { text: 'two and more', offset: 6, end: 19 });
  await t.close();
});

test('with a timeout, a partial last line is shipped once the file has not grown for that long', async () => {
  const t = await setup('flush.log', 'a\nhalf');
  const rb = new ReadBuffer(4096, 1001);
  await drain(t.f, rb, t.sink, settings(1000, 500), 1000);
  assert.deepEqual(t.got.map((g) => g.text), ['a']);
  await drain(t.f, rb, t.sink, settings(1000, 500), 1400);
  assert.equal(t.got.length, 1, 'not before the timeout');
  await drain(t.f, rb, t.sink, settings(1000, 500), 1500);
  assert.deepEqual(t.got[1], { text: 'half', offset: 2, end: 6 });
  appendFileSync(t.path, ' rest\n');
  await drain(t.f, rb, t.sink, settings(1000, 500), 1600);
  assert.deepEqual(t.got[2], { text: ' rest', offset: 6, end: 12 });
  await t.close();
});

test('an over-long line is cut and its rest skipped; it commits no further than its start until its end is read', async () => {
  const t = await setup('long.log', `short\n${'L'.repeat(100)}\nnext\n${'M'.repeat(45)}`);
  const rb = new ReadBuffer(16, 41);
  await drain(t.f, rb, t.sink, settings(40));
  assert.deepEqual(t.got.slice(0, 2), [
    { text: 'short', offset: 0, end: 6 },
    { text: 'L'.repeat(40), offset: 6, end: 6 },
  ]);
  assert.deepEqual(t.got[2], { text: 'next', offset: 107, end: 112 });
  assert.equal(t.got.length, 4, 'the unfinished long last line is cut too, since it cannot fit');
  assert.deepEqual(t.got[3], { text: 'M'.repeat(40), offset: 112, end: 112 });
  assert.equal(t.f.bytesSkipped, 60 + 5);
  assert.equal(rb.buf.length, 41, 'the buffer grew up to max_line_bytes + 1, no further');
  await t.close();
});

test('a full sink stops reading after its line; the next read resumes at the next line', async () => {
  const t = await setup('budget.log', 'a\nb\nc\nd\n');
  const rb = new ReadBuffer(4096, 1001);
  t.setBudget(2);
  assert.equal(await readChunk(t.f, rb, t.sink, settings(), 0), 'full');
  assert.deepEqual(t.got.map((g) => g.text), ['a', 'b']);
  assert.equal(t.f.readOffset, 4);
  t.setBudget(Infinity);
  await drain(t.f, rb, t.sink, settings());
  assert.deepEqual(t.got.map((g) => g.text), ['a', 'b', 'c', 'd']);
  await t.close();
});

test('a file whose first bytes changed since the last read hands nothing on (its content is not the one we followed)', async () => {
  const t = await setup('rewritten.log', 'first line of the old content\n');
  const rb = new ReadBuffer(4096, 1001);
  await drain(t.f, rb, t.sink, settings());
  assert.equal(t.f.fpLen, 30, 'the fingerprint grew with the file');
  // A copytruncate, and the writer outgrows the old offset before the next read.
  truncateSync(t.path, 0);
  appendFileSync(t.path, 'NEW content, longer than the old one was\nand more\n');
  assert.equal(await readChunk(t.f, rb, t.sink, settings(), 0), 'replaced');
  assert.deepEqual(t.got.map((g) => g.text), ['first line of the old content']);
  assert.equal(t.f.readOffset, 30);
  await t.close();
});
