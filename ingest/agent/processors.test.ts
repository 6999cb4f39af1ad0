import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Agent, startAgent } from './agent.ts';
import { parseAgentConfig } from './config.ts';
import { compileChain } from './processors/compile.ts';
import type { AgentEvent, ProcessorCounters } from './processors/event.ts';
import { parseLogfmt } from './processors/logfmt.ts';
import { type Hit, type Node, searchAll, startNode, tempDir, testConfig, waitFor } from './testing.ts';

/** Processors: each on its own (case tables), then a chain on a real agent whose records are searched on a node. */

/** Parses a processors list as the config does, compiles it, and runs it on a message. */
function run(processors: unknown[], message: string, ts = '2026-11-29T12:00:00.000Z'): { ev: AgentEvent; dropped: string | null; counters: ProcessorCounters } {
  const cfg = parseAgentConfig({ inputs: [{ type: 'stdin' }], output: { urls: ['http://n:1'], index: 'x' }, processors }, 'test');
  const counters: ProcessorCounters = { processed: 0, parseErrors: { json: 0, logfmt: 0 } };
  const chain = compileChain(cfg.processors, counters)!;
  const ev: AgentEvent = { ts, fields: { message } };
  return { ev, dropped: chain.run(ev), counters };
}

describe('logfmt', () => {
  const parse = (text: string) => {
    const out: Array<[string, string | true]> = [];
    const err = parseLogfmt(text, out);
    return err ?? Object.fromEntries(out);
  };
  const cases: [string, unknown][] = [
    ['level=info msg=started', { level: 'info', msg: 'started' }],
    ['  a=1\tb=2  ', { a: '1', b: '2' }],
    ['msg="hello world" n=3', { msg: 'hello world', n: '3' }],
    ['msg="say \\"hi\\"" path="C:\\\\tmp"', { msg: 'say "hi"', path: 'C:\\tmp' }],
    ['msg="line1\\nline2\\tend" e="caf\\u00e9" s="a\\/b"', { msg: 'line1\nline2\tend', e: 'café', s: 'a/b' }],
    ['msg="keeps \\x as written"', { msg: 'keeps \\x as written' }],
    ['empty= next=1', { empty: '', next: '1' }],
    ['debug a=1 verbose', { debug: true, a: '1', verbose: true }],
    ['query=a=b&c=d', { query: 'a=b&c=d' }],
    ['text=un"quoted', { text: 'un"quoted' }],
  ];
  for (const [input, want] of cases) test(JSON.stringify(input), () => assert.deepEqual(parse(input), want));
  const errors: [string, RegExp][] = [
    ['', /no key=value pair/],
    ['just some words', /no key=value pair/],
    ['msg="unterminated', /never ends/],
    ['a=1 =2', /without a key/],
    ['msg="x"y', /after the closing quote/],
    ['"quoted key"=1', /quoted key/],
  ];
  for (const [input, want] of errors) test(`refuses ${JSON.stringify(input)}`, () => assert.match(parse(input) as string, want));
});

