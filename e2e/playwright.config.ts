import { defineConfig } from '@playwright/test';
import { ADMIN_STORAGE_STATE } from './auth.ts';
import { LAUNCH_OPTIONS } from './browser.ts';

/**
 * Browser tests with Debian's Chromium (see browser.ts). Every journey starts signed in as the admin (the setup
 * signs in once through the login page); one that needs another user, or none, makes its own context.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    viewport: { width: 1366, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    storageState: ADMIN_STORAGE_STATE,
    launchOptions: LAUNCH_OPTIONS,
  },
});
