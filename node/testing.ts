import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { NodeConfigSchema, parseConfig, type NodeConfig } from '../lib/config.ts';
import type { Engine } from './engine.ts';
import type { Security } from './security/index.ts';
import { runNode } from './run.ts';

/** The admin password test nodes are created with (through STRATA_PASSWORD, as automation would). */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';
/** `Authorization` for the test nodes' admin user. */
export const ADMIN_AUTH = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`;

export interface TestNode {
  url: string;
  engine: Engine;
  security: Security;
  dataDir: string;
  syslogPort: number | null;
  syslogTlsPort: number | null;
  /** What the node logged. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * An in-process node on a free port, for API tests. Its data dir is a fresh one, removed on close; or
 * `overrides.dataDir`, which the caller owns (to restart a node on it) and which is left in place.
 */
export async function startTestNode(overrides: Partial<NodeConfig> = {}): Promise<TestNode> {
  const owned = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-node-test-'));
  const cfg = parseConfig(NodeConfigSchema, { dataDir, port: 0, ...overrides }, 'test node');
  const logs: string[] = [];
  const node = await runNode(cfg, (m) => logs.push(m), { ...process.env, STRATA_PASSWORD: TEST_ADMIN_PASSWORD });
  await warmCredentials(`${node.url}`);
  return {
    url: node.url,
    engine: node.engine,
    security: node.security,
    dataDir,
    syslogPort: node.syslog?.port ?? null,
    syslogTlsPort: node.syslog?.tlsPort ?? null,
    logs,
    async close() {
      await node.close();
      if (owned) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * fetch as the test node's admin: adds `Authorization` unless the caller set one (tests of authentication itself
 * pass their own, or `authorization: ''` for none).
 */
export function adminFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', ADMIN_AUTH);
  else if (headers.get('authorization') === '') headers.delete('authorization');
  return fetch(url, { ...init, headers });
}

export async function postJson(url: string, body: unknown, extra: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await adminFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

export async function ingest(url: string, index: string, body: string | Buffer, contentType = 'application/x-ndjson', extra: Record<string, string> = {}) {
  const res = await adminFetch(`${url}/api/v1/indices/${index}/ingest`, { method: 'POST', headers: { 'content-type': contentType, ...extra }, body });
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

/**
 * One request as the admin, so that the node has verified the test password before a test's own requests: the
 * first check runs scrypt (tens of ms, far more on a loaded machine), which tests of timing should not measure.
 */
export async function warmCredentials(url: string): Promise<void> {
  if (url.startsWith('https:')) return;
  const res = await fetch(`${url}/api/v1/security/me`, { headers: { authorization: ADMIN_AUTH } });
  await res.arrayBuffer();
}

/** A TCP port that was free a moment ago (for third-party programs that need a port number up front). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

/** Polls `probe` until it answers true or `ms` pass. */
export async function waitFor(probe: () => Promise<boolean>, ms: number, what: string | (() => string)): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
