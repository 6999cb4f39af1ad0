import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminFetch } from './auth.ts';
import { expect, shot, test } from './fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/strata.js', import.meta.url));

test('the agents view lists a running agent with what it read, and marks it stale once it stops', async ({ page, state }) => {
  test.setTimeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'strata-e2e-agent-'));
  const lines = Array.from({ length: 1234 }, (_, i) => `agent line ${i}`).join('\n') + '\n';
  writeFileSync(join(dir, 'app.log'), lines);
  // The agent's credential: an API key that may ingest into its index and nothing else, as an operator issues one.
  const key = await adminFetch(`${state.nodeUrl}/api/v1/security/api_keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e agent', privileges: [{ indices: ['e2e-agent'], actions: ['ingest'] }] }),
  });
  expect(key.status).toBe(201);
  const { encoded } = (await key.json()) as { encoded: string };
  writeFileSync(
    join(dir, 'agent.yaml'),
    [
      `registry: ${JSON.stringify(join(dir, 'registry'))}`,
      'name: e2e-agent-1',
      'heartbeat: { interval_ms: 500 }',
      'inputs:',
      '  - type: file',
      `    paths: [${JSON.stringify(join(dir, '*.log'))}]`,
      'output:',
      `  urls: [${JSON.stringify(state.nodeUrl)}]`,
      '  index: e2e-agent',
      `  auth: { api_key: ${JSON.stringify(encoded)} }`,
      '',
    ].join('\n'),
  );
  const agent = spawn(process.execPath, [BIN, 'agent', '--config', join(dir, 'agent.yaml')], { stdio: 'ignore' });
  try {
    await page.goto(`${state.dashboardUrl}/agents`);
    const row = page.getByTestId('agent-row').filter({ hasText: 'e2e-agent-1' });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await expect(row.locator('.health')).toHaveText('healthy');
    // Its counters reach the file's lines once it has shipped them (the view refreshes every 5 s).
    await expect(row.locator('td.num').nth(1)).toHaveText('1,234', { timeout: 20_000 });
    await expect(row).toContainText(join(dir, '*.log'));
    await shot(page, 'agents-healthy');
    agent.kill('SIGKILL');
    await expect(row.locator('.health')).toHaveText('stale', { timeout: 20_000 });
    await shot(page, 'agents-stale');
  } finally {
    if (agent.exitCode === null) agent.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
