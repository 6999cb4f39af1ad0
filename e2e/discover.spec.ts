import { readFileSync } from 'node:fs';
import { tokenize } from '../indexer/text/tokenize.ts';
import { sampleFile } from '../lib/datasets.ts';
import { XSS_MESSAGES } from './data.ts';
import { discoverUrl, expect, hitsText, openDiscover, shot, test } from './fixtures.ts';

test('search with a field filter shows the right count, and the + button of a top value narrows it', async ({ page, state, corpus }) => {
  await page.goto(discoverUrl(state));
  // All records of the corpus plus the two hostile ones.
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(corpus.length + 2));
  const q = page.getByRole('combobox', { name: 'Query' });
  await page.keyboard.press('/');
  await expect(q).toBeFocused();
  await q.fill('level:error');
  await q.press('Enter');
  const errors = corpus.filter((r) => r.level === 'error');
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(errors.length + 2));
  await expect(page).toHaveURL(/q=level%3Aerror/);

  // The sidebar's top values of `service` over the matching records, with percentages; + adds the filter.
  await page.getByRole('button', { name: 'service', exact: true }).click();
  const top = page.getByRole('group', { name: 'Top values of service' });
  await expect(top.getByTestId('top-value')).toHaveCount(5);
  const checkout = errors.filter((r) => r.service === 'checkout').length;
  await expect(top.getByTestId('top-value').filter({ hasText: 'checkout' })).toContainText(`${((100 * checkout) / (errors.length + 2)).toFixed(1)}%`);
  await top.getByRole('button', { name: 'Filter for service: checkout' }).click();
  await expect(q).toHaveValue('level:error service:checkout');
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(checkout));
  // Matched terms are highlighted in the rows.
  await expect(page.getByTestId('result-row').first()).toBeVisible();
  await shot(page, 'discover-field-filter');

  // The field list filters as you type, typo-tolerant.
  await page.getByLabel('Filter fields').fill('srvice');
  await expect(page.locator('.fieldlist .fname')).toHaveText(['service']);
  await page.getByLabel('Filter fields').fill('');
  // − excludes instead (the field's top values stay open, now over the narrowed search).
  await page.getByRole('group', { name: 'Top values of service' }).getByRole('button', { name: 'Filter out service: checkout' }).click();
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(0));
  await expect(page.getByTestId('no-results')).toBeVisible();
});

test('a Loghub sample searched with a field filter shows the count a scan of the file gives', async ({ page, state }) => {
  test.skip(state.loghub === null, 'the datasets folder is absent (set STRATA_DATASETS)');
  const lines = readFileSync(sampleFile(state.loghub!, 'OpenSSH'), 'utf8').split('\n').filter((l) => l !== '');
  const want = ['failed', 'password'];
  const expected = lines.filter((l) => {
    const t = tokenize(l);
    return t.some((_, i) => t[i] === want[0] && t[i + 1] === want[1]);
  }).length;
  expect(expected).toBeGreaterThan(0);
  await openDiscover(page, `${state.dashboardUrl}/discover?index=loghub&from=now-1d&to=now%2B1h`);
  const q = page.getByRole('combobox', { name: 'Query' });
  await q.fill('system:openssh "Failed password"');
  await q.press('Enter');
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(expected));
  await expect(page.getByTestId('result-row').first().locator('mark').first()).toHaveText(/failed password/i);
  await shot(page, 'discover-loghub');
});

test('an invalid query shows its error at the failing position', async ({ page, state }) => {
  await openDiscover(page, discoverUrl(state));
  const q = page.getByRole('combobox', { name: 'Query' });
  await q.fill('level:error AND (service:auth OR');
  await expect(q).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#query-error')).toHaveText("expected a clause after 'OR' (at position 32)");
  await q.fill('level:(error');
  await expect(page.locator('#query-error')).toContainText("missing ')' for this '('");
  // The underline sits on the '(' that was never closed.
  await expect(page.locator('.q-error')).toHaveText('(');
  await shot(page, 'discover-invalid-query');
  // Fixing it clears the error, and Enter searches.
  await q.fill('level:error');
  await expect(page.locator('#query-error')).toHaveCount(0);
});