describe('processors, one by one', () => {
  test('json into the record: nested objects flattened, arrays as JSON text, its message and @timestamp become the record\'s', () => {
    const { ev, counters } = run([{ json: {} }], '{"message":"user logged in","@timestamp":"2026-01-02T03:04:05Z","user":{"id":7,"roles":["a","b"]},"ok":true,"gone":null}');
    assert.deepEqual(ev, { ts: '2026-01-02T03:04:05.000Z', fields: { message: 'user logged in', 'user.id': 7, 'user.roles': '["a","b"]', ok: true } });
    assert.equal(counters.processed, 1);
  });

  test('json under a target; without a message of its own the line stays the message; a bad time keeps the read time', () => {
    const line = '{"level":"warn","@timestamp":"not a time","n":{"x":1}}';
    const { ev } = run([{ json: { target: 'app' } }], line);
    assert.deepEqual(ev, { ts: '2026-11-29T12:00:00.000Z', fields: { message: line, 'app.level': 'warn', 'app.n.x': 1 } });
  });

  test('json that does not parse: kept as it is (on_error: keep) or dropped (drop); counted either way', () => {
    for (const text of ['not json', '[1,2]', '"a string"', '{"cut":']) {
      const kept = run([{ json: {} }], text);
      assert.equal(kept.dropped, null);
      assert.deepEqual(kept.ev.fields, { message: text });
      assert.equal(kept.counters.parseErrors.json, 1);
      assert.equal(run([{ json: { on_error: 'drop' } }], text).dropped, 'parse_error');
    }
  });

  test('logfmt into the record and under a target; a plain sentence is a parse error', () => {
    assert.deepEqual(run([{ logfmt: {} }], 'level=info msg="took a while" ms=12 cached').ev.fields, { message: 'level=info msg="took a while" ms=12 cached', level: 'info', msg: 'took a while', ms: '12', cached: true });
    assert.deepEqual(run([{ logfmt: { target: 'kv' } }], 'a=1 message=hello').ev.fields, { message: 'a=1 message=hello', 'kv.a': '1', 'kv.message': 'hello' });
    assert.deepEqual(run([{ logfmt: {} }], 'message=replaced @timestamp=2026-05-06T07:08:09.010Z').ev, { ts: '2026-05-06T07:08:09.010Z', fields: { message: 'replaced' } });
    const plain = run([{ logfmt: { on_error: 'drop' } }], 'just a sentence');
    assert.equal(plain.dropped, 'parse_error');
    assert.equal(plain.counters.parseErrors.logfmt, 1);
  });

  test('add_fields sets fields and merges tags into a JSON array text', () => {
    assert.deepEqual(run([{ add_fields: { fields: { team: 'core', tier: 2 }, tags: ['web', 'eu'] } }], 'x').ev.fields, { message: 'x', team: 'core', tier: 2, tags: '["web","eu"]' });
    const merged = run([{ json: {} }, { add_fields: { tags: ['eu', 'new'] } }], '{"message":"m","tags":["old","eu"]}');
    assert.equal(merged.ev.fields.tags, '["old","eu","new"]');
  });

  test('drop by pattern (on any field); redact every match, with $1 for a group; in order', () => {
    assert.equal(run([{ drop: { pattern: 'healthcheck' } }], 'GET /healthcheck 200').dropped, 'drop_processor');
    assert.equal(run([{ drop: { pattern: 'healthcheck' } }], 'GET /api 200').dropped, null);
    assert.equal(run([{ json: {} }, { drop: { pattern: '^debug$', field: 'level' } }], '{"level":"debug","message":"x"}').dropped, 'drop_processor');
    assert.equal(run([{ drop: { pattern: 'x', field: 'absent' } }], 'x').dropped, null, 'a missing field matches nothing');
    const r = run([{ redact: { pattern: '\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b' } }, { redact: { pattern: '(password=)\\S+', replacement: '$1***' } }], 'card 1234-5678-9012-3456 and 1111-2222-3333-4444 password=hunter2 ok');
    assert.equal(r.ev.fields.message, 'card [REDACTED] and [REDACTED] password=*** ok');
    // Redacting before parsing keeps the secret out of every parsed field too.
    const first = run([{ redact: { pattern: 'hunter2' } }, { logfmt: {} }], 'user=bob password=hunter2');
    assert.equal(first.ev.fields.password, '[REDACTED]');
  });

  test('config errors name the processor and the key', () => {
    const bad = (processors: unknown[], want: RegExp) =>
      assert.throws(
        () => parseAgentConfig({ inputs: [{ type: 'stdin', processors }], output: { urls: ['http://n:1'], index: 'x' } }, 'cfg'),
        (e: Error) => (assert.match(e.message, want), true),
      );
    bad([{ jsonn: {} }], /inputs\.0\.processors\.0\.jsonn: unknown processor; supported: json, logfmt, add_fields, drop, redact/);
    bad([{ json: {}, drop: { pattern: 'x' } }], /inputs\.0\.processors\.0: one processor per list item \(found json, drop\)/);
    bad([{ drop: { pattern: '(unclosed' } }], /inputs\.0\.processors\.0\.drop\.pattern: not a valid regular expression/);
    bad([{ redact: { pattern: '[' } }], /processors\.0\.redact\.pattern: not a valid regular expression/);
    bad([{ json: { on_error: 'ignore' } }], /processors\.0\.json\.on_error/);
    bad([{ add_fields: { fields: { 'host.name': 'x' } } }], /processors\.0\.add_fields\.fields\.host\.name: set by the agent itself/);
    bad(['json'], /processors\.0: a processor: an object with one key/);
  });
});

