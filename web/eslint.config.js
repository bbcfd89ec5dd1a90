import { readdirSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import reactRefresh from 'eslint-plugin-react-refresh';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;
const FEATURES = readdirSync(path.join(ROOT, 'src/features'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const SHARED = ['./src/components', './src/config', './src/hooks', './src/lib', './src/testing', './src/utils'];

// Import boundaries (bulletproof-react): a feature imports only itself and shared code; shared code imports
// no feature; only src/app composes features. Imports are resolved (relative or `@/…`), so a path cannot
// slip past the rule.
const boundaries = {
  'import-x/no-restricted-paths': [
    'error',
    {
      basePath: ROOT,
      zones: [
        ...FEATURES.map((f) => ({
          target: `./src/features/${f}`,
          from: './src/features',
          except: [`./${f}`],
          message: 'A feature does not import another feature: compose them in src/app (e.g. src/app/routes).',
        })),
        {
          target: './src/features',
          from: './src/app',
          message: 'Features do not import the app shell.',
        },
        {
          target: SHARED,
          from: ['./src/features', './src/app'],
          message: 'Shared code (components, hooks, lib, utils, config, testing) does not import features or the app.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'test-results', 'src/lib/api-schema.ts'] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
    },
    plugins: {
      'import-x': importX,
      'react-hooks': reactHooks,
      'react-refresh': reactRefresh,
    },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
          alias: { '@': [path.join(ROOT, 'src')] },
        }),
      ],
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...boundaries,
      'react-refresh/only-export-components': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The browser tests (Playwright Test) and the build config run in Node.
    files: ['e2e/**/*.ts', 'vite.config.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.node,
    },
    rules: {
      // Playwright hooks take their fixtures as an object pattern, also when they need none.
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.node,
    },
  },
);
