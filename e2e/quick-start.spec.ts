import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { expect, shot, test } from './fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/strata.js', import.meta.url));

test('the quick start: `strata demo` runs a node, the dashboard, and an agent shipping a demo application\'s log', async ({ page }) => {
  test.setTimeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-demo-'));
  const [port, dashboardPort] = [await freePort(), await freePort()];
  const demo = spawn(process.execPath, [BIN, 'demo', '--data-dir', dataDir, '--port', String(port), '--dashboard-port', String(dashboardPort)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  demo.stderr.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await expect.poll(() => /dashboard ready: open (\S+)\/discover/.test(out), { timeout: 90_000, message: 'the demo to say its dashboard is ready' }).toBe(true);
    // Records arrive through the agent (they carry the file they came from) and the pipeline (their JSON parsed).
    await expect
      .poll(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/search`, { method: 'POST', body: JSON.stringify({ index: 'demo', query: 'log.file.path:* level:*', size: 0 }) });
          return ((await res.json()) as { total?: number }).total ?? 0;
        },
        { timeout: 30_000, message: 'the agent to ship the demo log' },
      )
      .toBeGreaterThan(5000);
    await page.goto(`http://127.0.0.1:${dashboardPort}/discover?index=demo&from=now-2h&to=now`);
    await expect(page.getByTestId('hit-count')).toHaveText(/^[\d,]+ hits$/);
    await expect(page.getByRole('button', { name: 'log.file.path', exact: true })).toBeVisible();
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
