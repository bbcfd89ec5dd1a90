// End-to-end tests of the MarchProxy console in a real browser.
//
// Starts the real `marchproxy serve` on loopback with a fresh data dir (serving web/dist),
// drives Debian's chromium through playwright-core, saves a screenshot of every page to
// web/test-results/, and ends with the line `N passed, N failed` (exit 1 on any failure).
//
// Env:
//   MARCHPROXY_BIN   server binary (default ../target/debug/marchproxy relative to web/)
//   CHROMIUM_PATH    browser (default /usr/bin/chromium)
//   E2E_SKIP_BUILD=1 use the existing web/dist instead of running `npm run build`
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.resolve(WEB_DIR, process.env.MARCHPROXY_BIN ?? '../target/debug/marchproxy');
const DIST = path.join(WEB_DIR, 'dist');
const RESULTS = path.join(WEB_DIR, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'E2e-admin-Passw0rd!';
const TIMEOUT = 15_000;

const results = [];
const cleanups = [];
let shotNo = 0;
/** The page in use, for a screenshot when a test fails. */
let currentPage = null;

function log(...a) {
  console.log(...a);
}

async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`  ✓ ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    if (currentPage) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await currentPage
        .screenshot({ path: path.join(RESULTS, `FAILED-${slug}.png`), fullPage: true })
        .catch(() => undefined);
    }
    log(
      `  ✗ ${name} (${Date.now() - t0} ms)\n      ${String(e?.stack ?? e)
        .split('\n')
        .slice(0, 6)
        .join('\n      ')}`,
    );
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function shot(page, name) {
  shotNo += 1;
  const file = path.join(RESULTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A loopback HTTP server answering 200 to everything: the route endpoints and the trace collector. */
async function startFixture(name) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (c) => (size += c.length));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, size });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { name, port, url: `http://127.0.0.1:${port}`, requests };
}

// ---------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------

async function startServer({ dataDir, extraEnv = {}, label }) {
  const port = await freePort();
  const proxyPort = await freePort();
  const logFile = path.join(RESULTS, `server-${label}.log`);
  const out = openSync(logFile, 'w');
  const env = { ...process.env };
  delete env.LICENSE_KEY;
  delete env.RELEASE_MODE;
  Object.assign(env, {
    MARCHPROXY_LISTEN: `127.0.0.1:${port}`,
    MARCHPROXY_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite://${dataDir}/e2e.db`,
    MARCHPROXY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MARCHPROXY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    MARCHPROXY_WEB_DIR: DIST,
    RUST_LOG: process.env.RUST_LOG ?? 'info',
    ...extraEnv,
  });
  const child = spawn(BIN, ['serve'], { env, detached: true, stdio: ['ignore', out, out] });
  let exited = null;
  child.on('exit', (code, sig) => (exited = { code, sig }));
  const base = `http://127.0.0.1:${port}`;
  const srv = {
    base,
    child,
    logFile,
    async stop() {
      if (exited) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 5000) await sleep(100);
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        while (!exited && Date.now() - t0 < 8000) await sleep(100);
      }
    },
  };
  cleanups.push(() => srv.stop());
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}); log:\n${tail(logFile)}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() - t0 > 60_000) throw new Error(`server did not answer /healthz within 60 s; log:\n${tail(logFile)}`);
    await sleep(250);
  }
  return srv;
}

function tail(file, n = 30) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// Browser helpers
// ---------------------------------------------------------------------------

