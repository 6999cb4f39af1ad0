import { adminFetch } from './auth.ts';
import { APP_INDEX } from './data.ts';
import { expect, shot, test } from './fixtures.ts';

async function post(nodeUrl: string, records: Record<string, unknown>[]): Promise<void> {
  const res = await adminFetch(`${nodeUrl}/api/v1/indices/${APP_INDEX}/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: records.map((r) => JSON.stringify(r)).join('\n') });
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

test('live tail keeps up with 5,000 lines/s: the buffer stays bounded and the page responsive', async ({ page, state }) => {
  test.setTimeout(90_000);
  await page.goto(`${state.dashboardUrl}/tail?index=${APP_INDEX}&q=${encodeURIComponent('flood')}`);
  await expect(page.getByTestId('tail-status')).toHaveText('Live');
  // 6 s at 5,000 lines/s, in batches of 500 every 100 ms, as a busy shipper fleet would send them.
  const started = Date.now();
  let sent = 0;
  const flood = (async () => {
    for (let tick = 0; tick < 60; tick++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ message: `flood line ${sent + i} from the load test`, level: 'info' }));
      sent += batch.length;
      await post(state.nodeUrl, batch);
      const wait = started + (tick + 1) * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  // While the stream runs, the page still answers a click at once.
  await page.waitForTimeout(2000);
  const clickedAt = Date.now();
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('tail-status')).toHaveText('Paused', { timeout: 2000 });
  const answeredMs = Date.now() - clickedAt;
  await page.getByRole('button', { name: 'Resume' }).click();
  await flood;
  // Every matching line reaches the page, or the node says it skipped it because the page fell behind: none is
  // lost without a word.
  const accounted = async () => {
    const el = page.getByTestId('tail-received');
    return Number(await el.getAttribute('data-received')) + Number(await el.getAttribute('data-node-skipped'));
  };
  await expect.poll(accounted, { timeout: 30_000 }).toBe(sent);
  const nodeSkipped = Number(await page.getByTestId('tail-received').getAttribute('data-node-skipped'));
  if (nodeSkipped === 0) await expect(page.getByTestId('tail-line').filter({ hasText: `flood line ${sent - 1} ` })).toBeVisible({ timeout: 10_000 });
  else await expect(page.getByText(/lines skipped to keep up/)).toBeVisible();
  // Scrolling up stops auto-scroll: new lines arrive below without moving the view.
  const lines = page.getByRole('log', { name: 'Live tail' });
  await lines.evaluate((el) => el.scrollTo(0, 0));
  await expect(page.getByRole('button', { name: 'Jump to latest' })).toBeVisible();
  await post(state.nodeUrl, [{ message: 'flood after scrolling up', level: 'info' }]);
  await page.waitForTimeout(500);
  expect(await lines.evaluate((el) => el.scrollTop)).toBe(0);
  await page.getByRole('button', { name: 'Jump to latest' }).click();
  await expect(page.getByTestId('tail-line').filter({ hasText: 'flood after scrolling up' })).toBeVisible();
  const inView = await page.locator('.tail .status').textContent();
  const n = Number(/([\d,]+) lines in view/.exec(inView ?? '')![1].replace(/,/g, ''));
  expect(n).toBeLessThanOrEqual(5000);
  expect(n).toBeGreaterThan(0);
  // Only the rows on screen are in the page.
  expect(await page.getByTestId('tail-line').count()).toBeLessThan(200);
  test.info().annotations.push({ type: 'measured', description: `${sent} lines in ${((Date.now() - started) / 1000).toFixed(1)} s; Pause answered in ${answeredMs} ms; the node skipped ${nodeSkipped}` });
  await shot(page, 'tail-flood');
});
