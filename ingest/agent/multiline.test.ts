import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32Float } from '../../lib/prng.ts';
import { type Agent, startAgent } from './agent.ts';
import type { AgentConfig } from './config.ts';
import { Joiner, MAX_TESTED_BYTES, type MultilineSettings } from './multiline.ts';
import { type Node, searchAll, startNode, tempDir, testConfig, TraceWriter, waitFor, waitForRecords } from './testing.ts';

/** Multiline: the joiner's rules case by case, then stack traces through a real agent to a real node. */

interface Out {
  text: string;
  offset: number;
  end: number;
}

/** Feeds lines (with the offsets a file would give them) to a joiner; answers what came out. */
function join_(s: Partial<MultilineSettings>, lines: string[], flush = true): Out[] {
  const got: Out[] = [];
  const settings: MultilineSettings = { start: null, maxLines: 500, maxBytes: 1 << 20, timeoutMs: 1000, ...s };
  const j = new Joiner(settings, { multilineBytesCut: 0 }, (b, st, e, offset, end) => got.push({ text: b.toString('utf8', st, e), offset, end }));
  let offset = 0;
  for (const l of lines) {
    const buf = Buffer.from(`xx${l}yy`);
    j.push(buf, 2, buf.length - 2, offset, offset + Buffer.byteLength(l) + 1, 0);
    offset += Buffer.byteLength(l) + 1;
  }
  if (flush) j.flush();
  return got;
}

const JAVA = [
  '2026-11-29 12:00:00 ERROR request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.example.A.a(A.java:1)',
  '    at com.example.B.b(B.java:2)',
  'Caused by: java.io.IOException: disk',
  '\tat com.example.C.c(C.java:3)',
  '\t... 2 more',
  'Caused by: java.lang.NullPointerException',
  '... 5 more',
  '2026-11-29 12:00:01 INFO next',
  '',
  '2026-11-29 12:00:02 INFO after an empty line',
];

describe('multiline joiner', () => {
  test('start pattern: a matching line begins a record, others join it with \\n; ids and ends follow the lines', () => {
    const got = join_({ start: /^\d{4}-\d\d-\d\d / }, JAVA);
    assert.deepEqual(
      got.map((g) => g.text),
      [JAVA.slice(0, 9).join('\n'), [JAVA[9], JAVA[10]].join('\n'), JAVA[11]],
    );
    const starts = [0, JAVA.slice(0, 9).join('\n').length + 1];
    assert.equal(got[0].offset, 0);
    assert.equal(got[0].end, starts[1], 'a record commits up to the end of its last line');
    assert.equal(got[1].offset, starts[1], 'a record is named by its first line');
  });

  test('indent mode: whitespace, "Caused by:" and "... N more" continue; anything else (even an empty line) begins', () => {
    const got = join_({ start: null }, JAVA);
    assert.deepEqual(
      got.map((g) => g.text),
      [JAVA[0], JAVA.slice(1, 9).join('\n'), JAVA[9], JAVA[10], JAVA[11]],
    );
  });

  test('a record is shipped at max_lines or max_bytes, the next line beginning another: nothing is thrown away', () => {
    const lines = ['head', ...Array.from({ length: 7 }, (_, i) => ` cont ${i}`)];
    assert.deepEqual(
      join_({ maxLines: 3 }, lines).map((g) => g.text),
      ['head\n cont 0\n cont 1', ' cont 2\n cont 3\n cont 4', ' cont 5\n cont 6'],
    );
    assert.deepEqual(
      join_({ maxBytes: 16 }, lines).map((g) => g.text),
      ['head\n cont 0', ' cont 1\n cont 2', ' cont 3\n cont 4', ' cont 5\n cont 6'],
    );
    // A single line longer than max_bytes is cut, and the cut is counted.
    const counts = { multilineBytesCut: 0 };
    const got: string[] = [];
    const j = new Joiner({ start: null, maxLines: 10, maxBytes: 64, timeoutMs: 1 }, counts, (b, s, e) => got.push(b.toString('latin1', s, e)));
    const long = Buffer.from('L'.repeat(100));
    j.push(long, 0, long.length, 0, 101, 0);
    j.flush();
    assert.deepEqual(got, ['L'.repeat(64)]);
    assert.equal(counts.multilineBytesCut, 36);
  });

  test('a line cut at max_line_bytes (its end not read yet) commits no further than the start of its record', () => {
    const got: Out[] = [];
    const j = new Joiner({ start: null, maxLines: 10, maxBytes: 1000, timeoutMs: 1 }, { multilineBytesCut: 0 }, (b, s, e, offset, end) => got.push({ text: b.toString('latin1', s, e), offset, end }));
    const head = Buffer.from('head');
    const cut = Buffer.from(' long line cut');
    j.push(head, 0, 4, 100, 105, 0);
    j.push(cut, 0, cut.length, 105, 105, 0);
    j.flush();
    assert.deepEqual(got, [{ text: 'head\n long line cut', offset: 100, end: 100 }]);
  });

  test(`the start pattern sees a line's first ${MAX_TESTED_BYTES} bytes only: a backtracking pattern on a long line stays fast`, () => {
    // `\s+$` tries every position to the end of the line: 4 KiB of it takes milliseconds, 512 KiB takes seconds.
    const unit = ' '.repeat(4095) + 'x';
    const line = Buffer.from(unit.repeat(128));
    const t0 = Date.now();
    const got: string[] = [];
    const j = new Joiner({ start: /\s+$/, maxLines: 10, maxBytes: 1 << 20, timeoutMs: 1 }, { multilineBytesCut: 0 }, (b, s, e) => got.push(b.toString('latin1', s, Math.min(e, s + 4))));
    j.push(Buffer.from('first'), 0, 5, 0, 6, 0);
    j.push(line, 0, line.length, 6, 6 + line.length + 1, 0);
    j.flush();
    const ms = Date.now() - t0;
    assert.ok(ms < 1500, `took ${ms} ms`);
    assert.deepEqual(got, ['firs'], 'the long line (its first 4 KiB not matching) joined the record');
  });
});

