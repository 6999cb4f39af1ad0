import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { ADMIN, adminFetch, contextAs, EDITOR, logIn, VIEWER } from './auth.ts';
import { discoverUrl, expect, openDiscover, shot, test } from './fixtures.ts';

const XSS_IMG = '<img src=x onerror=window.__xss=1>';
const XSS_SCRIPT = '<script>window.__xss=1</script>';
const NDJSON = { 'content-type': 'application/x-ndjson' };

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

async function savedSearchNames(nodeUrl: string): Promise<string[]> {
  const res = await adminFetch(`${nodeUrl}/api/v1/saved_searches`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { saved_searches: { name: string }[] }).saved_searches.map((s) => s.name);
}

async function createUser(nodeUrl: string, username: string, password: string, role: string): Promise<void> {
  const res = await adminFetch(`${nodeUrl}/api/v1/security/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password, role }) });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** An attacker's site on another port of the same host: same-site to the dashboard (ports do not count), but another origin. */
async function startAttackerSite(pages: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const page = pages[req.url ?? ''];
    res.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page ?? 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}

const xssValue = (page: Page) => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);

test('signing in: a wrong password shows the node\'s message, the right one opens the page asked for; repeated failures are slowed down', async ({ browser, state }) => {
  const { context, page } = await contextAs(browser, state.dashboardUrl, null);
  const alert = page.getByRole('form', { name: 'Log in to Strata' }).getByRole('alert');
  try {
    // A page without a session sends the browser to sign in, remembering where it was going.
    await page.goto(`${state.dashboardUrl}/tail?index=e2e-app`);
    await expect(page).toHaveURL(`${state.dashboardUrl}/login?next=%2Ftail%3Findex%3De2e-app`);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not-the-password');
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/session'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(alert).toHaveText('wrong username or password');
    // No challenge reaches the browser: it would open its own Basic password dialog.
    expect((await refused).status()).toBe(401);
    expect(await (await refused).headerValue('www-authenticate')).toBeNull();
    await shot(page, 'security-login-wrong-password');

    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(`${state.dashboardUrl}/tail?index=e2e-app`);
    await expect(page.getByTestId('tail-status')).toHaveText('Live');
    await expect(page.getByTestId('current-user')).toHaveText(/admin\s*admin/);
    const cookie = (await context.cookies()).find((c) => c.name === 'strata_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false });
    // It lives as long as the node's session (8 hours by default).
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(7.9 * 3600_000);
    expect(await page.evaluate(() => document.cookie)).not.toContain('strata_session');

    // `next` only ever leads to a page of the dashboard.
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      await logIn(page, state.dashboardUrl, ADMIN, next);
      await expect(page).toHaveURL(`${state.dashboardUrl}/discover`);
    }

    // Five wrong passwords for one account from one address, and the node makes the next attempt wait.
    await createUser(state.nodeUrl, 'lockout-probe', 'lockout-probe-password', 'viewer');
    await page.goto(`${state.dashboardUrl}/login`);
    await page.getByLabel('Username').fill('lockout-probe');
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Password').fill(`wrong-${i}`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(alert).toHaveText('wrong username or password');
      await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
    }
    await page.getByLabel('Password').fill('lockout-probe-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(alert).toHaveText(/^too many failed sign-ins, retry in \d+ s$/);
    await expect(page).toHaveURL(/\/login$/);
    await shot(page, 'security-login-rate-limited');
  } finally {
    await context.close();
  }
});

test('logging out ends the session: /discover then leads to the login page, and the old token is refused', async ({ browser, state }) => {
  const { context, page } = await contextAs(browser, state.dashboardUrl, EDITOR);
  try {
    await expect(page.getByTestId('current-user')).toHaveText(/editor\s*editor/);
    const token = (await context.cookies()).find((c) => c.name === 'strata_session')!.value;
    expect((await fetch(`${state.nodeUrl}/api/v1/security/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(`${state.dashboardUrl}/login`);
    expect((await context.cookies()).some((c) => c.name === 'strata_session')).toBe(false);
    await page.goto(`${state.dashboardUrl}/discover`);
    await expect(page).toHaveURL(`${state.dashboardUrl}/login?next=%2Fdiscover`);
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    // The session ended on the node too: a copy of the token is worth nothing.
    expect((await fetch(`${state.nodeUrl}/api/v1/security/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await shot(page, 'security-logged-out');
  } finally {
    await context.close();
  }
});

test('a session that expires or ends elsewhere sends the page to the login page on its next request', async ({ browser, state }) => {
  const { context, page } = await contextAs(browser, state.dashboardUrl, VIEWER);
  try {
    await page.goto(`${state.dashboardUrl}/agents`);
    await expect(page.getByTestId('agent-count')).toBeVisible();
    const token = (await context.cookies()).find((c) => c.name === 'strata_session')!.value;
    // Ended behind the page's back (as an expiry would): the agent list's next refresh gets a 401.
    expect((await fetch(`${state.nodeUrl}/api/v1/security/sessions/current`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await expect(page).toHaveURL(`${state.dashboardUrl}/login?next=%2Fagents`, { timeout: 15_000 });
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    await shot(page, 'security-session-expired');
  } finally {
    await context.close();
  }
});

test('roles in the dashboard: a viewer sees no save or security controls, and the node refuses a forced save', async ({ browser, page, state }) => {
  // Something to open: a saved search made by the admin.
  const made = await adminFetch(`${state.nodeUrl}/api/v1/saved_searches`, { method: 'POST', body: JSON.stringify({ name: 'errors by the admin', query: 'level:error', index: 'e2e-app' }) });
  expect(made.status).toBe(201);
  // The admin (the journeys' default browser) has every control.
  await page.goto(`${state.dashboardUrl}/agents`);
  await expect(page.getByRole('link', { name: 'Security' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create enrollment token' })).toBeVisible();

  const editor = await contextAs(browser, state.dashboardUrl, EDITOR);
  try {
    await editor.page.goto(discoverUrl(state));
    await expect(editor.page.getByRole('button', { name: 'Save', exact: true })).toBeVisible();
    await expect(editor.page.getByRole('link', { name: 'Security' })).toHaveCount(0);
    await editor.page.goto(`${state.dashboardUrl}/agents`);
    await expect(editor.page.getByTestId('agent-count')).toBeVisible();
    await expect(editor.page.getByRole('button', { name: 'Create enrollment token' })).toHaveCount(0);
  } finally {
    await editor.context.close();
  }

  const { context, page: viewer } = await contextAs(browser, state.dashboardUrl, VIEWER);
  try {
    await viewer.goto(discoverUrl(state));
    await expect(viewer.getByTestId('hit-count')).toHaveText(/^[\d,]+ hits$/);
    await expect(viewer.getByTestId('current-user')).toHaveText(/viewer\s*viewer/);
    await expect(viewer.getByRole('button', { name: 'Save', exact: true })).toHaveCount(0);
    await expect(viewer.getByRole('link', { name: 'Security' })).toHaveCount(0);
    await viewer.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(viewer.getByRole('button', { name: 'Open errors by the admin' })).toBeVisible();
    await expect(viewer.getByRole('button', { name: /^Delete / })).toHaveCount(0);
    await shot(viewer, 'security-viewer-discover');
    await viewer.keyboard.press('Escape');

    // The page hides what the node would refuse; forcing it anyway is refused by the node.
    const forced = await viewer.evaluate(async () => {
      const res = await fetch('/api/v1/saved_searches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forced by a viewer', query: '', index: 'e2e-app' }) });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    });
    expect(forced.status).toBe(403);
    expect(forced.body.error.code).toBe('forbidden');
    expect(forced.body.error.message).toContain('save_objects');
    expect(await savedSearchNames(state.nodeUrl)).not.toContain('forced by a viewer');

    await viewer.goto(`${state.dashboardUrl}/agents`);
    await expect(viewer.getByTestId('agent-count')).toBeVisible();
    await expect(viewer.getByRole('heading', { name: 'Enrollment tokens' })).toHaveCount(0);
    await viewer.goto(`${state.dashboardUrl}/security`);
    await expect(viewer.locator('main').getByRole('alert')).toContainText('manage_security');
    await expect(viewer.getByRole('table', { name: 'Users' })).toHaveCount(0);
  } finally {
    await context.close();
  }
});

test('cross-site requests are refused: a form and a fetch from another origin change nothing', async ({ page, state }) => {
  const target = `${state.dashboardUrl}/api/v1/saved_searches`;
  // A text/plain form can carry JSON (the node does not insist on a content type), and so can a "simple" fetch.
  const attacker = await startAttackerSite({
    '/form': `<!doctype html><form id="f" method="POST" action="${target}" enctype="text/plain"><input type="hidden" name='{"name":"csrf by form","query":"","index":"e2e-app","columns":["' value='"]}'></form><script>document.getElementById('f').submit()</script>`,
    '/login-form': `<!doctype html><form id="f" method="POST" action="${state.dashboardUrl}/api/session" enctype="text/plain"><input type="hidden" name='{"username":"admin","password":"x","pad":"' value='"}'></form><script>document.getElementById('f').submit()</script>`,
    '/fetch': `<!doctype html><script>fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'csrf by fetch', query: '', index: 'e2e-app' }) }).then(() => (window.__done = 'answered'), () => (window.__done = 'unreadable'))</script>`,
  });
  try {
    const answers: { url: string; status: number; body: string }[] = [];
    page.on('response', async (r) => {
      if (r.request().method() === 'POST' && r.url().startsWith(state.dashboardUrl)) answers.push({ url: r.url(), status: r.status(), body: await r.text().catch(() => '') });
    });

    // The form posts with the admin's cookie (same site), but from another origin.
    await page.goto(`${attacker.url}/form`);
    await expect(page).toHaveURL(target);
    await expect(page.locator('body')).toContainText('cross-site request refused');
    await page.goto(`${attacker.url}/login-form`);
    await expect(page).toHaveURL(`${state.dashboardUrl}/api/session`);
    await expect(page.locator('body')).toContainText('cross-site request refused');
    await expect.poll(() => answers.length).toBe(2);
    expect(answers.map((a) => new URL(a.url).pathname)).toEqual(['/api/v1/saved_searches', '/api/session']);
    for (const a of answers) {
      expect(a.status, a.url).toBe(403);
      expect(JSON.parse(a.body)).toEqual({ error: { code: 'forbidden', message: 'cross-site request refused' } });
    }
    // The fetch is sent (a "simple" request needs no preflight) with the cookie; its answer is unreadable to the
    // attacker either way, so what shows it was refused is that nothing was created.
    await page.goto(`${attacker.url}/fetch`);
    await expect.poll(() => page.evaluate(() => (window as unknown as { __done?: string }).__done)).toBe('unreadable');
    const names = await savedSearchNames(state.nodeUrl);
    expect(names).not.toContain('csrf by form');
    expect(names).not.toContain('csrf by fetch');
    await shot(page, 'security-csrf-refused');

    // The same request from the dashboard's own page goes through: the origin is what was refused.
    await page.goto(`${state.dashboardUrl}/discover`);
    const own = await page.evaluate(async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'same-origin control', query: '', index: 'e2e-app' }) })).status, target);
    expect(own).toBe(201);
    expect(await savedSearchNames(state.nodeUrl)).toContain('same-origin control');
  } finally {
    await attacker.close();
  }
});

test('markup in a saved search\'s name and in log lines is shown as text and never runs', async ({ page, state }) => {
  const token = `xssprobe${Date.now()}`;
  const name = `${XSS_IMG} ${XSS_SCRIPT} ${token}`;
  const saved = await adminFetch(`${state.nodeUrl}/api/v1/saved_searches`, { method: 'POST', body: JSON.stringify({ name, query: token, index: 'e2e-xss', from: 'now-1h', to: 'now+1h' }) });
  expect(saved.status).toBe(201);
  const lines = [`${token} ${XSS_IMG}`, `${token} ${XSS_SCRIPT}`];
  const ingested = await adminFetch(`${state.nodeUrl}/api/v1/indices/e2e-xss/ingest`, { method: 'POST', headers: NDJSON, body: lines.map((message) => JSON.stringify({ message, level: 'error' })).join('\n') });
  expect(ingested.status).toBe(200);

  await openDiscover(page, `${state.dashboardUrl}/discover?index=e2e-xss&from=now-1h&to=now%2B1h`);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const list = page.getByRole('list', { name: 'Saved searches' });
  await expect(list.getByText(name, { exact: true })).toBeVisible();
  await page.getByRole('button', { name: `Open ${name}` }).click();
  await expect(page.getByTestId('hit-count')).toHaveText('2 hits');
  for (const l of lines) await expect(page.getByText(l, { exact: true })).toBeVisible();
  await page.getByTestId('result-row').first().getByRole('button', { name: 'Expand record' }).click();
  await shot(page, 'security-xss-as-text');
  expect(await xssValue(page)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.locator('body script:not([src])').evaluateAll((s) => s.filter((e) => e.textContent?.includes('__xss')).length)).toBe(0);
});

test('every page carries a nonce-based Content Security Policy and the security headers, and runs without violations', async ({ page, state }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`)));

  const nonces = new Set<string>();
  for (const path of ['/discover', '/tail', '/agents', '/security', '/login']) {
    const res = (await page.goto(`${state.dashboardUrl}${path}`))!;
    const csp = res.headers()['content-security-policy'];
    expect(csp, path).toBeTruthy();
    const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src '))!;
    expect(scriptSrc).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'$/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'self'");
    expect(res.headers()['x-content-type-options']).toBe('nosniff');
    expect(res.headers()['x-frame-options']).toBe('DENY');
    expect(res.headers()['referrer-policy']).toBeTruthy();
    const nonce = /'nonce-([^']+)'/.exec(scriptSrc)![1];
    nonces.add(nonce);
    // Next's own inline scripts carry this response's nonce, so they run.
    const inline = await page.locator('script:not([src])').evaluateAll((s) => s.map((e) => (e as HTMLScriptElement).nonce));
    expect(inline.length, path).toBeGreaterThan(0);
    for (const n of inline) expect(n, path).toBe(nonce);
  }
  // A fresh nonce per response.
  expect(nonces.size).toBe(5);

  // The pages work under the policy: the histogram draws, and the live tail streams.
  await page.goto(discoverUrl(state));
  await expect(page.getByTestId('hit-count')).toHaveText(/^[\d,]+ hits$/);
  await expect(page.getByTestId('histogram').locator('canvas').first()).toBeVisible();
  const ingest = async (message: string) => expect((await adminFetch(`${state.nodeUrl}/api/v1/indices/e2e-csp/ingest`, { method: 'POST', headers: NDJSON, body: JSON.stringify({ message }) })).status).toBe(200);
  await ingest('the index exists before the tail opens');
  await page.goto(`${state.dashboardUrl}/tail?index=e2e-csp`);
  await expect(page.getByTestId('tail-status')).toHaveText('Live');
  await ingest('tail under the policy');
  await expect(page.getByTestId('tail-line').filter({ hasText: 'tail under the policy' })).toBeVisible();
  await shot(page, 'security-csp-tail');
  expect(violations).toEqual([]);

  // API answers carry nosniff too.
  const api = await page.request.get(`${state.dashboardUrl}/api/v1/health`);
  expect(api.headers()['x-content-type-options']).toBe('nosniff');
});

