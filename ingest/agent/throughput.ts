/**
 * Measures how fast the agent ships one file: to a node in its own process (`--to node`, the default), or to a
 * sink in its own process that answers every `_bulk` at once without decoding it (`--to sink`: the agent's own
 * ceiling). The agent runs in this process, so the CPU and peak RSS printed are the agent's alone.
 *
 *   npx tsx ingest/agent/throughput.ts --file bench/out/corpus-200000-s42/corpus.log [--lines 100000] [--to sink]
 *
 * Not a test and not the benchmark of issue 4 (many files, rsyslog alongside): a figure for one file, measured the
 * same way each time.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startAgent } from './agent.ts';
import { parseAgentConfig } from './config.ts';

const { values } = parseArgs({ options: { file: { type: 'string' }, lines: { type: 'string' }, to: { type: 'string', default: 'node' }, port: { type: 'string', default: '9477' } } });
if (!values.file) throw new Error('--file is required');
const work = mkdtempSync(join(tmpdir(), 'strata-agent-throughput-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** The first `lines` lines of the file, copied (or the file itself). */
async function source(): Promise<{ path: string; lines: number }> {
  const limit = values.lines ? Number(values.lines) : Infinity;
  const path = join(work, 'input.log');
  const out = createWriteStream(path);
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(values.file!), crlfDelay: Infinity })) {
    if (n >= limit) break;
    if (!out.write(line + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((r) => out.end(r));
  return { path, lines: n };
}

const SINK = `require('http').createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{"took":0,"errors":false,"items":[]}'); }); }).listen(${values.port}, '127.0.0.1', () => console.log('ready'));`;

async function startTarget(): Promise<() => void> {
  const bin = resolve(import.meta.dirname, '../../bin/strata.js');
  const args = values.to === 'sink' ? ['-e', SINK] : [bin, 'node', '--data-dir', join(work, 'node'), '--port', values.port!];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((ok, fail) => {
    const onData = (c: Buffer) => (/ready/.test(c.toString()) ? ok() : undefined);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`the ${values.to} exited with ${code}`)));
  });
  return () => child.kill('SIGTERM');
}

const input = await source();
const bytes = statSync(input.path).size;
const stop = await startTarget();
const cfg = parseAgentConfig(
  { registry: join(work, 'registry'), inputs: [{ type: 'file', paths: [input.path] }], output: { urls: [`http://127.0.0.1:${values.port}`], index: 'throughput' } },
  'throughput config',
);
const rssBeforeMb = Math.round(process.memoryUsage().rss / 1e6);
let rssPeakMb = rssBeforeMb;
// Sampled while shipping: maxRSS would also count the copy of the input made above.
const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, Math.round(process.memoryUsage().rss / 1e6))), 20);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const agent = await startAgent(cfg, (m) => process.stderr.write(m + '\n'));
while (agent.files()[0]?.committed !== bytes) await new Promise((r) => setTimeout(r, 10));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
await agent.close();
stop();
const s = agent.stats();
console.log(
  JSON.stringify({
    to: values.to,
    lines: input.lines,
    mb: +(bytes / 1e6).toFixed(1),
    seconds: +seconds.toFixed(2),
    lines_per_s: Math.round(input.lines / seconds),
    mb_per_s: +(bytes / 1e6 / seconds).toFixed(1),
    agent_cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    rss_mb_before: rssBeforeMb,
    rss_mb_peak_while_shipping: rssPeakMb,
    requests: s.requests,
    wire_mb: +(s.bytesSent / 1e6).toFixed(1),
  }),
);
