/**
 * The quick start's moving parts besides the node and the dashboard: a demo application writing JSON log lines
 * to a file, and Strata's own agent shipping that file to the node, where a pipeline parses the lines. A
 * newcomer sees live logs at once, and the path they see is the real one: file → agent → `_bulk` → pipeline →
 * index.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32Float } from '../lib/prng.ts';
import { sampleRecord } from './sample-records.ts';

const INDEX = 'demo';
const PIPELINE = 'demo-json';
const BIN = fileURLToPath(new URL('../bin/strata.js', import.meta.url));

async function call(url: string, method: string, body: unknown): Promise<number> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

/** The demo index parses each shipped line's JSON into fields (its own `@timestamp` included). */
async function preparePipeline(nodeUrl: string): Promise<void> {
  const p = await call(`${nodeUrl}/api/v1/pipelines/${PIPELINE}`, 'PUT', { description: 'the demo application writes JSON lines', processors: [{ json: { field: 'message' } }] });
  if (p !== 200 && p !== 201) throw new Error(`creating the demo pipeline answered ${p}`);
  const c = await call(`${nodeUrl}/api/v1/indices/${INDEX}`, 'PUT', {});
  if (c !== 200 && c !== 409) throw new Error(`creating the demo index answered ${c}`);
  const s = await call(`${nodeUrl}/api/v1/indices/${INDEX}/settings`, 'PUT', { default_pipeline: PIPELINE });
  if (s !== 200) throw new Error(`setting the demo index's pipeline answered ${s}`);
}

function agentConfig(dataDir: string, logs: string, nodeUrl: string): string {
  return [
    '# Written by `strata demo`: the agent ships the demo application\'s log file to the node.',
    `registry: ${JSON.stringify(join(dataDir, 'demo-agent'))}`,
    'inputs:',
    '  - type: file',
    `    paths: [${JSON.stringify(join(logs, '*.log'))}]`,
    'output:',
    `  urls: [${JSON.stringify(nodeUrl)}]`,
    `  index: ${INDEX}`,
    '  batch: { max_wait_ms: 250 }',
    '',
  ].join('\n');
}

/** Starts the demo application and the agent; the returned function stops both. */
export async function startDemo(nodeUrl: string, dataDir: string, log: (m: string) => void): Promise<() => Promise<void>> {
  await preparePipeline(nodeUrl);
  const logs = join(dataDir, 'demo-logs');
  mkdirSync(logs, { recursive: true });
  const file = join(logs, 'app.log');
  const r = mulberry32Float(Date.now() >>> 0);
  const line = (ts: number) => JSON.stringify(sampleRecord(r, ts)) + '\n';
  if (!existsSync(file)) {
    // An hour of history, so that Discover has something to chart from the first second.
    const now = Date.now();
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => line(now - 3600_000 + i * 720)).join(''));
  }
  const timer = setInterval(() => {
    const n = 1 + Math.floor(r() * 5);
    appendFileSync(file, Array.from({ length: n }, () => line(Date.now())).join(''));
  }, 1000);

  const config = join(dataDir, 'demo-agent.yaml');
  writeFileSync(config, agentConfig(dataDir, logs, nodeUrl));
  const agent: ChildProcess = spawn(process.execPath, [BIN, 'agent', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  agent.stderr!.on('data', (b: Buffer) => {
    for (const l of b.toString('utf8').split('\n')) if (l.trim() !== '') log(`agent: ${l.trim()}`);
  });
  agent.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM') log(`the demo agent exited (${code ?? signal})`);
  });
  log(`demo: an application writes ${file}; the agent (config ${config}) ships it into index "${INDEX}"`);
  return async () => {
    clearInterval(timer);
    if (agent.exitCode !== null) return;
    const exited = new Promise((ok) => agent.once('exit', ok));
    agent.kill('SIGTERM');
    await exited;
  };
}