async function openBrowser(label) {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), `mp-e2e-chrome-${label}-`));
  cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
  });
  cleanups.push(() => context.close().catch(() => undefined));
  context.setDefaultTimeout(TIMEOUT);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => d.accept());
  currentPage = page;
  const consoleErrors = [];
  const apiRequests = [];
  let ignoreConsole = false;
  page.on('console', (m) => {
    if (m.type() === 'error' && !ignoreConsole) consoleErrors.push(`${m.text()} @ ${page.url()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message} @ ${page.url()}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) apiRequests.push(`${r.method()} ${u.pathname}`);
  });
  return {
    context,
    page,
    consoleErrors,
    apiRequests,
    setIgnoreConsole(v) {
      ignoreConsole = v;
    },
  };
}

async function login(page, base) {
  await page.goto(`${base}/dashboard`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/dashboard/);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

async function apiToken(base) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD }),
  });
  if (!r.ok) throw new Error(`API login failed: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()).access_token;
}

async function waitForText(locator, re, ms = TIMEOUT) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < ms) {
    last = (await locator.textContent().catch(() => '')) ?? '';
    if (re.test(last)) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${re} in: ${last.slice(0, 400)}`);
}

// ---------------------------------------------------------------------------
// The flows
// ---------------------------------------------------------------------------

async function developmentSuite(srv, fx) {
  const b = await openBrowser('dev');
  const { page } = b;
  const base = srv.base;

  await test('the UI is served at / and sends a signed-out user to the login page', async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: 'MarchProxy' }).waitFor();
    await shot(page, 'login');
  });

  await test('a wrong password shows an error and stays on login', async () => {
    b.setIgnoreConsole(true); // the browser logs the expected 401 response
    try {
      await page.getByLabel('Username').fill(ADMIN_USER);
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert(/\/login/.test(page.url()), `left the login page: ${page.url()}`);
      await shot(page, 'login-error');
    } finally {
      b.setIgnoreConsole(false);
    }
  });

  await test('logging in opens the dashboard with health, readiness and license', async () => {
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard/);
    await waitForText(page.getByTestId('stat-health'), /ok/);
    await waitForText(page.getByTestId('stat-ready'), /ready/);
    await waitForText(page.getByTestId('stat-license'), /development|enterprise|community/);
    await shot(page, 'dashboard');
  });

  await test('a reload keeps the session (deep link to /license)', async () => {
    await page.goto(`${base}/license`);
    await page.getByRole('heading', { name: 'License', level: 1 }).waitFor();
    await waitForText(page.getByTestId('license-tier'), /development|enterprise/);
    await shot(page, 'license-development');
  });

  await test('the access token is refreshed before it expires', async () => {
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('marchproxy.session'));
      s.expiresAt = Date.now() + 5_000; // inside the refresh margin
      localStorage.setItem('marchproxy.session', JSON.stringify(s));
    });
    const refreshed = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/auth/refresh') && r.request().method() === 'POST',
    );
    await page.goto(`${base}/dashboard`);
    const resp = await refreshed;
    assert(resp.status() === 200, `refresh answered ${resp.status()}`);
    await waitForText(page.getByTestId('stat-license'), /development|enterprise/);
    const expiresAt = await page.evaluate(() => JSON.parse(localStorage.getItem('marchproxy.session')).expiresAt);
    assert(expiresAt - Date.now() > 60_000, 'the session was not renewed');
  });

  await test('a rejected token sends the user back to login', async () => {
    const saved = await page.evaluate(() => localStorage.getItem('marchproxy.session'));
    b.setIgnoreConsole(true); // the browser logs the expected 401 responses
    try {
      await page.evaluate(() => {
        const s = JSON.parse(localStorage.getItem('marchproxy.session'));
        s.accessToken = 'not-a-valid-token';
        localStorage.setItem('marchproxy.session', JSON.stringify(s));
      });
      await page.goto(`${base}/clusters`);
      await page.waitForURL(/\/login\?next=%2Fclusters/);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    } finally {
      b.setIgnoreConsole(false);
    }
    await page.getByLabel('Username').fill(ADMIN_USER);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/clusters$/);
    assert(saved !== null, 'no session was stored');
  });

  await test('clusters: create a cluster and see its API key once', async () => {
    await page.goto(`${base}/clusters`);
    await page.getByLabel('Name', { exact: true }).fill('e2e-cluster');
    await page.getByLabel('Description', { exact: true }).fill('created by the browser test');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    const key = await page.getByTestId('api-key').textContent();
    assert(key && key.trim().length >= 16, `API key not shown: ${key}`);
    await page
      .getByRole('table', { name: 'Clusters' })
      .getByRole('cell', { name: 'e2e-cluster', exact: true })
      .waitFor();
    await shot(page, 'clusters');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert((await page.getByTestId('api-key').count()) === 0, 'API key still shown after dismissing');
  });

  await test('services: create a service through the page', async () => {
    await page.goto(`${base}/services`);
    await page.getByLabel('Name', { exact: true }).fill('e2e-api');
    await page.getByLabel('Cluster', { exact: true }).selectOption({ label: 'e2e-cluster' });
    await page.getByLabel('Hostnames').fill('api.e2e.test');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.getByRole('table', { name: 'Services' }).getByRole('cell', { name: 'e2e-api', exact: true }).waitFor();
    await shot(page, 'services');
  });

  await test('proxies: the list (or its empty state) renders', async () => {
    await page.goto(`${base}/proxies`);
    await page.getByRole('heading', { name: 'Proxies', level: 1 }).waitFor();
    await page.locator('table[aria-label="Proxies"], .state-empty').first().waitFor();
    await shot(page, 'proxies');
  });

  await test('traffic shaping: the form validates, then creates a policy that shows in the list', async () => {
    await page.goto(`${base}/traffic-shaping`);
    await page.getByRole('heading', { name: 'Traffic Shaping', level: 1 }).waitFor();
    await page.locator('table[aria-label="QoS policies"], .state-empty').first().waitFor();
    await shot(page, 'traffic-shaping-empty');
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('gold-e2e');
    await page.getByLabel('Service', { exact: true }).selectOption({ label: 'e2e-api' });
    await page.getByLabel('Ingress limit (Mbps)').fill('0');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await waitForText(page.locator('#qos-ingress-error'), /between 1 and 100000/);
    await page.getByLabel('Ingress limit (Mbps)').fill('100');
    await page.getByLabel('Egress limit (Mbps)').fill('50');
    await page.getByLabel('Priority class').selectOption('P1');
    await page.getByLabel('DSCP marking').selectOption('AF41');
    await page.getByRole('button', { name: 'Create policy' }).click();
    const table = page.getByRole('table', { name: 'QoS policies' });
    const row = table.getByRole('row').filter({ hasText: 'gold-e2e' });
    await row.waitFor();
    await waitForText(row, /100 Mbps.*50 Mbps.*P1.*AF41.*enabled/);

    await shot(page, 'traffic-shaping');
  });

  await test('traffic shaping: edit and disable the policy', async () => {
    const row = page.getByRole('table', { name: 'QoS policies' }).getByRole('row').filter({ hasText: 'gold-e2e' });
    await row.getByRole('button', { name: /^Edit/ }).click();
    await page.getByLabel('Weight').fill('80');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await waitForText(row, /80/);
    await row.getByRole('button', { name: /^Disable/ }).click();
    await waitForText(row, /disabled/);
  });

  await test('traffic shaping: live statistics of the policy', async () => {
    const row = page.getByRole('table', { name: 'QoS policies' }).getByRole('row').filter({ hasText: 'gold-e2e' });
    await row.getByRole('button', { name: /^Stats/ }).click();
    const stats = page.getByTestId('qos-stats');
    await stats.waitFor();
    await waitForText(stats, /Current rate.*SLA violations/);
    await shot(page, 'traffic-shaping-stats');
  });

  await test('traffic shaping: a second policy can be deleted', async () => {
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('temp-e2e');
    await page.getByLabel('Service', { exact: true }).selectOption({ label: 'e2e-api' });
    await page.getByRole('button', { name: 'Create policy' }).click();
    const table = page.getByRole('table', { name: 'QoS policies' });
    const row = table.getByRole('row').filter({ hasText: 'temp-e2e' });
    await row.waitFor();
    await row.getByRole('button', { name: /^Delete/ }).click();
    await row.waitFor({ state: 'detached' });
    await table.getByRole('row').filter({ hasText: 'gold-e2e' }).waitFor();
  });

  let routeTableId = null;
  await test('multi-cloud: create a route table with two endpoints and see their health', async () => {
    await page.goto(`${base}/multi-cloud`);
    await page.getByRole('heading', { name: 'Multi-Cloud Routing', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New route table' }).click();
    await page.getByLabel('Name', { exact: true }).fill('edge-e2e');
    await page.getByLabel('Service', { exact: true }).selectOption({ label: 'e2e-api' });
    await page.getByLabel('Provider (endpoint 1)').selectOption('aws');
    await page.getByLabel('Region (endpoint 1)').fill('us-east-1');
    await page.getByLabel('URL (endpoint 1)').fill(fx.endpointA.url);
    await page.getByLabel('Cost $/GB (endpoint 1)').fill('0.09');
    await page.getByLabel('Provider (endpoint 2)').selectOption('gcp');
    await page.getByLabel('Region (endpoint 2)').fill('europe-west1');
    await page.getByLabel('URL (endpoint 2)').fill(fx.endpointB.url);
    await page.getByLabel('Cost $/GB (endpoint 2)').fill('0.08');
    await page.getByLabel('Interval (s)').fill('2');
    await page.getByLabel('Timeout (s)').fill('1');
    await page.getByLabel('Healthy threshold', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Create route table' }).click();
    const table = page.getByRole('table', { name: 'Route tables' });
    await table.getByRole('row').filter({ hasText: 'edge-e2e' }).waitFor();
    const token = await apiToken(base);
    const r = await fetch(`${base}/api/v1/multi-cloud/routes`, { headers: { authorization: `Bearer ${token}` } });
    routeTableId = (await r.json()).find((t) => t.name === 'edge-e2e')?.id ?? null;
    const health = page.getByTestId('endpoint-health');
    await health.waitFor();
    const rows = health.getByTestId('health-row');
    const t0 = Date.now();
    while ((await rows.count()) !== 2 && Date.now() - t0 < TIMEOUT) await sleep(250);
    assert((await rows.count()) === 2, `expected 2 health rows, got ${await rows.count()}`);
    // The page polls: both endpoints become healthy without a reload.
    await waitForText(rows.nth(0), /healthy/, 30_000);
    await waitForText(rows.nth(1), /healthy/, 30_000);
    const text = await health.textContent();
    assert(!/unhealthy/.test(text), `an endpoint is unhealthy: ${text}`);
    assert(text.includes(fx.endpointA.url) && text.includes(fx.endpointB.url), 'endpoints missing from health');
    await shot(page, 'multi-cloud');
  });

  await test('multi-cloud: a dry-run failover drill shows its result', async () => {
    assert(routeTableId !== null, 'no route table');
    await page.getByRole('button', { name: 'Run failover drill (dry run)' }).click();
    const result = page.getByTestId('failover-result');
    await result.waitFor({ timeout: 30_000 });
    await waitForText(result, /Removed endpoint/);
    await shot(page, 'multi-cloud-failover');
  });

  await test('observability: create a tracing config, test its connection and see the result', async () => {
    await page.goto(`${base}/observability`);
    await page.getByRole('heading', { name: 'Observability', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New tracing config' }).click();
    await page.getByLabel('Name', { exact: true }).fill('otel-e2e');
    await page.getByLabel('Cluster', { exact: true }).selectOption({ label: 'e2e-cluster' });
    await page.getByLabel('Backend', { exact: true }).selectOption('otlp');
    await page.getByLabel('Exporter', { exact: true }).selectOption('http');
    await page.getByLabel('Collector endpoint').fill(fx.collector.url);
    await page.getByLabel('Sampling rate').fill('1');
    await page.getByRole('button', { name: 'Create tracing config' }).click();
    const row = page.getByRole('table', { name: 'Tracing configs' }).getByRole('row').filter({ hasText: 'otel-e2e' });
    await row.waitFor();
    await row.getByRole('button', { name: /^Test connection/ }).click();
    const result = page.getByTestId('tracing-test-result');
    await result.waitFor({ timeout: 30_000 });
    const text = await result.textContent();
    assert(/Connection succeeded/.test(text), `connection test did not succeed: ${text}`);
    assert(fx.collector.requests.length > 0, 'the collector received nothing');
    await page.getByTestId('tracing-stats').waitFor();
    await shot(page, 'observability');
  });

  await test('observability: span search and the dependency graph answer', async () => {
    await page.getByRole('button', { name: 'Search spans' }).click();
    await page.locator('[data-testid="span-results"], .state-empty, .state-error').first().waitFor();
    const err = await page.locator('#span-search-title ~ .state-error').count();
    assert(err === 0, 'span search failed');
    if ((await page.getByTestId('span-results').count()) > 0) {
      const badges = await page.getByTestId('span-source').count();
      assert(badges > 0, 'span rows have no source badge');
    }
    await page.locator('#deps-title').waitFor();
    await shot(page, 'observability-search');
  });

  await test('observability: the latency panel answers for a window and service filter', async () => {
    const panel = page.getByTestId('latency-panel');
    await panel.waitFor();
    await panel.locator('[data-testid="latency-figures"], .state-empty, .state-error').first().waitFor();
    assert((await panel.locator('.state-error').count()) === 0, `latency panel failed: ${await panel.textContent()}`);
    await panel.getByLabel('Window').selectOption('24');
    await panel.getByLabel('Service').fill('no-such-service-e2e');
    await panel.getByRole('button', { name: 'Apply' }).click();
    await waitForText(panel, /No spans of “no-such-service-e2e” were recorded in the last 24 hours/);
    await shot(page, 'observability-latency');
  });

  await test('users: an admin creates a viewer on the Users page', async () => {
    await page.goto(`${base}/users`);
    await page.getByLabel('Username').fill('viewer-e2e');
    await page.getByLabel('Password').fill('Viewer-Passw0rd!2026');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'viewer-e2e' }).waitFor();
    await shot(page, 'users');
  });

  await test('a viewer sees the data but no write controls', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.getByLabel('Username').fill('viewer-e2e');
    await page.getByLabel('Password').fill('Viewer-Passw0rd!2026');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard/);
    await page.getByText('viewer-e2e (viewer)').waitFor();
    await page.goto(`${base}/traffic-shaping`);
    await page.getByRole('table', { name: 'QoS policies' }).getByRole('row').filter({ hasText: 'gold-e2e' }).waitFor();
    assert((await page.getByRole('button', { name: 'New policy' }).count()) === 0, 'viewer sees "New policy"');
    assert((await page.getByRole('button', { name: /^Delete/ }).count()) === 0, 'viewer sees Delete');
    await page.goto(`${base}/clusters`);
    await page.getByRole('table', { name: 'Clusters' }).waitFor();
    assert((await page.getByRole('button', { name: 'Create cluster' }).count()) === 0, 'viewer sees the cluster form');
    await shot(page, 'viewer-clusters');
  });

  await test('no console errors in development mode', async () => {
    assert(b.consoleErrors.length === 0, `console errors:\n${b.consoleErrors.join('\n')}`);
  });
  await b.context.close();
}

async function communitySuite(srv) {
  const b = await openBrowser('community');
  const { page } = b;
  const base = srv.base;

  await test('community: login and the license page shows the Community tier', async () => {
    await login(page, base);
    await page.goto(`${base}/license`);
    await waitForText(page.getByTestId('license-tier'), /community/);
    await shot(page, 'license-community');
  });

  const pages = [
    {
      path: '/traffic-shaping',
      title: 'Traffic Shaping & QoS',
      api: '/api/v1/traffic-shaping',
      name: 'traffic-shaping',
    },
    { path: '/multi-cloud', title: 'Multi-Cloud Routing', api: '/api/v1/multi-cloud', name: 'multi-cloud' },
    { path: '/observability', title: 'Distributed Tracing', api: '/api/v1/observability', name: 'observability' },
  ];
  for (const p of pages) {
    await test(`community: ${p.path} shows the LicenseGate, not the feature`, async () => {
      const before = b.apiRequests.length;
      await page.goto(`${base}${p.path}`);
      const gate = page.getByTestId('license-gate');
      await gate.waitFor();
      await gate.getByRole('heading', { name: p.title }).waitFor();
      await gate.getByRole('button', { name: 'Upgrade to Enterprise' }).waitFor();
      const href = await gate.getByRole('link', { name: /pricing/i }).getAttribute('href');
      assert(href === 'https://www.penguintech.io/marchproxy/pricing', `pricing link is ${href}`);
      assert((await gate.locator('li').count()) >= 3, 'benefits list missing');
      assert((await page.getByRole('button', { name: /^New / }).count()) === 0, 'feature controls rendered');
      const featureCalls = b.apiRequests.slice(before).filter((r) => r.includes(p.api));
      assert(featureCalls.length === 0, `the page called the feature API: ${featureCalls.join(', ')}`);
      await shot(page, `gate-${p.name}`);
    });
  }

  await test('community: the enterprise API answers 403 with the license error', async () => {
    const token = await apiToken(base);
    const r = await fetch(`${base}/api/v1/traffic-shaping/policies`, { headers: { authorization: `Bearer ${token}` } });
    const body = await r.json().catch(() => null);
    assert(r.status === 403, `expected 403, got ${r.status}`);
    assert(body?.detail?.error === 'Enterprise feature not available', `unexpected body ${JSON.stringify(body)}`);
  });

  await test('community: the dashboard still works', async () => {
    await page.goto(`${base}/dashboard`);
    await waitForText(page.getByTestId('stat-license'), /community/);
    await shot(page, 'dashboard-community');
  });

  await test('no console errors in community mode', async () => {
    assert(b.consoleErrors.length === 0, `console errors:\n${b.consoleErrors.join('\n')}`);
  });
  await b.context.close();
}

// ---------------------------------------------------------------------------

async function main() {
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  if (!existsSync(BIN)) {
    log(`server binary not found: ${BIN} (set MARCHPROXY_BIN or build it with cargo build)`);
    results.push({ name: 'server binary exists', ok: false });
    return;
  }
  if (!existsSync(CHROMIUM)) {
    log(`chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    results.push({ name: 'chromium exists', ok: false });
    return;
  }
  if (process.env.E2E_SKIP_BUILD !== '1' || !existsSync(path.join(DIST, 'index.html'))) {
    log('building the UI (npm run build)…');
    const r = spawnSync('npm', ['run', 'build'], { cwd: WEB_DIR, stdio: 'inherit' });
    if (r.status !== 0) {
      results.push({ name: 'npm run build', ok: false });
      return;
    }
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mp-e2e-data-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const fx = {
    endpointA: await startFixture('endpoint-a'),
    endpointB: await startFixture('endpoint-b'),
    collector: await startFixture('collector'),
  };

  log(`development mode (server ${BIN})`);
  let srv = null;
  await test('server starts (development mode)', async () => {
    srv = await startServer({ dataDir, label: 'development' });
  });
  if (srv) {
    await developmentSuite(srv, fx);
    await srv.stop();
  }

  log('release mode without a license (Community)');
  srv = null;
  await test('server restarts with RELEASE_MODE=true and no LICENSE_KEY', async () => {
    srv = await startServer({
      dataDir,
      label: 'community',
      extraEnv: { RELEASE_MODE: 'true', SECRET_KEY: 'e2e-secret-key-0123456789abcdef0123456789abcdef' },
    });
  });
  if (srv) {
    await communitySuite(srv);
    await srv.stop();
  }
}

let fatal = null;
try {
  await main();
} catch (e) {
  fatal = e;
  log(`fatal: ${e?.stack ?? e}`);
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      /* best effort */
    }
  }
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed + (fatal ? 1 : 0);
log(`screenshots and server logs: ${RESULTS}`);
log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