describe('agent: multiline files', () => {
  const dir = tempDir('multiline');
  let node: Node;
  const logs: string[] = [];
  const started: Agent[] = [];
  const start = async (cfg: AgentConfig) => {
    const a = await startAgent(cfg, (m) => logs.push(m));
    started.push(a);
    return a;
  };
  before(async () => {
    node = await startNode(join(dir.path, 'node'));
  });
  after(async () => {
    for (const a of started) await a.close();
    await node.close();
    dir.remove();
  });

  for (const [name, multiline] of [
    ['indent', { mode: 'indent' }],
    ['start', { start: '^\\d{4}-\\d\\d-\\d\\d \\d\\d:' }],
  ] as const) {
    test(`${name}: Java traces with Caused by chains arrive as one record each, whole, while the writer goes on`, async () => {
      const d = join(dir.path, name);
      mkdirSync(d);
      const random = mulberry32Float(name.length * 7919);
      const writers = [new TraceWriter(`${name}a`, join(d, 'a.log'), random), new TraceWriter(`${name}b`, join(d, 'b.log'), random)];
      writers[0].write(300);
      const agent = await start(testConfig(join(d, 'registry'), [join(d, '*.log')], node.url, { output: { index: `ml-${name}` }, input: { multiline: { ...multiline, timeout_ms: 200 } } }));
      for (let k = 0; k < 10; k++) {
        for (const w of writers) w.write(20);
        await new Promise((r) => setTimeout(r, 20));
      }
      const t = await waitForRecords(node.url, writers, 15_000, `ml-${name}`);
      assert.deepEqual(t.wrong, []);
      assert.equal(t.duplicates, 0);
      // The last record of each file had no line after it: the timeout shipped it.
      for (const w of writers) await waitFor(() => agent.files().find((f) => f.path === w.path)?.committed === statSync(w.path).size, 5000, `${w.path} committed to its end`);
      assert.ok(agent.stats().records < agent.stats().linesRead, 'lines were joined');
    });
  }

  test('a record still being joined is not committed: stopped then, the agent reads it again, whole, under the same id', async () => {
    const d = join(dir.path, 'pending');
    mkdirSync(d);
    const path = join(d, 'app.log');
    const cfg = testConfig(join(d, 'registry'), [path], node.url, { output: { index: 'ml-pending' }, input: { multiline: { mode: 'indent', timeout_ms: 60_000 } } });
    appendFileSync(path, 'first record\n\tat one\nsecond record\n\tat two\n');
    let agent = await start(cfg);
    const messages = async () => (await searchAll(node.url, 'ml-pending')).map((h) => h.message);
    await waitFor(async () => (await messages()).length === 1, 5000, 'the first record');
    const first = readFileSync(path, 'utf8').indexOf('second');
    await waitFor(() => agent.files()[0].committed === first, 5000, 'the offset to reach the end of the first record');
    // The second record waits for a line that would begin the next one (the timeout is a minute).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(agent.files()[0].committed, first, 'not past the record being joined');
    await agent.close();

    appendFileSync(path, '\tat three\nthird record\n');
    agent = await start({ ...cfg, inputs: [{ ...cfg.inputs[0], multiline: { ...cfg.inputs[0].multiline!, timeout_ms: 100 } }] });
    await waitFor(async () => (await messages()).length === 3, 5000, 'three records');
    const hits = await searchAll(node.url, 'ml-pending');
    assert.deepEqual(hits.map((h) => h.message).sort(), ['first record\n\tat one', 'second record\n\tat two\n\tat three', 'third record']);
    const second = hits.find((h) => h.message.startsWith('second'))!;
    assert.match(second._id, new RegExp(`-${first}$`), 'named by the offset of its first line');
    await waitFor(() => agent.files()[0].committed === statSync(path).size, 5000, 'the offset to reach the end');
  });
});
