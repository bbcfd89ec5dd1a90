// Browser tests of the console against the real server: `npm run e2e` (see web/README.md).
// Debian's chromium is driven directly (executablePath): Playwright never downloads a browser here.
import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS, RESULTS, TIMEOUT } from './support/env';

export default defineConfig({
  testDir: '.',
  // 01-development then 02-community: the second restarts the server on the first one's data.
  testMatch: /\d\d-.*\.spec\.ts$/,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 90_000,
  expect: { timeout: TIMEOUT },
  globalSetup: './global-setup.ts',
  outputDir: `${RESULTS}/playwright`,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    actionTimeout: TIMEOUT,
    navigationTimeout: TIMEOUT,
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
});
