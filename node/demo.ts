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
import { writeFileDurable } from '../lib/durable-file.ts';
import { mulberry32Float } from '../lib/prng.ts';
import type { RunningNode } from './run.ts';
import { sampleRecord } from './sample-records.ts';

const INDEX = 'demo';
const PIPELINE = 'demo-json';
const DEMO_CREATOR = 'strata demo';
const BIN = fileURLToPath(new URL('../bin/strata.js', import.meta.url));

/**
 * The demo index parses each shipped line's JSON into fields (its own `@timestamp` included). Set up through the
 * engine itself: the demo runs inside the node's process, as its operator.
 */
async function preparePipeline(node: RunningNode): Promise<void> {
  const { engine } = node;
  engine.pipelines.put(PIPELINE, { description: 'the demo application writes JSON lines', processors: [{ json: { field: 'message' } }] });
  await engine.indices.ensure(INDEX);
  await engine.indices.update(INDEX, { default_pipeline: PIPELINE });
}

/**
 * The demo agent's credential: an API key that may ingest into the demo index only, made anew at each start (the
 * one before it revoked), as an operator would give a real agent.
 */
function demoApiKey(node: RunningNode): string {
  const keys = node.security.apiKeys;
  for (const k of keys.list()) if (k.created_by === DEMO_CREATOR) keys.revoke(k.id);
  return keys.create({ name: 'demo agent', privileges: [{ indices: [INDEX], actions: ['ingest'] }] }, DEMO_CREATOR).encoded;
}

function agentConfig(dataDir: string, logs: string, nodeUrl: string, apiKey: string): string {
  return [
    '# Written by `strata demo`: the agent ships the demo application\'s log file to the node.',
    `registry: ${JSON.stringify(join(dataDir, 'demo-agent'))}`,
    'inputs:',
    '  - type: file',
    `    paths: [${JSON.stringify(join(logs, '*.log'))}]`,
    'output:',
    `  urls: [${JSON.stringify(nodeUrl)}]`,
    `  index: ${INDEX}`,
    `  auth: { api_key: ${JSON.stringify(apiKey)} }`,
    '  batch: { max_wait_ms: 250 }',
    '',
  ].join('\n');
}

/** Starts the demo application and the agent; the returned function stops both. */
export async function startDemo(node: RunningNode, nodeUrl: string, dataDir: string, log: (m: string) => void): Promise<() => Promise<void>> {
  await preparePipeline(node);
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
  // The config holds a credential: readable by its owner only.
  writeFileDurable(config, agentConfig(dataDir, logs, nodeUrl, demoApiKey(node)), 'demo agent config', { mode: 0o600 });
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