test('dragging across the histogram zooms the time range to the selected buckets', async ({ page, state, corpus }) => {
  await page.goto(discoverUrl(state));
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(corpus.length + 2));
  const chart = page.getByTestId('histogram');
  const box = (await chart.boundingBox())!;
  const y = box.y + box.height * 0.6;
  await page.mouse.move(box.x + box.width * 0.35, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 8 });
  await page.mouse.up();
  await expect(page).not.toHaveURL(new RegExp(encodeURIComponent(new Date(state.baseMs - 3 * 3600_000).toISOString())));
  const url = new URL(page.url());
  const from = Date.parse(url.searchParams.get('from')!);
  const to = Date.parse(url.searchParams.get('to')!);
  expect(to).toBeGreaterThan(from);
  const inRange = corpus.filter((r) => {
    const t = Date.parse(r['@timestamp']);
    return t >= from && t <= to;
  }).length;
  expect(inRange).toBeGreaterThan(0);
  expect(inRange).toBeLessThan(corpus.length);
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(inRange));
  await shot(page, 'discover-histogram-zoom');
});

test('a row expands to its fields as a table and as JSON', async ({ page, state, corpus }) => {
  await page.goto(discoverUrl(state, { q: 'service:payments level:warn' }));
  const newest = corpus.filter((r) => r.service === 'payments' && r.level === 'warn').at(-1)!;
  const row = page.getByTestId('result-row').first();
  await expect(row).toContainText(newest.message);
  await row.getByRole('button', { name: 'Expand record' }).click();
  const table = row.getByRole('table', { name: 'Record fields' });
  await expect(table.locator('tr', { hasText: 'duration_ms' })).toContainText(String(newest.duration_ms));
  await expect(table.locator('tr', { hasText: 'host.name' })).toContainText(newest.host.name);
  await shot(page, 'discover-expanded-table');
  await row.getByRole('tab', { name: 'JSON' }).click();
  const json = JSON.parse((await row.getByLabel('Record as JSON').textContent())!) as Record<string, unknown>;
  expect(json.message).toBe(newest.message);
  expect(json['host.name']).toBe(newest.host.name);
  expect(json._index).toBe('e2e-app');
  await shot(page, 'discover-expanded-json');
});

test('surrounding lines are the records just before and after from the same host and service', async ({ page, state, corpus }) => {
  await page.goto(discoverUrl(state, { q: 'level:error service:search' }));
  const row = page.getByTestId('result-row').nth(3);
  await row.getByRole('button', { name: 'Expand record' }).click();
  const message = (await row.locator('.cell.msg').first().textContent())!;
  const anchorAt = corpus.findIndex((r) => r.message === message);
  expect(anchorAt).toBeGreaterThanOrEqual(0);
  const anchor = corpus[anchorAt];
  const same = corpus.filter((r) => r.host.name === anchor.host.name && r.service === anchor.service);
  const k = same.indexOf(anchor);
  await row.getByRole('button', { name: 'View surrounding lines' }).click();
  const dialog = page.getByRole('dialog', { name: 'Surrounding lines' });
  await expect(dialog.getByTestId('context-anchor')).toContainText(message);
  const want = [...same.slice(Math.max(0, k - 10), k), anchor, ...same.slice(k + 1, k + 11)].map((r) => r.message);
  await expect(dialog.locator('.ctxline .cell.msg')).toHaveText(want);
  await shot(page, 'discover-surrounding-lines');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});

test('10,000+ hits scroll through a virtualised list with cursor paging, down to the oldest record', async ({ page, state, corpus }) => {
  await page.goto(discoverUrl(state, { q: '-service:"<b"' }));
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(corpus.length));
  const results = page.getByRole('region', { name: 'Results' });
  let last = '';
  for (let i = 0; i < 200 && !last.includes(corpus[0].message); i++) {
    await results.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(60);
    last = (await page.getByTestId('result-row').last().textContent()) ?? '';
  }
  expect(last).toContain(corpus[0].message);
  // Only the rows in view are in the page, whatever was loaded.
  expect(await page.getByTestId('result-row').count()).toBeLessThan(120);
  await shot(page, 'discover-scrolled-to-oldest');
});

