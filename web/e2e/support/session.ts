// A browser session shared by the tests of one spec file (they are one scenario, run in order), with
// what the tests check besides the pages: console errors and the API requests the pages made.
import path from 'node:path';
import type { Browser, BrowserContext, Page, TestInfo } from '@playwright/test';
import { ADMIN_PASSWORD, ADMIN_USER, RESULTS, TIMEOUT } from './env';

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Errors in the browser console (and uncaught page errors), with the URL they happened at. */
  consoleErrors: string[];
  /** `METHOD /api/...` of every API request the pages made. */
  apiRequests: string[];
  /** While true, console errors are not recorded (for the expected 401s of refused logins). */
  ignoreConsole: boolean;
}

export async function openSession(browser: Browser): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  const session: Session = { context, page, consoleErrors: [], apiRequests: [], ignoreConsole: false };
  page.on('console', (m) => {
    if (m.type() === 'error' && !session.ignoreConsole) session.consoleErrors.push(`${m.text()} @ ${page.url()}`);
  });
  page.on('pageerror', (e) => session.consoleErrors.push(`pageerror: ${e.message} @ ${page.url()}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) session.apiRequests.push(`${r.method()} ${u.pathname}`);
  });
  return session;
}

/** Run `fn` without recording console errors (the browser logs expected 401 answers). */
export async function ignoringConsole<T>(s: Session, fn: () => Promise<T>): Promise<T> {
  s.ignoreConsole = true;
  try {
    return await fn();
  } finally {
    s.ignoreConsole = false;
  }
}

let shotNo = 0;

/** Save a numbered full-page screenshot to test-results/. */
export async function shot(page: Page, name: string) {
  shotNo += 1;
  await page.screenshot({ path: path.join(RESULTS, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** After each test: a FAILED-<test>.png of the shared page when the test failed. */
export async function screenshotOnFailure(s: Session | undefined, testInfo: TestInfo) {
  if (!s || testInfo.status === testInfo.expectedStatus) return;
  const slug = testInfo.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await s.page.screenshot({ path: path.join(RESULTS, `FAILED-${slug}.png`), fullPage: true }).catch(() => undefined);
}

/** Sign in as the bootstrap admin from /dashboard (which sends a signed-out browser to /login). */
export async function login(page: Page, base: string) {
  await page.goto(`${base}/dashboard`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/dashboard/);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}
