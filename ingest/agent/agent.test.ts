import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Agent, startAgent } from './agent.ts';
import { type Node, LineWriter, searchAll, startNode, tempDir, testConfig, waitFor, waitForAll } from './testing.ts';

/** The agent against a real node: what it sends, what it resumes, what it does with odd lines. */

describe('agent: files to a node', () => {
  const dir = tempDir('basic');
  let node: Node;
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  /** Started agents are closed even when an assertion fails, so that a failure cannot hang the run. */
  const started: Agent[] = [];
  const start = async (cfg: Parameters<typeof startAgent>[0]) => {
    const a = await startAgent(cfg, log);
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

  test('every line arrives once, with its fields; a restart resumes at the registry offsets and reads nothing twice', async () => {
    const d = join(dir.path, 'a');
    mkdirSync(d);
    const a = new LineWriter('a', join(d, 'a.log'));
    const b = new LineWriter('b', join(d, 'b.log'));
    a.write(2000);
    b.write(3);
    appendFileSync(join(d, 'c.log.gz'), 'not lines\n');
    const cfg = testConfig(join(d, 'registry'), [join(d, '*.log*')], node.url, { output: { index: 'basic' }, fields: { env: 'test', shard: 7 }, input: { fields: { team: 'core' } } });
    let agent = await start(cfg);
    b.write(2);
    let t = await waitForAll(node.url, [a, b], 10_000, 'basic');
    assert.equal(t.duplicates, 0);
    const hits = await searchAll(node.url, 'basic');
    assert.equal(hits.length, 2005, 'the .gz file is not read');
    const first = hits.find((h) => h.message === a.line(0).trimEnd())!;
    assert.equal(first['log.file.path'], join(d, 'a.log'));
    assert.equal(first['host.name'], 'test-host');
    assert.equal(first.env, 'test');
    assert.equal(first.shard, 7);
    assert.equal(first.team, 'core');
    assert.match(first._id, /^[0-9a-f]{16}-0$/);
    const second = hits.find((h) => h.message === a.line(1).trimEnd())!;
    assert.equal(second._id, first._id.replace(/-0$/, `-${a.line(0).length}`), 'ids are the file key and the byte offset');
    assert.ok(Math.abs(Date.parse(first['@timestamp'] as string) - Date.now()) < 60_000);
    await agent.close();

    a.write(100);
    agent = await start(cfg);
    t = await waitForAll(node.url, [a, b], 10_000, 'basic');
    assert.equal(t.duplicates, 0);
    await waitFor(() => agent.stats().linesRead === 100, 2000, 'the second agent to read');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(agent.stats().linesRead, 100, 'only the new lines are read after a restart');
    const registry = readFileSync(join(d, 'registry', 'registry.ndjson'), 'utf8');
    assert.match(registry, /^STRATA-AGENT-REGISTRY 1 [0-9a-f]{16}\n/);
    await agent.close();
  });

  test('100 files at once, and files created while running, each counted to its last line', async () => {
    const d = join(dir.path, 'many');
    mkdirSync(d);
    const writers = Array.from({ length: 100 }, (_, i) => new LineWriter(`m${i}`, join(d, `f${i}.log`)));
    writers.forEach((w, i) => w.write(100 + i));
    const agent = await start(testConfig(join(d, 'registry'), [join(d, '*.log')], node.url, { output: { index: 'many' } }));
    await new Promise((r) => setTimeout(r, 200));
    const later = Array.from({ length: 10 }, (_, i) => new LineWriter(`n${i}`, join(d, `sub-${i}.log`)));
    later.forEach((w) => w.write(50));
    writers.forEach((w) => w.write(5));
    const t = await waitForAll(node.url, [...writers, ...later], 20_000, 'many');
    for (const w of [...writers, ...later]) {
      const lines = readFileSync(w.path, 'utf8').split('\n').length - 1;
      assert.equal(t.perTag.get(w.tag)!.found, lines, `${w.path}: as many lines found as wc -l counts`);
    }
    assert.equal(t.duplicates, 0);
    assert.equal(agent.stats().files, 110);
    await agent.close();
  });

  test('a last line without newline waits for it; with a timeout it is shipped as it is once the file is idle', async () => {
    const d = join(dir.path, 'partial');
    mkdirSync(d);
    const waits = join(d, 'waits.log');
    const flushes = join(d, 'flushes.log');
    appendFileSync(waits, 'w 0000000 whole\nw 0000001 half');
    appendFileSync(flushes, 'f 0000000 whole\nf 0000001 half');
    const agentWaits = await start(testConfig(join(d, 'r1'), [waits], node.url, { output: { index: 'partial' }, input: { partial_line_timeout_ms: 0 } }));
    const agentFlushes = await start(testConfig(join(d, 'r2'), [flushes], node.url, { output: { index: 'partial' }, input: { partial_line_timeout_ms: 300 } }));
    const messages = async () => (await searchAll(node.url, 'partial')).map((h) => h.message).sort();
    await waitFor(async () => (await messages()).length === 3, 5000, 'the whole lines and the flushed half');
    assert.deepEqual(await messages(), ['f 0000000 whole', 'f 0000001 half', 'w 0000000 whole']);
    appendFileSync(waits, ' and the rest\n');
    appendFileSync(flushes, ' and the rest\n');
    await waitFor(async () => (await messages()).length === 5, 5000, 'the completed lines');
    // Flushed on time, a line finished later arrives in two records: the price of not waiting forever.
    assert.deepEqual(await messages(), [' and the rest', 'f 0000000 whole', 'f 0000001 half', 'w 0000000 whole', 'w 0000001 half and the rest']);
    await agentWaits.close();
    await agentFlushes.close();
  });

  test('a line over max_line_bytes is cut, the rest skipped to its newline; CRLF and control bytes arrive intact', async () => {
    const d = join(dir.path, 'long');
    mkdirSync(d);
    const path = join(d, 'long.log');
    const long = 'L'.repeat(10_000);
    appendFileSync(path, `x 0000000 ${long}\r\nx 0000001 after\r\nx 0000002 "quoted" \\ tab\there \u0001 é ü 日本\n`);
    const agent = await start(testConfig(join(d, 'registry'), [path], node.url, { output: { index: 'long' }, input: { max_line_bytes: 1000, read_buffer_bytes: 4096 } }));
    await waitFor(async () => (await searchAll(node.url, 'long')).length === 3, 5000, 'three records');
    const byMessage = (await searchAll(node.url, 'long')).map((h) => h.message).sort();
    assert.equal(byMessage[0], `x 0000000 ${long}`.slice(0, 1000));
    assert.equal(byMessage[1], 'x 0000001 after');
    assert.equal(byMessage[2], 'x 0000002 "quoted" \\ tab\there \u0001 é ü 日本');
    assert.equal(agent.files()[0].bytesSkipped, 10_010 - 1000);
    assert.equal(agent.files()[0].committed, statSync(path).size);
    await agent.close();
  });

  test('fails over to the next URL when the first refuses connections', async () => {
    const d = join(dir.path, 'failover');
    mkdirSync(d);
    const w = new LineWriter('fo', join(d, 'a.log'));
    w.write(300);
    const dead = await startNode(join(d, 'dead-node'));
    const deadUrl = dead.url;
    await dead.close();
    const agent: Agent = await start(testConfig(join(d, 'registry'), [w.path], [deadUrl, node.url], { output: { index: 'failover' } }));
    const t = await waitForAll(node.url, [w], 10_000, 'failover');
    assert.equal(t.duplicates, 0);
    assert.ok(agent.stats().failedRequests >= 1);
    await agent.close();
  });

  test("a file's key is in the registry on disk before any of its records reaches the node", async () => {
    const d = join(dir.path, 'key-first');
    mkdirSync(d);
    const registry = join(d, 'registry');
    const violations: string[] = [];
    let requests = 0;
    // A node that, for each request, looks in the registry for the key of every id it receives.
    const fake = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        // Heartbeats are not the records this test follows.
        if (req.url !== '/_bulk') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"acknowledged":true}');
          return;
        }
        requests++;
        const known = readFileSync(join(registry, 'registry.ndjson'), 'utf8');
        for (const m of gunzipSync(Buffer.concat(parts)).toString().matchAll(/"_id":"([0-9a-f]{16})-/g)) if (!known.includes(`"key":"${m[1]}"`)) violations.push(m[1]);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"took":0,"errors":false,"items":[]}');
      });
    });
    await new Promise<void>((ok) => fake.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    // Offsets are written rarely here: only the rule that keys come first can put new files on disk in time.
    const agent = await start(testConfig(registry, [join(d, '*.log')], url, { registry: { path: registry, write_interval_ms: 60_000 } }));
    for (let i = 0; i < 5; i++) {
      new LineWriter(`kf${i}`, join(d, `f${i}.log`)).write(10);
      await waitFor(() => requests > i, 5000, `file ${i} to be shipped`);
    }
    await agent.close();
    fake.close();
    assert.deepEqual(violations, []);
  });
});
