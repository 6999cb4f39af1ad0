import { APP_INDEX } from './data.ts';
import { expect, shot, test } from './fixtures.ts';

async function post(nodeUrl: string, records: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${nodeUrl}/api/v1/indices/${APP_INDEX}/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: records.map((r) => JSON.stringify(r)).join('\n') });
  expect(res.status).toBe(200);
}

test('live tail: a newly ingested matching line appears within 2 s, others do not; pause holds lines back', async ({ page, state }) => {
  await page.goto(`${state.dashboardUrl}/tail?index=${APP_INDEX}&q=${encodeURIComponent('level:error')}`);
  await expect(page.getByTestId('tail-status')).toHaveText('Live');
  const token = `tailprobe${Date.now()}`;
  await post(state.nodeUrl, [
    { message: `${token} ignored because info`, level: 'info' },
    { message: `${token} shown <img src=x onerror="window.__xss=1">`, level: 'error' },
  ]);
  const acked = Date.now();
  const line = page.getByTestId('tail-line').filter({ hasText: `${token} shown` });
  await expect(line).toBeVisible({ timeout: 2000 });
  const seenAfterMs = Date.now() - acked;
  expect(seenAfterMs).toBeLessThan(2000);
  await expect(page.getByTestId('tail-line').filter({ hasText: `${token} ignored` })).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('tail-status')).toHaveText('Paused');
  await post(state.nodeUrl, [{ message: `${token} while paused`, level: 'error' }]);
  await expect(page.getByText('1 new line waiting')).toBeVisible();
  await expect(page.getByTestId('tail-line').filter({ hasText: `${token} while paused` })).toHaveCount(0);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('tail-line').filter({ hasText: `${token} while paused` })).toBeVisible();
  await shot(page, 'tail-live');
});

test('live tail: the quick filter ranks buffered lines, typo-tolerant', async ({ page, state }) => {
  await page.goto(`${state.dashboardUrl}/tail?index=${APP_INDEX}`);
  await expect(page.getByTestId('tail-status')).toHaveText('Live');
  await post(state.nodeUrl, [
    { message: 'payment declined for order 77', level: 'warn' },
    { message: 'connection to db-1 failed: timeout after 3000ms', level: 'error' },
    { message: 'user-42 logged in', level: 'info' },
  ]);
  await expect(page.getByTestId('tail-line')).toHaveCount(3);
  await page.getByLabel('Filter lines').fill('timout');
  await expect(page.getByTestId('tail-line')).toHaveCount(1);
  await expect(page.getByTestId('tail-line')).toContainText('connection to db-1 failed');
  await shot(page, 'tail-quick-filter');
  await page.getByLabel('Filter lines').fill('');
  await expect(page.getByTestId('tail-line')).toHaveCount(3);
});

test('live tail: an invalid query is refused with its error, and no stream opens', async ({ page, state }) => {
  await page.goto(`${state.dashboardUrl}/tail?index=${APP_INDEX}&q=${encodeURIComponent('level:(error')}`);
  await expect(page.getByRole('alert').first()).toContainText("missing ')' for this '('");
  await expect(page.getByTestId('tail-status')).toHaveText('Stopped');
});
