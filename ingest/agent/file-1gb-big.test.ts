import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../lib/prng.ts';
import { cpuSecondsOf } from '../../bench/agent.ts';
import { startNodeProcess } from '../../bench/node-process.ts';
import { readPeakRssBytes, watchPeakRss } from '../../bench/stats.ts';
import { adminFetch, countAll, spawnAgent, tempDir, TEST_AUTH, TEST_AUTH_YAML } from './testing.ts';

/**
 * One big log file, already on disk when the agent starts, shipped by an agent process to a node process: every
 * line must be found (the node's count for the file equals `wc -l`, and each line's sequence number is seen once),
 * and the agent's peak memory must stay near its bound however big the file is.
 *
 * 1 GB takes longer than a test suite may: on a loaded 2-core machine the node stores 7-10k of these lines a
 * second, and the 4.3M lines of 1 GB took 13.5 minutes in all (80 s to write, 10 minutes to ship, 2 to check). The
 * suite ships 100 MB (about 1.5 minutes); `STRATA_BIG_TESTS=1` ships 1 GB instead and reports the 100 MB run as
 * skipped. `STRATA_AGENT_BIG_MB=N` picks another size for the big run.
 */

const MB = 1_000_000;
const MiB = 1024 * 1024;
const INDEX = 'big-file';
const BIG = process.env.STRATA_BIG_TESTS === '1';
const BIG_MB = Number(process.env.STRATA_AGENT_BIG_MB ?? 1000);
/**
 * The agent's memory bound in this test, far below the file: an agent that held the file, or a share of it growing
 * with it, would pass bound + margin at 1 GB (at 100 MB the margin is wider than such a share).
 */
const MAX_PENDING = 16 * MiB;
/**
 * What the process takes beyond records pending: Node.js and the agent's code (about 110 MiB idle), the batches
 * in flight and their gzip buffers (2 × 4 MiB of records, each held as text and as JSON), and garbage not yet
 * collected.
 */
const RSS_MARGIN = 256 * MiB;

/**
 * Lines shaped like real logs (Loghub-like: a timestamp, a level, a component, a message with ids, addresses,
 * paths and numbers), 150 to 300 bytes each, seeded. Each carries `seq=<9 digits>` at a fixed place, so that a
 * hit tells which line it is. Written in 4 MiB chunks; returns the line count.
 */
