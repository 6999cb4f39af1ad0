import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { NodeConfigSchema, parseConfig, type NodeConfig } from '../lib/config.ts';
import { Engine } from './engine.ts';
import { createNodeServer } from './server.ts';

export interface TestNode {
  url: string;
  engine: Engine;
  dataDir: string;
  close(): Promise<void>;
}

/** An in-process node on a free port and a fresh data dir, for API tests. */
export async function startTestNode(overrides: Partial<NodeConfig> = {}): Promise<TestNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-node-test-'));
  const cfg = parseConfig(NodeConfigSchema, { dataDir, port: 0, ...overrides }, 'test node');
  const logs: string[] = [];
  const engine = await Engine.open(cfg, (m) => logs.push(m));
  const server = createNodeServer(engine, (m) => logs.push(m));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    engine,
    dataDir,
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

export async function ingest(url: string, index: string, body: string | Buffer, contentType = 'application/x-ndjson', extra: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/v1/indices/${index}/ingest`, { method: 'POST', headers: { 'content-type': contentType, ...extra }, body });
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}
