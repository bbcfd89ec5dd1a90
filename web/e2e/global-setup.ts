// Before the browser tests: check the server binary and the browser, build the console (unless
// E2E_SKIP_BUILD=1 and a build exists), empty test-results/, and make the data dir both server runs share.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, CHROMIUM, DIST, RESULTS, WEB_DIR } from './support/env';

export default function globalSetup() {
  if (!existsSync(BIN)) {
    throw new Error(`server binary not found: ${BIN} (set MARCHPROXY_BIN or build it with cargo build)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  }
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  if (process.env.E2E_SKIP_BUILD !== '1' || !existsSync(path.join(DIST, 'index.html'))) {
    console.log('building the UI (npm run build)…');
    const r = spawnSync('npm', ['run', 'build'], { cwd: WEB_DIR, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mp-e2e-data-'));
  process.env.E2E_DATA_DIR = dataDir;
  console.log(`server ${BIN}; data dir ${dataDir}; screenshots and server logs in ${RESULTS}`);
  return () => rmSync(dataDir, { recursive: true, force: true });
}
