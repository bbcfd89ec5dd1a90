// Release mode without a license (Community), on the data of the development run: every Enterprise page
// shows the LicenseGate without calling the feature's API, and the API refuses the feature with a 403.
import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, ADMIN_USER, dataDir } from './support/env';
import { apiToken, startServer, type Server } from './support/server';
import { login, openSession, screenshotOnFailure, shot, type Session } from './support/session';

test.describe.configure({ mode: 'serial' });

let srv: Server;
let s: Session;

test.beforeAll(async ({ browser }) => {
  s = await openSession(browser);
});

test.afterEach(async ({}, testInfo) => screenshotOnFailure(s, testInfo));

test.afterAll(async () => {
  await s?.context.close();
  await srv?.stop();
});

test('server restarts with RELEASE_MODE=true and no LICENSE_KEY', async () => {
  srv = await startServer({
    dataDir: dataDir(),
    label: 'community',
    extraEnv: { RELEASE_MODE: 'true', SECRET_KEY: 'e2e-secret-key-0123456789abcdef0123456789abcdef' },
  });
});

test('community: login and the license page shows the Community tier', async () => {
  const { page } = s;
  await login(page, srv.base);
  await page.goto(`${srv.base}/license`);
  await expect(page.getByTestId('license-tier')).toHaveText(/community/);
  await shot(page, 'license-community');
});

const GATED = [
  { path: '/traffic-shaping', title: 'Traffic Shaping & QoS', api: '/api/v1/traffic-shaping', name: 'traffic-shaping' },
  { path: '/multi-cloud', title: 'Multi-Cloud Routing', api: '/api/v1/multi-cloud', name: 'multi-cloud' },
  { path: '/observability', title: 'Distributed Tracing', api: '/api/v1/observability', name: 'observability' },
];

for (const p of GATED) {
  test(`community: ${p.path} shows the LicenseGate, not the feature`, async () => {
    const { page } = s;
    const before = s.apiRequests.length;
    await page.goto(`${srv.base}${p.path}`);
    const gate = page.getByTestId('license-gate');
    await gate.waitFor();
    await gate.getByRole('heading', { name: p.title }).waitFor();
    await gate.getByRole('button', { name: 'Upgrade to Enterprise' }).waitFor();
    expect(await gate.getByRole('link', { name: /pricing/i }).getAttribute('href'), 'pricing link').toBe(
      'https://www.penguintech.io/marchproxy/pricing',
    );
    expect(await gate.locator('li').count(), 'benefits list missing').toBeGreaterThanOrEqual(3);
    expect(await page.getByRole('button', { name: /^New / }).count(), 'feature controls rendered').toBe(0);
    const featureCalls = s.apiRequests.slice(before).filter((r) => r.includes(p.api));
    expect(featureCalls, 'the page called the feature API').toEqual([]);
    await shot(page, `gate-${p.name}`);
  });
}

test('community: the enterprise API answers 403 with the license error', async () => {
  const token = await apiToken(srv.base, ADMIN_USER, ADMIN_PASSWORD);
  const r = await fetch(`${srv.base}/api/v1/traffic-shaping/policies`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await r.json().catch(() => null)) as { detail?: { error?: string } } | null;
  expect(r.status, 'status').toBe(403);
  expect(body?.detail?.error, `unexpected body ${JSON.stringify(body)}`).toBe('Enterprise feature not available');
});

test('community: the dashboard still works', async () => {
  const { page } = s;
  await page.goto(`${srv.base}/dashboard`);
  await expect(page.getByTestId('stat-license')).toHaveText(/community/);
  await shot(page, 'dashboard-community');
});

test('no console errors in community mode', async () => {
  expect(s.consoleErrors, 'console errors').toEqual([]);
});
