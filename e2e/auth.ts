/**
 * The e2e node's users. The node starts with STRATA_PASSWORD = the admin's password below; the setup adds the
 * editor and the viewer through the API and signs the browser in as the admin once, saving the session cookie
 * for every journey (a journey that needs someone else, or no one, makes its own browser context).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from '@playwright/test';

export interface Credentials {
  username: string;
  password: string;
}

export const ADMIN: Credentials = { username: 'admin', password: 'e2e-admin-password' };
export const EDITOR: Credentials = { username: 'editor', password: 'e2e-editor-password' };
export const VIEWER: Credentials = { username: 'viewer', password: 'e2e-viewer-password' };

/** The admin's signed-in browser state (cookies), written by the setup and removed by its teardown. */
export const ADMIN_STORAGE_STATE = join(fileURLToPath(new URL('.', import.meta.url)), '.auth', 'admin.json');

/** A browser state with no session: for journeys that sign in themselves. */
export const SIGNED_OUT = { cookies: [], origins: [] };

export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** A request to the node as the admin (the node refuses requests without credentials). */
export function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', basicAuth(ADMIN));
  return fetch(url, { ...init, headers });
}

/** Signs in through the dashboard's login page, as a person would. */
export async function logIn(page: Page, dashboardUrl: string, c: Credentials, next?: string): Promise<void> {
  await page.goto(`${dashboardUrl}/login${next === undefined ? '' : `?${new URLSearchParams({ next })}`}`);
  await page.getByLabel('Username').fill(c.username);
  await page.getByLabel('Password').fill(c.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.pathname !== '/login');
}

/** A new browser context signed in as `c` (or signed out with null), with its page. */
export async function contextAs(browser: Browser, dashboardUrl: string, c: Credentials | null): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ storageState: SIGNED_OUT });
  const page = await context.newPage();
  if (c !== null) await logIn(page, dashboardUrl, c);
  return { context, page };
}
