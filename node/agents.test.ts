import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { mulberry32 } from '../lib/prng.ts';
import { AGENTS_WRITE_INTERVAL_MS, MAX_AGENTS } from './agents.ts';
import { adminFetch, startTestNode, type TestNode, waitFor } from './testing.ts';

/** The agent fleet API: heartbeats and the agent list, and enrollment tokens. Real nodes, over HTTP. */

async function call(node: TestNode, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const res = await adminFetch(`${node.url}/api/v1/agents${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // YAML or empty: the caller reads `text`.
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A heartbeat as an agent sends it; ids drawn from a seeded generator. */
function beat(seed: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const rnd = mulberry32(seed);
  const id = Array.from({ length: 4 }, () => (rnd() >>> 0).toString(16).padStart(8, '0')).join('');
  return {
    id,
    name: `agent-${seed}`,
    version: '0.1.0',
    host: `host-${seed}`,
    started_at: '2026-12-01T10:00:00.000Z',
    interval_ms: 10_000,
    inputs: [{ type: 'file', paths: ['/var/log/app/*.log'] }, { type: 'syslog', listen: '127.0.0.1:5140', protocol: 'udp' }],
    status: 'ok',
    stats: { lines_read: 10, records_shipped: 9, records_dropped: 1, batches_retried: 0, pending_bytes: 0, lag_bytes: 0 },
    last_error: null,
    ...over,
  };
}

describe('agents: heartbeats and the list', () => {
  test('heartbeats are listed by name with last_seen and health; a new heartbeat replaces the last; DELETE forgets', async () => {
    const node = await startTestNode();
    try {
      const before = Date.now();
      assert.deepEqual((await call(node, 'POST', '/heartbeat', beat(2))).json, { acknowledged: true });
      assert.equal((await call(node, 'POST', '/heartbeat', beat(1, { status: 'degraded', last_error: 'output: connection refused' }))).status, 200);
      assert.equal((await call(node, 'POST', '/heartbeat', beat(3, { name: 'agent-0', interval_ms: 100 }))).status, 200);
      const list = await call(node, 'GET', '');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json.agents.map((a: any) => [a.name, a.health]),
        [['agent-0', 'healthy'], ['agent-1', 'degraded'], ['agent-2', 'healthy']],
      );
      const a2 = list.json.agents[2];
      assert.deepEqual({ ...a2, last_seen: 0, health: 0 }, { ...beat(2), last_seen: 0, health: 0 });
      assert.ok(Date.parse(a2.last_seen) >= before - 1 && Date.parse(a2.last_seen) <= Date.now());
      assert.equal(list.json.agents[1].last_error, 'output: connection refused');

      // Three of its intervals (100 ms) without a heartbeat: stale; the others (10 s) are not.
      await new Promise((r) => setTimeout(r, 350));
      assert.deepEqual(
        (await call(node, 'GET', '')).json.agents.map((a: any) => a.health),
        ['stale', 'degraded', 'healthy'],
      );
      // The next heartbeat of an agent replaces its entry.
      await call(node, 'POST', '/heartbeat', beat(1, { stats: { ...(beat(1).stats as object), lines_read: 99 } }));
      const again = (await call(node, 'GET', '')).json.agents;
      assert.equal(again.length, 3);
      assert.deepEqual([again[1].health, again[1].stats.lines_read, again[1].last_error], ['healthy', 99, null]);

      const id = beat(1).id as string;
      assert.deepEqual((await call(node, 'DELETE', `/${id}`)).json, { deleted: true });
      assert.deepEqual(
        (await call(node, 'GET', '')).json.agents.map((a: any) => a.name),
        ['agent-0', 'agent-2'],
      );
      const gone = await call(node, 'DELETE', `/${id}`);
      assert.equal(gone.status, 404);
      assert.match(gone.json.error.message, /no agent with id/);
    } finally {
      await node.close();
    }
  });

  test('bodies are validated strictly: unknown keys, wrong types, overlong strings and bad JSON are 400s naming the problem', async () => {
    const node = await startTestNode();
    try {
      const cases: [unknown, RegExp][] = [
        [beat(1, { colour: 'red' }), /colour/],
        [{ ...beat(1), stats: { ...(beat(1).stats as object), cpu: 3 } }, /stats.*cpu|cpu/],
        [beat(1, { inputs: [{ type: 'file', paths: ['/x'], glob: true }] }), /glob/],
        [beat(1, { id: 'a/b' }), /id/],
        [beat(1, { id: 'short' }), /id/],
        [beat(1, { name: 'n'.repeat(201) }), /name/],
        [beat(1, { last_error: 'e'.repeat(2001) }), /last_error/],
        [beat(1, { status: 'fine' }), /status/],
        [beat(1, { started_at: 'yesterday' }), /started_at/],
        [beat(1, { interval_ms: 5 }), /interval_ms/],
        [beat(1, { stats: { ...(beat(1).stats as object), lines_read: -1 } }), /lines_read/],
        [(({ version: _v, ...rest }) => rest)(beat(1)), /version/],
        ['{"id": ', /not valid JSON/],
        [[1, 2], /expected object/i],
      ];
      for (const [body, want] of cases) {
        const r = await call(node, 'POST', '/heartbeat', body);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 100));
        assert.match(r.json.error.message, want);
      }
      assert.deepEqual((await call(node, 'GET', '')).json, { agents: [] });
    } finally {
      await node.close();
    }
  });

  test(`at most ${MAX_AGENTS} agents: one more is a 409, while known agents keep beating`, async () => {
    const node = await startTestNode();
    try {
      // Filled through the node's own store (HTTP for 10,000 bodies would only make the test slow).
      for (let i = 0; i < MAX_AGENTS; i++) node.engine.agents.heartbeat(beat(1000 + i));
      const more = await call(node, 'POST', '/heartbeat', beat(5));
      assert.equal(more.status, 409);
      assert.match(more.json.error.message, /10000 agents/);
      assert.equal((await call(node, 'POST', '/heartbeat', beat(1000))).status, 200);
      assert.equal((await call(node, 'GET', '')).json.agents.length, MAX_AGENTS);
    } finally {
      await node.close();
    }
  });

  test('agents.json: written within the write interval, kept over a restart (agents away show as stale), a damaged one replaced', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-agents-'));
    try {
      let node = await startTestNode({ dataDir });
      const file = join(dataDir, 'agents.json');
      await call(node, 'POST', '/heartbeat', beat(7, { interval_ms: 100 }));
      // Not per heartbeat: at most every AGENTS_WRITE_INTERVAL_MS.
      assert.equal(existsSync(file), false);
      await waitFor(async () => existsSync(file), AGENTS_WRITE_INTERVAL_MS + 2000, 'agents.json');
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).agents[0].id, beat(7).id);
      await call(node, 'POST', '/heartbeat', beat(8));
      await node.close();
      // The last heartbeats were written on close.
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).agents.length, 2);

      await new Promise((r) => setTimeout(r, 350));
      node = await startTestNode({ dataDir });
      const list = (await call(node, 'GET', '')).json.agents;
      assert.deepEqual(
        list.map((a: any) => [a.name, a.health]),
        [['agent-7', 'stale'], ['agent-8', 'healthy']],
      );
      await node.close();

      writeFileSync(file, '{"version": 1, "agents": [{"id": 3}]}');
      node = await startTestNode({ dataDir });
      assert.deepEqual((await call(node, 'GET', '')).json, { agents: [] });
      assert.ok(node.logs.some((l) => l.includes('agents.json does not hold an agent list')), node.logs.join('\n'));
      await node.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const CONFIG = {
  inputs: [{ type: 'file', paths: ['/var/log/app/*.log'] }],
  output: { index: 'app', auth: { api_key: 'k-123' } },
  fields: { team: 'payments' },
};

describe('agents: enrollment tokens', () => {
  test('a token is answered once; only its hash is stored; it enrolls with the config as YAML; revoked, it does not', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-enroll-'));
    try {
      const node = await startTestNode({ dataDir });
      const made = await call(node, 'POST', '/enrollment_tokens', { name: 'web servers', config: CONFIG });
      assert.equal(made.status, 201);
      assert.deepEqual(Object.keys(made.json).sort(), ['expires_at', 'id', 'max_uses', 'name', 'token']);
      assert.match(made.json.token, /^set_[A-Za-z0-9_-]{43}$/, 'set_ and 32 random bytes: never a leading - that a command line would take for an option');
      // 24 hours by default.
      assert.ok(Math.abs(Date.parse(made.json.expires_at) - Date.now() - 24 * 3600_000) < 60_000);

      const onDisk = readFileSync(join(dataDir, 'enrollment-tokens.json'), 'utf8');
      assert.ok(!onDisk.includes(made.json.token), 'the token itself is not stored');
      assert.ok(onDisk.includes(createHash('sha256').update(made.json.token).digest('hex')));

      const list = await call(node, 'GET', '/enrollment_tokens');
      assert.equal(list.status, 200);
      assert.deepEqual(Object.keys(list.json.enrollment_tokens[0]).sort(), ['created_at', 'expires_at', 'id', 'last_used_at', 'max_uses', 'name', 'state', 'uses']);
      assert.ok(!list.text.includes(made.json.token) && !list.text.includes('k-123'), 'neither the token nor the config is listed');

      const got = await call(node, 'GET', '/enroll', undefined, { authorization: `Bearer ${made.json.token}` });
      assert.equal(got.status, 200);
      assert.match(got.headers.get('content-type')!, /^application\/yaml/);
      assert.equal(got.headers.get('cache-control'), 'no-store');
      assert.match(got.text, /^# Strata agent config from enrollment token "web servers"/);
      assert.deepEqual(parseYaml(got.text), CONFIG);
      const used = (await call(node, 'GET', '/enrollment_tokens')).json.enrollment_tokens[0];
      assert.deepEqual([used.uses, used.state], [1, 'active']);
      assert.ok(used.last_used_at !== null);

      assert.deepEqual((await call(node, 'DELETE', `/enrollment_tokens/${made.json.id}`)).json, { deleted: true });
      const revoked = await call(node, 'GET', '/enroll', undefined, { authorization: `Bearer ${made.json.token}` });
      assert.equal(revoked.status, 401);
      assert.equal((await call(node, 'DELETE', `/enrollment_tokens/${made.json.id}`)).status, 404);
      await node.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('unknown, malformed, missing, expired, revoked and used-up tokens are one 401 with one message; uses survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-enroll-'));
    try {
      let node = await startTestNode({ dataDir });
      const twice = (await call(node, 'POST', '/enrollment_tokens', { name: 'twice', config: CONFIG, max_uses: 2 })).json;
      const brief = (await call(node, 'POST', '/enrollment_tokens', { name: 'brief', config: CONFIG, expires_in: '1s' })).json;
      const forever = (await call(node, 'POST', '/enrollment_tokens', { name: 'forever', config: CONFIG, expires_in: null })).json;
      assert.equal(forever.expires_at, null);
      const enroll = (token: string | null) => call(node, 'GET', '/enroll', undefined, token === null ? {} : { authorization: token });

      // A HEAD spends nothing.
      assert.equal((await adminFetch(`${node.url}/api/v1/agents/enroll`, { method: 'HEAD', headers: { authorization: `Bearer ${twice.token}` } })).status, 405);
      assert.equal((await enroll(`Bearer ${twice.token}`)).status, 200);
      await node.close();
      node = await startTestNode({ dataDir });
      assert.equal((await enroll(`bearer ${twice.token}`)).status, 200);
      await new Promise((r) => setTimeout(r, 1100));

      const refusals = [
        await enroll(`Bearer ${twice.token}`), // used up (its second use was before the restart)
        await enroll(`Bearer ${brief.token}`), // expired
        await enroll(`Bearer ${'A'.repeat(43)}`), // unknown
        await enroll(`Bearer ${twice.token.slice(0, -1)}`), // mistyped
        await enroll('Basic dXNlcjpwYXNz'), // not a bearer token
        await enroll(null), // none
        await enroll(`Bearer ${'x'.repeat(600)}`), // too long to be one
      ];
      for (const r of refusals) {
        assert.equal(r.status, 401);
        assert.equal(r.json.error.code, 'unauthorized');
        assert.equal(r.json.error.message, refusals[0].json.error.message);
        assert.match(r.headers.get('www-authenticate')!, /^Bearer/);
      }
      assert.match(refusals[0].json.error.message, /expired, revoked or used up/);
      assert.equal((await enroll(`Bearer ${forever.token}`)).status, 200);

      const states = Object.fromEntries((await call(node, 'GET', '/enrollment_tokens')).json.enrollment_tokens.map((t: any) => [t.name, [t.state, t.uses]]));
      assert.deepEqual(states, { brief: ['expired', 0], forever: ['active', 1], twice: ['used_up', 2] });
      await node.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('token bodies and their configs are validated: the agent schema, with output.urls and registry optional', async () => {
    const node = await startTestNode();
    try {
      const cases: [unknown, RegExp][] = [
        [{ name: 'x', config: CONFIG, colour: 'red' }, /colour/],
        [{ name: '', config: CONFIG }, /name/],
        [{ name: 'x' }, /config/],
        [{ name: 'x', config: CONFIG, expires_in: 'tomorrow' }, /expires_in.*duration/],
        [{ name: 'x', config: CONFIG, expires_in: '400d' }, /366 days/],
        [{ name: 'x', config: CONFIG, max_uses: 0 }, /max_uses/],
        [{ name: 'x', config: { ...CONFIG, output: { index: 'UPPER' } } }, /output\.index/],
        [{ name: 'x', config: { ...CONFIG, outputs: {} } }, /outputs/],
        [{ name: 'x', config: { ...CONFIG, inputs: [{ type: 'file', path: '/x' }] } }, /inputs\.0\.path/],
        [{ name: 'x', config: { ...CONFIG, fields: { big: 'v'.repeat(70_000) } } }, /at most 65536/],
      ];
      for (const [body, want] of cases) {
        const r = await call(node, 'POST', '/enrollment_tokens', body);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 120));
        assert.match(r.json.error.message, want);
      }
      // A config may name its URLs and registry too, and may be stdin- or syslog-only (no registry needed).
      const full = { ...CONFIG, registry: '/srv/reg', output: { ...CONFIG.output, urls: ['https://logs.example:9400'] } };
      assert.equal((await call(node, 'POST', '/enrollment_tokens', { name: 'full', config: full })).status, 201);
      assert.equal((await call(node, 'POST', '/enrollment_tokens', { name: 'syslog', config: { inputs: [{ type: 'syslog', listen: '0.0.0.0:514' }], output: { index: 'syslog' } } })).status, 201);
      assert.equal((await call(node, 'GET', '/enrollment_tokens')).json.enrollment_tokens.length, 2);
    } finally {
      await node.close();
    }
  });
});
