import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildAgentBundle } from './build/build.ts';
import { adminFetch, LineWriter, startNode, waitFor, waitForAll, TEST_AUTH_YAML } from './testing.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The single-file bundle: built with esbuild, copied where no node_modules can be found, and run with plain
 * `node` against a real node, shipping a file whose every line is then found by search.
 */

/** Runs the bundle; resolves when it exits. `env` is all it gets: no NODE_OPTIONS, no NODE_PATH, no loader. */
function run(bundle: string, args: string[], cwd: string) {
  const child = spawn(process.execPath, [bundle, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((ok) => child.once('close', ok));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('the bundle is one file that runs with plain node and no node_modules: it ships a file, reports itself, installs itself', async (t) => {
  const build = mkdtempSync(join(tmpdir(), 'strata-bundle-build-'));
  const here = mkdtempSync(join(tmpdir(), 'strata-bundle-run-'));
  t.after(() => {
    rmSync(build, { recursive: true, force: true });
    rmSync(here, { recursive: true, force: true });
  });
  const { path: built, bytes } = await buildAgentBundle(join(build, 'strata-agent.mjs'));
  t.diagnostic(`bundle: ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB)`);
  assert.ok(bytes > 100_000 && bytes < 4_000_000, `${bytes} bytes`);
  const text = readFileSync(built, 'utf8');
  assert.ok(text.startsWith('#!/usr/bin/env node\n'));
  // yaml and zod are inside, not imported; only Node's own modules are.
  const imports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
  assert.deepEqual(imports.filter((m) => !m.startsWith('node:') && !['fs', 'path', 'os', 'http', 'https', 'net', 'dgram', 'crypto', 'zlib', 'util', 'url', 'stream', 'module'].includes(m)), []);

  const bundle = join(here, 'strata-agent.mjs');
  copyFileSync(built, bundle);
  // No node_modules anywhere up from where it runs: what it needs must be in the file.
  for (let d = here; ; d = dirname(d)) {
    assert.equal(existsSync(join(d, 'node_modules')), false, `${d}/node_modules exists`);
    if (dirname(d) === d) break;
  }

  const node = await startNode(join(build, 'node'));
  t.after(() => node.close());
  const w = new LineWriter('bu', join(here, 'app.log'));
  w.write(2000);
  writeFileSync(
    join(here, 'agent.yaml'),
    `registry: registry
inputs: [{ type: file, paths: ["*.log"], scan_interval_ms: 100, poll_interval_ms: 25 }]
output: { urls: ["${node.url}"], auth: ${TEST_AUTH_YAML}, index: bundled, batch: { max_wait_ms: 50 } }
heartbeat: { interval_ms: 200 }
`,
  );

  const check = run(bundle, ['--check', '--config', 'agent.yaml'], here);
  assert.equal(await check.exited, 0, check.err());
  assert.equal(check.out(), 'agent.yaml: valid\n');
  const dry = run(bundle, ['install', '--config', 'agent.yaml', '--dry-run'], here);
  assert.equal(await dry.exited, 0, dry.err());
  assert.match(dry.out(), new RegExp(`^ExecStart=${process.execPath} ${bundle} --config ${join(here, 'agent.yaml')}$`, 'm'));

  const agent = run(bundle, ['agent', '--config', 'agent.yaml'], here);
  t.after(() => agent.child.kill('SIGKILL'));
  const found = await waitForAll(node.url, [w], 20_000, 'bundled');
  assert.equal(found.duplicates, 0);
  w.write(500);
  await waitForAll(node.url, [w], 10_000, 'bundled');
  let listed: { version: string; stats: { records_shipped: number } }[] = [];
  await waitFor(
    async () => {
      listed = ((await (await adminFetch(`${node.url}/api/v1/agents`)).json()) as { agents: typeof listed }).agents;
      return listed.length === 1 && listed[0].stats.records_shipped === 2500;
    },
    5000,
    () => `the bundled agent's heartbeat: ${JSON.stringify(listed)} ${agent.err()}`,
  );
  assert.equal(listed[0].version, AGENT_VERSION);
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.err());
  assert.ok(statSync(join(here, 'registry', 'registry.ndjson')).size > 0);
});
