/**
 * Starts what the browser tests drive: a real node process (its admin password set by STRATA_PASSWORD) and the
 * built dashboard in front of it; ingests the seeded corpus (and the Loghub samples, when the datasets are there)
 * through the node's HTTP API as the admin; adds the editor and viewer users; and signs the browser in as the
 * admin through the login page once, keeping the session cookie for the journeys.
 */
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { LOGHUB_SYSTEMS, resolveDatasetsDir, sampleFile } from '../lib/datasets.ts';
import { ensureDashboardBuilt, startDashboard } from '../node/dashboard.ts';
import { ADMIN, ADMIN_STORAGE_STATE, adminFetch, EDITOR, logIn, VIEWER } from './auth.ts';
import { LAUNCH_OPTIONS } from './browser.ts';
import { APP_INDEX, appRecords, xssRecords } from './data.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const STATE_FILE = join(ROOT, 'e2e', '.state.json');

async function waitFor(probe: () => Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ingest(node: string, index: string, records: unknown[]): Promise<void> {
  for (let i = 0; i < records.length; i += 5000) {
    const body = records.slice(i, i + 5000).map((r) => JSON.stringify(r)).join('\n');
    const res = await adminFetch(`${node}/api/v1/indices/${index}/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const json = (await res.json()) as { accepted?: number; rejected?: number };
    if (!res.ok || json.rejected !== 0) throw new Error(`e2e setup: ingest into ${index} answered ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  }
}

async function addUser(node: string, username: string, password: string, role: string): Promise<void> {
  const res = await adminFetch(`${node}/api/v1/security/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password, role }) });
  if (res.status !== 201) throw new Error(`e2e setup: creating user ${username} answered ${res.status} ${(await res.text()).slice(0, 300)}`);
}

/** Signs in through the login page once and keeps the cookie, as a person's browser would. */
async function saveAdminSession(dashboardUrl: string): Promise<void> {
  const browser = await chromium.launch(LAUNCH_OPTIONS);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, dashboardUrl, ADMIN);
    mkdirSync(dirname(ADMIN_STORAGE_STATE), { recursive: true });
    await context.storageState({ path: ADMIN_STORAGE_STATE });
  } finally {
    await browser.close();
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const log = (m: string) => process.stderr.write(`[e2e] ${m}\n`);
  await ensureDashboardBuilt(ROOT, log);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-e2e-'));
  const nodePort = await freePort();
  const node = spawn(process.execPath, [join(ROOT, 'bin/strata.js'), 'node', '--data-dir', dataDir, '--port', String(nodePort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, STRATA_PASSWORD: ADMIN.password },
  });
  let nodeErr = '';
  node.stderr.on('data', (b: Buffer) => (nodeErr = (nodeErr + b.toString()).slice(-4000)));
  const nodeUrl = `http://127.0.0.1:${nodePort}`;
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | null = null;
  const stop = async () => {
    await dashboard?.close();
    if (node.exitCode === null) {
      const exited = new Promise((r) => node.once('exit', r));
      node.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(STATE_FILE, { force: true });
    rmSync(dirname(ADMIN_STORAGE_STATE), { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${nodeUrl}/api/v1/health`).catch(() => null))?.ok === true, 30_000, () => `the node to start:\n${nodeErr}`);

    await addUser(nodeUrl, EDITOR.username, EDITOR.password, 'editor');
    await addUser(nodeUrl, VIEWER.username, VIEWER.password, 'viewer');
    const baseMs = Date.now();
    await ingest(nodeUrl, APP_INDEX, appRecords(baseMs));
    await ingest(nodeUrl, APP_INDEX, xssRecords(baseMs));
    const datasets = resolveDatasetsDir();
    const loghub = existsSync(join(datasets, 'loghub'));
    if (loghub) {
      for (const system of LOGHUB_SYSTEMS) {
        const lines = readFileSync(sampleFile(datasets, system), 'utf8').split('\n').filter((l) => l !== '');
        await ingest(nodeUrl, 'loghub', lines.map((message) => ({ message, system: system.toLowerCase() })));
      }
    }
    const dashPort = await freePort();
    dashboard = await startDashboard({ root: ROOT, nodeUrl, port: dashPort, host: '127.0.0.1', log });
    await saveAdminSession(dashboard.url);
    mkdirSync(join(ROOT, 'e2e', 'screenshots'), { recursive: true });
    writeFileSync(STATE_FILE, JSON.stringify({ nodeUrl, dashboardUrl: dashboard.url, baseMs, loghub: loghub ? datasets : null }));
    process.env.STRATA_E2E_BASE_URL = dashboard.url;
    log(`node ${nodeUrl}, dashboard ${dashboard.url}, corpus base time ${new Date(baseMs).toISOString()}${loghub ? ', Loghub samples ingested' : ', no datasets: Loghub journeys skip'}`);
  } catch (e) {
    // A setup that fails half-way must not leave a node and a dashboard running.
    await stop();
    throw e;
  }
  return stop;
}