describe('agent: processors on the host', () => {
  const dir = tempDir('processors');
  let node: Node;
  const started: Agent[] = [];
  before(async () => {
    node = await startNode(join(dir.path, 'node'));
  });
  after(async () => {
    for (const a of started) await a.close();
    await node.close();
    dir.remove();
  });

  test('a chain of json, logfmt, add_fields, drop and redact: records searched on the node; dropped lines still commit', async () => {
    const d = join(dir.path, 'chain');
    mkdirSync(d);
    const path = join(d, 'app.log');
    const lines = [
      '{"message":"login","@timestamp":"2026-01-02T03:04:05.000Z","user":{"name":"ann","id":1},"card":"4111-1111-1111-1111"}',
      'level=info msg="served /api" ms=12 user=bob',
      '{"message":"GET /healthcheck","status":200}',
      'plain text line with secret token=abc123',
      '{"broken": ',
    ];
    appendFileSync(path, lines.join('\n') + '\n');
    const cfg = testConfig(join(d, 'registry'), [path], node.url, {
      output: { index: 'proc' },
      fields: { env: 'test' },
      input: {
        fields: { team: 'core' },
        processors: [{ json: { on_error: 'keep' } }, { drop: { pattern: 'healthcheck' } }, { redact: { pattern: '\\d{4}-\\d{4}-\\d{4}-\\d{4}', field: 'card' } }],
      },
      processors: [{ logfmt: { target: 'kv' } }, { redact: { pattern: '(token=)\\w+', replacement: '$1[REDACTED]' } }, { add_fields: { fields: { pipeline: 'host' }, tags: ['agent'] } }],
    });
    const agent = await startAgent(cfg, () => {});
    started.push(agent);
    await waitFor(async () => (await searchAll(node.url, 'proc')).length === 4, 10_000, 'four records (one dropped)');
    await waitFor(() => agent.files()[0].committed === statSync(path).size, 5000, 'the offset past every line, the dropped one too');
    const hits = await searchAll(node.url, 'proc');
    const by = (m: string) => hits.find((h) => (h.message as string).startsWith(m)) as Hit;
    const login = by('login');
    assert.equal(login['@timestamp'], '2026-01-02T03:04:05.000Z');
    assert.equal(login['user.name'], 'ann');
    assert.equal(login['user.id'], 1);
    assert.equal(login.card, '[REDACTED]');
    assert.equal(login['log.file.path'], path);
    assert.equal(login['host.name'], 'test-host');
    assert.equal(login.env, 'test');
    assert.equal(login.team, 'core');
    assert.equal(login.pipeline, 'host');
    assert.equal(login.tags, '["agent"]');
    const served = by('level=info');
    assert.equal(served['kv.msg'], 'served /api');
    assert.equal(served['kv.ms'], '12');
    assert.equal(by('plain text').message, 'plain text line with secret token=[REDACTED]');
    assert.equal(by('{"broken"').message, '{"broken": ', 'a line that is not JSON is kept (on_error: keep)');
    assert.ok(!hits.some((h) => (h.message as string).includes('healthcheck')));
    const st = agent.stats();
    assert.equal(st.processed, 5);
    assert.equal(st.dropped.drop_processor, 1);
    // The ids are still the file key and each line's offset.
    assert.match(by('level=info')._id, new RegExp(`-${lines[0].length + 1}$`));
  });

  test('every line dropped: nothing is sent, and the registry offset still reaches the end of the file', async () => {
    const d = join(dir.path, 'all-dropped');
    mkdirSync(d);
    const path = join(d, 'noise.log');
    appendFileSync(path, 'DEBUG a\nDEBUG b\nDEBUG c\n');
    const agent = await startAgent(testConfig(join(d, 'registry'), [path], node.url, { output: { index: 'proc-none' }, input: { processors: [{ drop: { pattern: '^DEBUG' } }] } }), () => {});
    started.push(agent);
    await waitFor(() => agent.files()[0]?.committed === statSync(path).size, 5000, 'the offset to reach the end');
    assert.equal(agent.stats().requests, 0);
    assert.equal(agent.stats().dropped.drop_processor, 3);
  });
});
