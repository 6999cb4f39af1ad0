import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Agent, startAgent } from './agent.ts';
import { loadAgentConfig } from './config.ts';
import { DEFAULT_REGISTRY, enroll } from './enroll.ts';
import { adminFetch, freePort, LineWriter, startNodeIn, tempDir, waitFor, waitForAll } from './testing.ts';

/** `strata agent enroll` against a real node: a token in, a config out that the agent runs with. */

const BIN = resolve(import.meta.dirname, '../../bin/strata.js');

/** `strata agent ARGS` as a process; asynchronous, since the node it talks to runs in this process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'agent', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((ok) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      ok({ status, stdout, stderr });
    }),
  );
}

async function issue(url: string, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const res = await adminFetch(`${url}/api/v1/agents/enrollment_tokens`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 201);
  return (await res.json()) as { id: string; token: string };
}

test('enroll through the CLI: the config is written 0600 with the node URL and registry filled in, and the agent ships with it', async (t) => {
  const dir = tempDir('enroll');
  const node = await startNodeIn(t, dir);
  const logs = join(dir.path, 'logs');
  const config = {
    inputs: [{ type: 'file', paths: [join(logs, '*.log')], scan_interval_ms: 100, poll_interval_ms: 25 }],
    output: { index: 'enrolled', batch: { max_wait_ms: 50 } },
    fields: { role: 'web' },
    heartbeat: { interval_ms: 100 },
  };
  const { token } = await issue(node.url, { name: 'web fleet', config, max_uses: 1 });
  const out = join(dir.path, 'strata-agent.yaml');
  const registry = join(dir.path, 'registry');
  // The token from the environment: it stays out of the process list.
  const ok = await cli(['enroll', '--url', `${node.url}/`, '--config-out', out, '--registry', registry], { STRATA_ENROLLMENT_TOKEN: token });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`enrolled with ${node.url}/: wrote ${out} \\(mode 0600\\)`));
  assert.match(ok.stdout, /next: node .* install --config /);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const text = readFileSync(out, 'utf8');
  assert.match(text, /^# Written by `strata agent enroll` from http:\/\/127\.0\.0\.1:\d+ at /);
  assert.match(text, /# Strata agent config from enrollment token "web fleet"/, 'the node\'s comment is kept');
  const yaml = parseYaml(text);
  assert.deepEqual(yaml.output.urls, [node.url]);
  assert.equal(yaml.registry, registry);
  assert.deepEqual(yaml.fields, { role: 'web' });
  // The node gave this host its own API key: it may ingest into the config's index, and do nothing else.
  const key = `ApiKey ${yaml.output.auth.api_key}`;
  const as = (path: string, body: string) => adminFetch(`${node.url}${path}`, { method: 'POST', headers: { authorization: key, 'content-type': 'application/json' }, body });
  assert.equal((await as('/api/v1/search', '{"index":"enrolled"}')).status, 403);
  assert.equal((await as('/api/v1/indices/other/ingest', '{"message":"x"}')).status, 403);
  const keys = ((await (await adminFetch(`${node.url}/api/v1/security/api_keys`)).json()) as { api_keys: { name: string; privileges: unknown }[] }).api_keys;
  assert.deepEqual(keys.map((k) => [k.name.startsWith('agent enrolled with token web fleet from '), k.privileges]), [[true, [{ indices: ['enrolled'], actions: ['ingest'] }]]]);

  // Used up: the same token again is refused, and nothing is written.
  const out3 = join(dir.path, 'third.yaml');
  const used = await cli(['enroll', '--url', node.url, '--token', token, '--config-out', out3]);
  assert.equal(used.status, 1);
  assert.match(used.stderr, /answered 401: the enrollment token was not accepted/);
  assert.equal(existsSync(out3), false);

  const w = new LineWriter('en', join(logs, 'app.log'));
  mkdirSync(logs);
  w.write(200);
  const agent: Agent = await startAgent(loadAgentConfig(out), () => {});
  t.after(() => agent.close());
  const found = await waitForAll(node.url, [w], 10_000, 'enrolled');
  assert.equal(found.duplicates, 0);
  await waitFor(async () => {
    const list = ((await (await adminFetch(`${node.url}/api/v1/agents`)).json()) as { agents: { id: string }[] }).agents;
    return list.length === 1 && list[0].id === agent.id;
  }, 5000, 'the enrolled agent in the agent list');
});

test('enroll in process: the default registry, a registry object kept but for its path, and the errors a person can act on', async (t) => {
  const dir = tempDir('enroll-unit');
  const node = await startNodeIn(t, dir);
  const base = { inputs: [{ type: 'file', paths: ['/var/log/app/*.log'] }], output: { index: 'app' } };

  const a = await issue(node.url, { name: 'a', config: base });
  const outA = join(dir.path, 'a.yaml');
  const { cfg } = await enroll({ url: node.url, token: a.token, configOut: outA });
  assert.equal(cfg.registry?.path, DEFAULT_REGISTRY);
  assert.deepEqual(cfg.output.urls, [node.url]);

  const b = await issue(node.url, { name: 'b', config: { ...base, registry: { path: '/srv/reg', write_interval_ms: 1000 }, output: { index: 'app', urls: ['http://logs.internal:9400'] } } });
  const outB = join(dir.path, 'b.yaml');
  writeFileSync(outB, 'old: content\n');
  const eb = await enroll({ url: node.url, token: b.token, configOut: outB, registry: join(dir.path, 'reg') });
  assert.deepEqual(eb.cfg.registry, { path: join(dir.path, 'reg'), write_interval_ms: 1000, forget_after: '7d' });
  // URLs the token names are kept: the node may know better how hosts reach it (a load balancer).
  assert.deepEqual(eb.cfg.output.urls, ['http://logs.internal:9400']);
  assert.equal(statSync(outB).mode & 0o777, 0o600, 'an existing file is replaced with mode 0600');

  const outC = join(dir.path, 'c.yaml');
  await assert.rejects(enroll({ url: 'logs.internal:9400', token: a.token, configOut: outC }), /--url must be an http:\/\/ or https:\/\/ URL|--url must be the node's URL/);
  const closed = await freePort();
  await assert.rejects(enroll({ url: `http://127.0.0.1:${closed}`, token: a.token, configOut: outC }), new RegExp(`cannot reach http://127\\.0\\.0\\.1:${closed}/api/v1/agents/enroll: ECONNREFUSED`));
  await assert.rejects(enroll({ url: node.url, token: 'nope', configOut: outC }), /answered 401: the enrollment token was not accepted/);
  assert.equal(existsSync(outC), false);
});
