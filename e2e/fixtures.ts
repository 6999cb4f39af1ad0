import { test as base, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_INDEX, appRecords, type AppRecord } from './data.ts';

export interface E2EState {
  nodeUrl: string;
  dashboardUrl: string;
  baseMs: number;
  /** The datasets folder when the Loghub samples were ingested; null when absent. */
  loghub: string | null;
}

const DIR = fileURLToPath(new URL('.', import.meta.url));

export function e2eState(): E2EState {
  return JSON.parse(readFileSync(join(DIR, '.state.json'), 'utf8')) as E2EState;
}

/** Saves a screenshot of the journey's end state to e2e/screenshots/, to be looked at. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(DIR, 'screenshots', `${name}.png`) });
}

/** The app corpus's range, as absolute times, so that counts do not drift with the clock. */
export function corpusRange(s: E2EState): { from: string; to: string } {
  return { from: new Date(s.baseMs - 3 * 3600_000).toISOString(), to: new Date(s.baseMs + 3600_000).toISOString() };
}

export function discoverUrl(s: E2EState, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams({ index: APP_INDEX, ...corpusRange(s), ...extra });
  return `${s.dashboardUrl}/discover?${p}`;
}

export const test = base.extend<{ state: E2EState; corpus: AppRecord[] }>({
  state: async ({}, use) => use(e2eState()),
  corpus: async ({ state }, use) => use(appRecords(state.baseMs)),
});

/** "1,234 hits", as the count must read. */
export function hitsText(n: number): string {
  return `${new Intl.NumberFormat('en-US').format(n)} ${n === 1 ? 'hit' : 'hits'}`;
}

/**
 * Opens Discover and waits for its first count. The count is rendered by the client once its search returns, so
 * the page is hydrated by then: typing or pressing Enter earlier can land before React listens, and is lost.
 */
export async function openDiscover(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('hit-count')).toHaveText(/^[\d,]+ hits?$/);
}

export { expect };
