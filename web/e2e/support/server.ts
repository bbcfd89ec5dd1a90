// The real `marchproxy serve` on loopback, and loopback HTTP fixtures for it to talk to.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ADMIN_PASSWORD, BIN, DIST, RESULTS } from './env';

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function tail(file: string, n = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface Server {
  base: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Start the server with `dataDir` (SQLite) serving web/dist, and wait for /healthz. Its log goes to
 * test-results/server-<label>.log. LICENSE_KEY and RELEASE_MODE are removed from the environment
 * (`extraEnv` sets them).
 */
export async function startServer(opts: {
  dataDir: string;
  label: string;
  extraEnv?: Record<string, string>;
}): Promise<Server> {
  const port = await freePort();
  const proxyPort = await freePort();
  const logFile = path.join(RESULTS, `server-${opts.label}.log`);
  const out = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LICENSE_KEY;
  delete env.RELEASE_MODE;
  Object.assign(env, {
    MARCHPROXY_LISTEN: `127.0.0.1:${port}`,
    MARCHPROXY_DATA_DIR: opts.dataDir,
    DATABASE_URL: `sqlite://${opts.dataDir}/e2e.db`,
    MARCHPROXY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MARCHPROXY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    MARCHPROXY_WEB_DIR: DIST,
    RUST_LOG: process.env.RUST_LOG ?? 'info',
    ...opts.extraEnv,
  });
  const child = spawn(BIN, ['serve'], { env, detached: true, stdio: ['ignore', out, out] });
  let exited: { code: number | null; sig: NodeJS.Signals | null } | null = null;
  child.on('exit', (code, sig) => (exited = { code, sig }));
  const base = `http://127.0.0.1:${port}`;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      /* already gone */
    }
  };
  const server: Server = {
    base,
    logFile,
    async stop() {
      if (exited) return;
      kill('SIGTERM');
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 5000) await sleep(100);
      if (!exited) {
        kill('SIGKILL');
        while (!exited && Date.now() - t0 < 8000) await sleep(100);
      }
    },
  };
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}); log:\n${tail(logFile)}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() - t0 > 60_000) {
      await server.stop();
      throw new Error(`server did not answer /healthz within 60 s; log:\n${tail(logFile)}`);
    }
    await sleep(250);
  }
  return server;
}

export interface Fixture {
  name: string;
  port: number;
  url: string;
  requests: { method: string | undefined; url: string | undefined; size: number }[];
  close(): Promise<void>;
}

/** A loopback HTTP server answering 200 to everything: the route endpoints and the trace collector. */
export async function startFixture(name: string): Promise<Fixture> {
  const requests: Fixture['requests'] = [];
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, size });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** An access token for calling the API directly. */
export async function apiToken(base: string, username: string, password: string): Promise<string> {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw new Error(`API login failed: HTTP ${r.status} ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}
