import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basicAuth, SIGNED_OUT } from './auth.ts';
import { freePort } from './ports.ts';
import { expect, shot, test } from './fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/strata.js', import.meta.url));
const CREATED = /security: created the "admin" user with password (\S+)/g;

// A newcomer's browser: no session yet.
test.use({ storageState: SIGNED_OUT });

test('the quick start: `strata demo` runs a node, the dashboard, and an agent shipping a demo application\'s log', async ({ page }) => {
  test.setTimeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-demo-'));
  const [port, dashboardPort] = [await freePort(), await freePort()];
  // A first start as a newcomer runs it: no STRATA_PASSWORD, so the node makes the admin's password up.
  const env = { ...process.env };
  delete env.STRATA_PASSWORD;
  const demo = spawn(process.execPath, [BIN, 'demo', '--data-dir', dataDir, '--port', String(port), '--dashboard-port', String(dashboardPort)], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let out = '';
  demo.stderr.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await expect.poll(() => /dashboard ready: open (\S+)\/discover/.test(out), { timeout: 90_000, message: 'the demo to say its dashboard is ready' }).toBe(true);
    // The generated password is printed once, on one line: the only time it is ever shown.
    const created = [...out.matchAll(CREATED)];
    expect(created).toHaveLength(1);
    const password = created[0][1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const admin = basicAuth({ username: 'admin', password });
    // Records arrive through the agent (they carry the file they came from) and the pipeline (their JSON parsed).
    await expect
      .poll(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/search`, { method: 'POST', headers: { authorization: admin }, body: JSON.stringify({ index: 'demo', query: 'log.file.path:* level:*', size: 0 }) });
          return ((await res.json()) as { total?: number }).total ?? 0;
        },
        { timeout: 30_000, message: 'the agent to ship the demo log' },
      )
      .toBeGreaterThan(5000);
    // The link the newcomer opens leads to the login page first, and back to it after signing in.
    await page.goto(`http://127.0.0.1:${dashboardPort}/discover?index=demo&from=now-2h&to=now`);
    await expect(page).toHaveURL(/\/login\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/discover\?index=demo/);
    await expect(page.getByTestId('hit-count')).toHaveText(/^[\d,]+ hits$/);
    await expect(page.getByRole('button', { name: 'log.file.path', exact: true })).toBeVisible();
    await expect(page.getByTestId('current-user')).toContainText('admin');
    await shot(page, 'quick-start-discover');
  } finally {
    const exited = new Promise((ok) => demo.once('exit', ok));
    demo.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  // Stopping the demo stops everything it started.
  expect(out).toContain('shutting down');
});
