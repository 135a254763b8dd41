// Lint, including the dependency rules (README.md, Folder map): which folder may import which,
// with the reason for each rule in its message. dependency-cruiser (.dependency-cruiser.cjs)
// checks the same direction on the resolved graph and fails on any import cycle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';
import prettier from 'eslint-config-prettier/flat';

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'worker_threads',
  'http',
  'https',
  'net',
  'url',
  'crypto',
  'util',
];

/** Folder import zones: target folder may not import from `from`, for `message`. */
const ZONES = [
  { target: './core', from: './db', message: 'core/ is the pure simulator; storage lives in db/ and depends on core, not the reverse.' },
  { target: './core', from: './electron', message: 'core/ is the pure simulator; hosts (electron/) call into core, never the reverse.' },
  { target: './core', from: './renderer', message: 'core/ must not know about the UI.' },
  { target: './core', from: './e2e', message: 'core/ must not depend on tests.' },
  { target: './db', from: './electron', message: 'db/ is used by the main-process side; it must not depend on its hosts.' },
  { target: './db', from: './renderer', message: 'db/ must not know about the UI.' },
  { target: './electron', from: './renderer', message: 'the main-process side talks to the renderer only through the typed IPC/HTTP API.' },
  { target: './renderer', from: './db', message: 'the renderer reaches data only through the lab API (core/contract), never SQLite.' },
  { target: './renderer', from: './electron', message: 'the renderer reaches the main process only through the lab API (core/contract).' },
  {
    target: './renderer',
    from: './core',
    except: ['./contract'],
    message: 'the renderer may use only core/contract (types), never the simulator itself.',
  },
  { target: './e2e', from: './db', message: 'e2e specs drive the app like a user, through the UI only.' },
  { target: './e2e', from: './electron', message: 'e2e specs drive the app like a user, through the UI only.' },
  { target: './e2e', from: './renderer', message: 'e2e specs go through the app driver and the page, not renderer modules.' },
];

function bannedPackages(names, message) {
  return names.map((name) => ({ group: [name], message }));
}

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', '.bench-*/**', 'playwright-report/**', 'test-results/**', '.electron-native/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    rules: { 'vue/max-attributes-per-line': 'off', 'vue/singleline-html-element-content-newline': 'off', 'vue/html-self-closing': 'off' },
  },
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: ZONES }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // noUncheckedIndexedAccess makes every typed-array read `T | undefined`; hot loops assert instead of branching.
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}', 'electron/**/*.ts', 'db/**/*.ts', 'bench/**/*.ts', 'e2e/**/*.ts', '*.config.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/**/*.test.ts', 'core/**/*.testkit.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...bannedPackages(
              ['electron', 'better-sqlite3', 'vue', 'pinia', 'uplot', 'sirv', ...NODE_BUILTINS],
              'core/ is pure TypeScript: no Electron, SQLite, UI or Node APIs (README.md, Folder map).',
            ),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['Date', 'performance', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'console', 'window', 'document'].map((name) => ({
          name,
          message: 'core/ has no clocks, timers, process or DOM: time is simulated and results are data.',
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use the run PRNG (core/sim/prng.ts) so runs stay deterministic.' },
      ],
    },
  },
  // Layout is Prettier's job; this turns off the stylistic rules that would fight it.
  prettier,
  {
    files: ['db/**/*.ts'],

    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: bannedPackages(['electron', 'vue', 'pinia'], 'db/ is the store: no Electron or UI.') },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main/**', 'electron/preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: bannedPackages(
            ['electron'],
            "only electron/main and electron/preload import 'electron'; the service, CLI and browser host must run in plain Node.",
          ),
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/**'],
              allowTypeImports: true,
              message: 'the renderer imports only types from core/contract; data comes through the lab API.',
            },
            ...bannedPackages(
              ['electron', 'better-sqlite3', ...NODE_BUILTINS],
              'the renderer runs in a sandboxed page: no Node, Electron or SQLite.',
            ),
          ],
        },
      ],
    },
  },
);
