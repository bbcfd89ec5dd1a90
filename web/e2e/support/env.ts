// Where things are, and the settings every e2e file shares.
import path from 'node:path';

export const WEB_DIR = path.resolve(import.meta.dirname, '../..');
/** The server under test (`MARCHPROXY_BIN`, relative to web/; default ../target/debug/marchproxy). */
export const BIN = path.resolve(WEB_DIR, process.env.MARCHPROXY_BIN ?? '../target/debug/marchproxy');
/** The built console the server serves (MARCHPROXY_WEB_DIR). */
export const DIST = path.join(WEB_DIR, 'dist');
/** Screenshots of every page, FAILED-*.png for failed tests, and the server logs. */
export const RESULTS = path.join(WEB_DIR, 'test-results');
/** Debian's chromium (`apt-get install -y chromium`); never `npx playwright install`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'E2e-admin-Passw0rd!';
/** Default wait of an action or an assertion. */
export const TIMEOUT = 15_000;

/** The data dir both server runs share (development, then release mode): made by global-setup.ts. */
export function dataDir(): string {
  const dir = process.env.E2E_DATA_DIR;
  if (!dir) throw new Error('E2E_DATA_DIR is not set: run the suite with `npm run e2e`');
  return dir;
}