test('the security page: an admin adds a user, and creates an API key that is shown once, works, and stops working once revoked', async ({ browser, page, state }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: state.dashboardUrl });
  await page.goto(`${state.dashboardUrl}/discover`);
  await page.getByRole('link', { name: 'Security' }).click();
  await expect(page).toHaveURL(`${state.dashboardUrl}/security`);
  const users = page.getByRole('table', { name: 'Users' });
  await expect(users.getByTestId('user-row')).toContainText(['admin', 'editor']);

  const form = page.getByRole('form', { name: 'New user' });
  await form.getByLabel('Username').fill('ops-1');
  await form.getByLabel('Password').fill('ops-1-password');
  await form.getByLabel('Role').selectOption('editor');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toHaveText('Created user “ops-1” (editor)');
  await expect(users.getByTestId('user-row').filter({ hasText: 'ops-1' })).toContainText('editor');
  // The new user signs in with that password.
  const ops = await contextAs(browser, state.dashboardUrl, { username: 'ops-1', password: 'ops-1-password' });
  await expect(ops.page.getByTestId('current-user')).toHaveText(/ops-1\s*editor/);
  await ops.context.close();

  await page.getByRole('button', { name: 'Create API key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create API key' });
  await dialog.getByLabel('Name').fill('e2e ingest key');
  await dialog.getByLabel('Index patterns').fill('e2e-key-*');
  await dialog.getByLabel('Expires').selectOption('30d');
  await dialog.getByRole('button', { name: 'Create' }).click();
  const shown = page.getByRole('dialog', { name: 'API key created' });
  await expect(shown.getByRole('note')).toContainText('shown only this once');
  const encoded = await shown.getByRole('textbox', { name: 'New API key' }).inputValue();
  expect(encoded).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
  await shown.getByRole('button', { name: 'Copy' }).click();
  await expect(shown.getByRole('status')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(encoded);
  await shot(page, 'security-api-key-once');
  await shown.getByRole('button', { name: 'Done' }).click();
  const row = page.getByTestId('api-key-row').filter({ hasText: 'e2e ingest key' });
  await expect(row).toContainText('ingest e2e-key-*');
  // Never shown again: not on the page, not after a reload, not in the list the node answers.
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(encoded);

  // The key works against the node, for what it was given and nothing more.
  const ingest = (index: string) => fetch(`${state.nodeUrl}/api/v1/indices/${index}/ingest`, { method: 'POST', headers: { ...NDJSON, authorization: `ApiKey ${encoded}` }, body: JSON.stringify({ message: 'shipped with the new key' }) });
  const ok = await ingest('e2e-key-a');
  expect(ok.status).toBe(200);
  expect((await json(ok)).accepted).toBe(1);
  expect((await ingest('e2e-app')).status).toBe(403);
  // The list shows that it was used.
  await page.reload();
  await expect(row.locator('td').nth(5)).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  await shot(page, 'security-api-keys');

  await row.getByRole('button', { name: 'Revoke e2e ingest key' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
  await expect(confirm).toContainText('e2e ingest key');
  await confirm.getByRole('button', { name: 'Revoke' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(row).toHaveCount(0);
  expect((await ingest('e2e-key-a')).status).toBe(401);
});