function writeLogFile(path: string, bytes: number, seed: number): number {
  const rand = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[rand() % a.length];
  const n = (max: number) => rand() % max;
  const ip = () => `10.${n(256)}.${n(256)}.${n(256)}`;
  // Each message with the component that would log it.
  const messages: [string, () => string][] = [
    ['dfs.DataNode$PacketResponder', () => `Received block blk_${n(1e9)}${n(1e9)} of size ${n(67108864)} from /${ip()}`],
    ['dfs.FSNamesystem', () => `BLOCK* NameSystem.addStoredBlock: blockMap updated: ${ip()}:50010 is added to blk_-${n(1e9)} size ${n(67108864)}`],
    ['sshd', () => `Accepted password for user${n(500)} from ${ip()} port ${1024 + n(60000)} ssh2`],
    ['sshd', () => `Failed password for invalid user admin from ${ip()} port ${1024 + n(60000)} ssh2`],
    ['org.apache.zookeeper.server.NIOServerCnxn', () => `Closed socket connection for client /${ip()}:${1024 + n(60000)} which had sessionid 0x${n(1e9).toString(16)}${n(1e9).toString(16)}`],
    ['spark.storage.BlockManager', () => `Found block rdd_${n(100)}_${n(1000)} locally, took ${n(5000)} ms, stored as bytes in memory (estimated size ${n(9000)}.${n(10)} KB, free ${n(900)}.${n(10)} MB)`],
    ['nova.compute.manager', () => `[instance: ${n(1e9).toString(16)}-${n(65536).toString(16)}-4${n(4096).toString(16)}] Took ${n(100)}.${n(100)} seconds to spawn the instance on the hypervisor.`],
    ['hadoop.mapred.TaskAttemptListenerImpl', () => `Task attempt_${n(1e9)}_${n(10000)}_m_${n(1e6)}_${n(4)} is done. And is in the process of committing; progress ${n(100)}.${n(1000)}%`],
    ['kernel', () => `audit: type=1400 apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" name="/etc/ssl/private/key${n(99)}.pem" pid=${n(65536)} comm="cupsd"`],
  ];
  const levels = ['INFO', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'];
  const words = ['retry', 'queue', 'flush', 'lease', 'epoch', 'commit', 'replica', 'timeout', 'handler', 'worker', 'segment', 'cache'];
  const fd = openSync(path, 'w');
  const startMs = Date.UTC(2026, 10, 29);
  let lines = 0;
  let written = 0;
  // toISOString once a second, not once a line: at 1 GB it was a third of the time taken.
  let second = -1;
  let isoSecond = '';
  try {
    while (written < bytes) {
      let chunk = '';
      while (chunk.length < 4 * MiB && written + chunk.length < bytes) {
        const target = 150 + n(151);
        const ms = startMs + lines * 7;
        if (Math.floor(ms / 1000) !== second) {
          second = Math.floor(ms / 1000);
          isoSecond = new Date(second * 1000).toISOString().slice(0, 20);
        }
        const m = pick(messages);
        let line = `${isoSecond}${String(ms % 1000).padStart(3, '0')}Z seq=${String(lines).padStart(9, '0')} ${pick(levels)} ${m[0]}: ${m[1]()}`;
        while (line.length < target) line += ` ${pick(words)}=${n(100000)}`;
        chunk += (line.length > 300 ? line.slice(0, 300) : line) + '\n';
        lines++;
      }
      written += writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

/**
 * Every hit of the index, read in slices of 10,000 sequence numbers (`seq AND 00042*`), each paged with `next`:
 * how many of lines 0..lines-1 were found, and how many hits repeat one. Slices, because paging the whole index
 * sorted by time costs each page a pass over every record, which at 1 GB makes the check slower than the shipping.
 * No other token of these lines starts with a zero followed by digits (their numbers have no leading zeros); were one
 * to, its hit would be counted in two slices, a duplicate: the test would fail, not miss a line.
 */
async function tallySeqs(url: string, lines: number): Promise<{ found: number; duplicates: number; foreign: number }> {
  const seen = new Uint8Array(lines);
  let found = 0;
  let duplicates = 0;
  let foreign = 0;
  for (let slice = 0; slice * 10_000 < lines; slice++) {
    const query = `seq AND ${String(slice).padStart(5, '0')}*`;
    let after: unknown = null;
    for (;;) {
      const res = await adminFetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index: INDEX, query, size: 10_000, search_after: after }) });
      const json = (await res.json()) as { hits: { message: string }[]; next: unknown };
      assert.equal(res.status, 200, JSON.stringify(json).slice(0, 500));
      for (const h of json.hits) {
        const seq = h.message.startsWith('seq=', 25) ? Number(h.message.slice(29, 38)) : NaN;
        if (!(seq >= 0 && seq < lines)) foreign++;
        else if (seen[seq] === 1) duplicates++;
        else {
          seen[seq] = 1;
          found++;
        }
      }
      if (json.next === null || json.hits.length === 0) break;
      after = json.next;
    }
  }
  return { found, duplicates, foreign };
}

/** Records per `log.file.path`, as the node counts them. */
async function countPerFile(url: string): Promise<Map<string, number>> {
  const res = await adminFetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index: INDEX, query: '*', size: 0, aggs: { files: { terms: { field: 'log.file.path', size: 10 } } } }) });
  const json = (await res.json()) as { aggs: { files: { buckets: { key: string; doc_count: number }[] } } };
  assert.equal(res.status, 200, JSON.stringify(json));
  return new Map(json.aggs.files.buckets.map((b) => [b.key, b.doc_count]));
}

