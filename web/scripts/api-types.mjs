// Generates src/lib/api-schema.ts from docs/openapi.json (the OpenAPI document the server publishes at
// /api/v1/openapi.json; a Rust test keeps it current) with openapi-typescript.
//
//   node scripts/api-types.mjs           write src/lib/api-schema.ts        (npm run api:generate)
//   node scripts/api-types.mjs --check   regenerate into a temporary file and fail when the
//                                        committed file differs              (npm run api:check)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = path.resolve(WEB_DIR, '../docs/openapi.json');
const OUT = path.join(WEB_DIR, 'src/lib/api-schema.ts');

const HEADER = `// Generated from docs/openapi.json by \`npm run api:generate\` (openapi-typescript). Do not edit:
// change the server's OpenAPI annotations, then regenerate. \`npm run api:check\` fails when this file is stale.

`;

async function generate() {
  const ast = await openapiTS(pathToFileURL(SPEC));
  return HEADER + astToString(ast);
}

const check = process.argv.includes('--check');
const text = await generate();
if (!check) {
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(WEB_DIR, OUT)}`);
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'api-schema-'));
  const fresh = path.join(dir, 'api-schema.ts');
  writeFileSync(fresh, text);
  let committed = null;
  try {
    committed = readFileSync(OUT, 'utf8');
  } catch {
    /* missing: reported below */
  }
  if (committed === text) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`${path.relative(WEB_DIR, OUT)} is up to date with docs/openapi.json`);
  } else {
    console.error(
      `${path.relative(WEB_DIR, OUT)} ${committed === null ? 'is missing' : 'differs from what docs/openapi.json generates'}.\n` +
        `Run \`npm run api:generate\` and commit the result (fresh output: ${fresh}).`,
    );
    process.exit(1);
  }
}