test('log content is text: markup in messages and fields never runs', async ({ page, state }) => {
  await page.goto(discoverUrl(state, { q: 'payload' }));
  await expect(page.getByTestId('hit-count')).toHaveText(hitsText(2));
  for (const m of XSS_MESSAGES) await expect(page.getByText(m, { exact: true })).toBeVisible();
  await page.getByTestId('result-row').first().getByRole('button', { name: 'Expand record' }).click();
  await page.getByRole('button', { name: 'service', exact: true }).click();
  await expect(page.getByRole('group', { name: 'Top values of service' })).toContainText('<b onmouseover');
  await page.getByText('<b onmouseover="window.__xss=1">svc</b>').first().hover();
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(await page.locator('.results img, .results script, .results b').count()).toBe(0);
  await shot(page, 'discover-xss-as-text');
});

test('saved searches: save, list, open, delete', async ({ page, state }) => {
  await openDiscover(page, discoverUrl(state, { q: 'level:warn service:auth', cols: 'host.name' }));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('auth warnings');
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved “auth warnings”');
  await openDiscover(page, discoverUrl(state));
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Saved searches' })).toContainText('auth warnings');
  await shot(page, 'discover-saved-searches');
  await page.getByRole('button', { name: 'Open auth warnings' }).click();
  await expect(page.getByRole('combobox', { name: 'Query' })).toHaveValue('level:warn service:auth');
  await expect(page).toHaveURL(/cols=host.name/);
  // The saved column shows: a header and each row's host.
  await expect(page.locator('.colhead')).toContainText('host.name');
  await expect(page.getByTestId('result-row').first().locator('.cell.col')).toHaveText(/^web-\d$/);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByRole('button', { name: 'Delete auth warnings' }).click();
  await expect(page.getByRole('list', { name: 'Saved searches' })).not.toContainText('auth warnings');
});

test('the query bar completes field names, a field\'s frequent values, and recent queries', async ({ page, state }) => {
  await openDiscover(page, discoverUrl(state));
  const q = page.getByRole('combobox', { name: 'Query' });
  await q.click();
  await q.pressSequentially('serv');
  const list = page.getByRole('listbox', { name: 'Suggestions' });
  await expect(list.getByRole('option').first()).toContainText('service');
  await q.press('Tab');
  await expect(q).toHaveValue('service:');
  // The field's values, from the node's terms over the time range.
  // The five services and the hostile value of the markup test.
  await expect(list.getByRole('option')).toHaveCount(5 + 1);
  await expect(list.getByRole('option', { name: /^payments/ })).toBeVisible();
  await q.pressSequentially('pay');
  await expect(list.getByRole('option')).toHaveCount(1);
  await q.press('Tab');
  await expect(q).toHaveValue('service:payments');
  await shot(page, 'discover-completion');
  await q.press('Enter');
  await expect(page).toHaveURL(/q=service%3Apayments/);
  // Now a recent query: typing its start offers it whole.
  await q.fill('');
  await q.pressSequentially('service:p');
  await expect(list.getByRole('option', { name: /service:payments\s*recent/ })).toBeVisible();
});

test('light and dark themes: the menu switches, the choice is kept, the page stays readable at laptop size', async ({ page, state }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openDiscover(page, discoverUrl(state, { q: 'failed' }));
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
  await expect.poll(bg).toBe('rgb(20, 23, 28)');
  await page.reload();
  await expect.poll(bg).toBe('rgb(20, 23, 28)');
  await expect(page.getByTestId('result-row').first().locator('mark').first()).toHaveText(/failed/i);
  // Nothing spills sideways at 1280 px: the toolbar and results fit the window.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  await shot(page, 'discover-dark');
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('light');
  await expect.poll(bg).toBe('rgb(255, 255, 255)');
});

test('the dashboard forwards only the node\'s /api/v1: dot segments and encoded slashes do not escape it', async ({ request, state }) => {
  const ok = await request.get(`${state.dashboardUrl}/api/v1/health`);
  expect(ok.status()).toBe(200);
  expect(((await ok.json()) as { status: string }).status).toBe('ok');
  // Neither dot segments (encoded or not) nor an encoded slash reach the node's /metrics through the dashboard.
  for (const p of ['/api/v1/%2E%2E/%2E%2E/metrics', '/api/v1/..%2F..%2Fmetrics', '/api/v1/%2e%2e%2f%2e%2e%2fmetrics']) {
    const res = await request.get(`${state.dashboardUrl}${p}`);
    expect([400, 404], p).toContain(res.status());
    expect(await res.text(), p).not.toContain('strata_');
  }
});