async function shipOneFile(t: import('node:test').TestContext, mb: number): Promise<void> {
  const dir = tempDir('big-file');
  t.after(() => dir.remove());
  const file = join(dir.path, 'big.log');
  const g0 = performance.now();
  const lines = writeLogFile(file, mb * MB, 20261129);
  const bytes = statSync(file).size;
  const wc = Number(execFileSync('wc', ['-l', file], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  assert.equal(wc, lines, 'wc -l counts the lines written');
  t.diagnostic(`wrote ${(bytes / MB).toFixed(0)} MB, ${lines} lines (${(bytes / lines).toFixed(0)} B on average) in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

  // The test helpers speak as the test admin.
  const node = await startNodeProcess(join(dir.path, 'node'), { password: TEST_AUTH.password });
  t.after(() => node.stop());
  const nodeRss = watchPeakRss(node.child.pid!, 200);
  const config = join(dir.path, 'agent.yaml');
  // Defaults but for the memory bound: the batch size, gzip, in-flight batches and intervals an operator gets.
  writeFileSync(
    config,
    `registry: ${JSON.stringify(join(dir.path, 'registry'))}
inputs:
  - type: file
    paths: [${JSON.stringify(file)}]
output:
  urls: [${JSON.stringify(node.url)}]
  index: ${INDEX}
  auth: ${TEST_AUTH_YAML}
memory: { max_pending_bytes: ${MAX_PENDING} }
`,
  );
  const out: string[] = [];
  const t0 = performance.now();
  const agent = spawnAgent(config, out);
  t.after(() => agent.child.kill('SIGKILL'));
  await agent.ready;
  assert.equal(agent.child.exitCode, null, out.join(''));
  const pid = agent.child.pid!;
  const agentRss = watchPeakRss(pid, 100);

  // Bounded: a run that stalls fails with what it reached, well before the test's own timeout.
  const deadline = Date.now() + Math.max(240_000, mb * 2_400);
  let count = 0;
  while ((count = await countAll(node.url, INDEX)) < lines) {
    if (Date.now() > deadline) assert.fail(`after ${((performance.now() - t0) / 1000).toFixed(0)} s the node has ${count} of ${lines} lines; agent log: ${out.join('').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(pid) ?? NaN;
  const peak = Math.max(agentRss.stop() ?? 0, readPeakRssBytes(pid) ?? 0);
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, out.join('').slice(-2000));

  const perFile = await countPerFile(node.url);
  const v0 = performance.now();
  const tally = await tallySeqs(node.url, lines);
  t.diagnostic(
    `shipped ${lines} lines (${(bytes / MB).toFixed(0)} MB) in ${seconds.toFixed(1)} s: ${Math.round(lines / seconds)} lines/s, ${(bytes / MB / seconds).toFixed(2)} MB/s; ` +
      `agent ${cpu.toFixed(1)} CPU s, peak RSS ${(peak / MiB).toFixed(0)} MiB (bound ${MAX_PENDING / MiB} MiB pending + ${RSS_MARGIN / MiB} MiB margin); ` +
      `node peak RSS ${((nodeRss.stop() ?? 0) / MiB).toFixed(0)} MiB; duplicates ${tally.duplicates}; every hit checked in ${((performance.now() - v0) / 1000).toFixed(1)} s`,
  );
  assert.equal(perFile.get(file), wc, `the node's count for ${file} against wc -l`);
  assert.equal(perFile.size, 1, JSON.stringify([...perFile]));
  assert.equal(tally.foreign, 0, 'hits that are no line of the file');
  assert.equal(tally.found, lines, 'distinct lines found');
  assert.equal(tally.duplicates, 0, 'lines stored twice');
  assert.ok(peak > 0, 'the agent peak RSS was read');
  assert.ok(peak <= MAX_PENDING + RSS_MARGIN, `agent peak RSS ${(peak / MiB).toFixed(0)} MiB over ${(MAX_PENDING + RSS_MARGIN) / MiB} MiB`);
}

test('a 100 MB file: every line found once, the agent within its memory bound', { skip: BIG ? 'STRATA_BIG_TESTS=1: the big run ships 1 GB instead' : false, timeout: 600_000 }, async (t) => {
  await shipOneFile(t, 100);
});

test(`a ${BIG_MB} MB file: every line found once, the agent within its memory bound`, { skip: BIG ? false : 'a 1 GB file takes 10+ minutes here: set STRATA_BIG_TESTS=1 to run it', timeout: 3_600_000 }, async (t) => {
  await shipOneFile(t, BIG_MB);
});
