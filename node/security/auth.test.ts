/**
 * Identities end to end on a real node: the first admin, sign-in sessions and their end, API keys and their
 * expiry, limits on guessing, `strata users` on a running node's data directory, and secrets kept out of logs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeConfigSchema, parseConfig } from '../../lib/config.ts';
import { runNode } from '../run.ts';
import { ADMIN_AUTH, adminFetch, postJson, startTestNode, TEST_ADMIN_PASSWORD } from '../testing.ts';
import { usersMain } from './users-cli.ts';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const me = (url: string, authorization: string) => adminFetch(`${url}/api/v1/security/me`, { headers: { authorization } });

describe('authentication', () => {
  test('first start without STRATA_PASSWORD: an admin with a generated password, logged once, stored only hashed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-first-'));
    const env = { ...process.env };
    delete env.STRATA_PASSWORD;
    const logs: string[] = [];
    try {
      let node = await runNode(parseConfig(NodeConfigSchema, { dataDir, port: 0 }, 't'), (m) => logs.push(m), env);
      const line = logs.find((l) => l.includes('created the "admin" user'));
      const password = /with password (\S+)/.exec(line ?? '')?.[1];
      assert.ok(password && password.length >= 20, logs.join('\n'));
      const url = `http://127.0.0.1:${node.port}`;
      assert.equal((await me(url, basic('admin', password))).status, 200);
      assert.equal((await me(url, basic('admin', 'not-it'))).status, 401);
      const file = join(dataDir, 'security', 'users.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes(password), 'the users file holds no password');
      assert.match(text, /"alg": "scrypt"/);
      await node.close();
      // A second start creates nobody and prints nothing.
      logs.length = 0;
      node = await runNode(parseConfig(NodeConfigSchema, { dataDir, port: 0 }, 't'), (m) => logs.push(m), env);
      assert.ok(!logs.some((l) => l.includes('created the "admin" user')), logs.join('\n'));
      assert.equal((await me(`http://127.0.0.1:${node.port}`, basic('admin', password))).status, 200);
      await node.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('sessions: sign in, use, sign out; they expire; a new password ends them', async () => {
    const node = await startTestNode({ sessionTtlMs: 1500 });
    try {
      const login = await postJson(`${node.url}/api/v1/security/sessions`, { username: 'admin', password: TEST_ADMIN_PASSWORD }, { authorization: '' });
      assert.equal(login.status, 201, JSON.stringify(login.json));
      assert.deepEqual(login.json.user, { username: 'admin', role: 'admin' });
      assert.equal(login.headers.get('cache-control'), 'no-store');
      const bearer = `Bearer ${login.json.token}`;
      const who = (await (await me(node.url, bearer)).json()) as any;
      assert.deepEqual([who.name, who.role, who.authenticated_via], ['admin', 'admin', 'session']);
      const out = await adminFetch(`${node.url}/api/v1/security/sessions/current`, { method: 'DELETE', headers: { authorization: bearer } });
      assert.equal(out.status, 200);
      assert.equal((await me(node.url, bearer)).status, 401);

      const brief = await postJson(`${node.url}/api/v1/security/sessions`, { username: 'admin', password: TEST_ADMIN_PASSWORD }, { authorization: '' });
      assert.equal((await me(node.url, `Bearer ${brief.json.token}`)).status, 200);
      await new Promise((r) => setTimeout(r, 1700));
      assert.equal((await me(node.url, `Bearer ${brief.json.token}`)).status, 401);

      assert.equal((await postJson(`${node.url}/api/v1/security/users`, { username: 'eve', password: 'eve-password', role: 'viewer' })).status, 201);
      const eve = await postJson(`${node.url}/api/v1/security/sessions`, { username: 'eve', password: 'eve-password' }, { authorization: '' });
      assert.equal((await me(node.url, `Bearer ${eve.json.token}`)).status, 200);
      const reset = await adminFetch(`${node.url}/api/v1/security/users/eve`, { method: 'PUT', body: JSON.stringify({ password: 'eve-new-password' }) });
      assert.equal(reset.status, 200);
      assert.equal((await me(node.url, `Bearer ${eve.json.token}`)).status, 401);
      assert.equal((await me(node.url, basic('eve', 'eve-password'))).status, 401);
      assert.equal((await me(node.url, basic('eve', 'eve-new-password'))).status, 200);
    } finally {
      await node.close();
    }
  });

  test('guessing is limited: past the limit a username at an address gets 429 with Retry-After, even with the right password; keys keep working', async () => {
    const node = await startTestNode({ loginFailureLimit: 3, loginFailureWindowMs: 2000 });
    try {
      const key = (await postJson(`${node.url}/api/v1/security/api_keys`, { name: 'k', privileges: [{ indices: ['*'], actions: ['read'] }] })).json.encoded;
      const tryLogin = (password: string) => postJson(`${node.url}/api/v1/security/sessions`, { username: 'admin', password }, { authorization: '' });
      for (let i = 0; i < 3; i++) assert.equal((await tryLogin('wrong')).status, 401);
      const limited = await tryLogin(TEST_ADMIN_PASSWORD);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal((await me(node.url, basic('admin', 'also-wrong'))).status, 429);
      assert.equal((await me(node.url, `ApiKey ${key}`)).status, 200);
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal((await tryLogin(TEST_ADMIN_PASSWORD)).status, 201);
    } finally {
      await node.close();
    }
  });

  test('API keys: shown once, stored hashed, revoked and expired keys stop working', async () => {
    const node = await startTestNode();
    try {
      const k = await postJson(`${node.url}/api/v1/security/api_keys`, { name: 'brief', privileges: [{ indices: ['*'], actions: ['read'] }], expires_in: '1s' });
      const forever = await postJson(`${node.url}/api/v1/security/api_keys`, { name: 'forever', privileges: [{ indices: ['*'], actions: ['read'] }] });
      const file = readFileSync(join(node.dataDir, 'security', 'api-keys.json'), 'utf8');
      const secret = Buffer.from(forever.json.encoded, 'base64').toString().split(':')[1];
      assert.ok(!file.includes(secret) && !file.includes(forever.json.encoded));
      const list = (await (await adminFetch(`${node.url}/api/v1/security/api_keys`)).json()) as any;
      assert.ok(!JSON.stringify(list).includes(secret));
      assert.equal((await me(node.url, `ApiKey ${k.json.encoded}`)).status, 200);
      // Bearer carries a key too (for clients that only speak Bearer, such as Loki's).
      assert.equal((await me(node.url, `Bearer ${forever.json.encoded}`)).status, 200);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await me(node.url, `ApiKey ${k.json.encoded}`)).status, 401);
      assert.equal((await adminFetch(`${node.url}/api/v1/security/api_keys/${forever.json.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await me(node.url, `ApiKey ${forever.json.encoded}`)).status, 401);
      // Secrets are in no log line or error message.
      const logs = node.logs.join('\n');
      for (const s of [TEST_ADMIN_PASSWORD, secret, k.json.encoded]) assert.ok(!logs.includes(s), 'a secret in the node log');
    } finally {
      await node.close();
    }
  });

  test('users and roles through the API: the last admin stays, unknown roles are refused, a custom role works', async () => {
    const node = await startTestNode();
    try {
      assert.equal((await postJson(`${node.url}/api/v1/security/users`, { username: 'x', password: 'short', role: 'viewer' })).status, 400);
      assert.equal((await postJson(`${node.url}/api/v1/security/users`, { username: 'x', password: 'long-enough', role: 'wizard' })).status, 400);
      assert.equal((await adminFetch(`${node.url}/api/v1/security/users/admin`, { method: 'DELETE' })).status, 409);
      assert.equal((await adminFetch(`${node.url}/api/v1/security/users/admin`, { method: 'PUT', body: '{"role":"viewer"}' })).status, 409);
      assert.equal((await adminFetch(`${node.url}/api/v1/security/roles/admin`, { method: 'PUT', body: '{"indices":[]}' })).status, 409);
      const role = await adminFetch(`${node.url}/api/v1/security/roles/ops`, { method: 'PUT', body: JSON.stringify({ cluster: ['view', 'monitor'], indices: [{ indices: ['ops-*'], actions: ['read', 'ingest'] }] }) });
      assert.equal(role.status, 200);
      assert.equal((await postJson(`${node.url}/api/v1/security/users`, { username: 'olga', password: 'olga-password', role: 'ops' })).status, 201);
      const olga = basic('olga', 'olga-password');
      assert.equal((await adminFetch(`${node.url}/metrics`, { headers: { authorization: olga } })).status, 200);
      assert.equal((await adminFetch(`${node.url}/api/v1/indices/ops-1/ingest`, { method: 'POST', headers: { authorization: olga }, body: '{"message":"m"}' })).status, 200);
      assert.equal((await adminFetch(`${node.url}/api/v1/indices/web-1/ingest`, { method: 'POST', headers: { authorization: olga }, body: '{"message":"m"}' })).status, 403);
      assert.equal((await adminFetch(`${node.url}/api/v1/security/roles/ops`, { method: 'DELETE' })).status, 409);
    } finally {
      await node.close();
    }
  });

  test('strata users edits a running node\'s users: add with a password from stdin, reset with a generated one', async () => {
    const node = await startTestNode();
    try {
      const out: string[] = [];
      const run = (args: string[], stdin = '') => usersMain([...args, '--data-dir', node.dataDir], (s) => out.push(s), async () => stdin);
      assert.equal(await run(['add', 'carol', '--role', 'editor', '--password-stdin'], 'carol-password\n'), 0);
      assert.equal((await me(node.url, basic('carol', 'carol-password'))).status, 200);
      const session = await postJson(`${node.url}/api/v1/security/sessions`, { username: 'carol', password: 'carol-password' }, { authorization: '' });
      assert.equal(await run(['passwd', 'carol']), 0);
      const fresh = /new password for "carol": (\S+)/.exec(out.join(''))?.[1];
      assert.ok(fresh, out.join(''));
      assert.equal((await me(node.url, basic('carol', 'carol-password'))).status, 401);
      assert.equal((await me(node.url, basic('carol', fresh))).status, 200);
      assert.equal((await me(node.url, `Bearer ${session.json.token}`)).status, 401, 'the reset ended the session the node held');
      assert.equal(await run(['list']), 0);
      assert.match(out.join(''), /^carol\teditor\t/m);
      await assert.rejects(run(['add', 'dan', '--role', 'nope', '--password-stdin'], 'dan-password'), /no role named "nope"/);
      assert.equal(await run(['delete', 'carol']), 0);
      assert.equal((await me(node.url, basic('carol', fresh))).status, 401);
      assert.equal((await me(node.url, ADMIN_AUTH)).status, 200);
    } finally {
      await node.close();
    }
  });
});
