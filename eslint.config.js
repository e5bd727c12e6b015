// Lint for the whole repository (`npm run lint`). Svelte components are checked by
// svelte-check (`npm run typecheck:web`), not here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', '*.ts'];
const IPC_MAIN_FILE = 'src/main/ipc.ts';
const PRELOAD_FILES = 'src/preload/**/*.ts';
/** Code that runs without Electron (CLI, training worker, tests) or in the sandboxed renderer. */
const NO_ELECTRON_FILES = ['src/main/engine/**', 'src/main/store/**', 'src/main/cli/**', 'src/shared/**', 'src/renderer/**', 'bench/**'];

const WHY = {
  ipcMain: `ipcMain is used only in ${IPC_MAIN_FILE}: add the channel to src/shared/ipc.ts and its handler to src/main/handlers.ts.`,
  ipcRenderer: 'ipcRenderer is used only in src/preload: call window.api in the renderer.',
};

/** Bans importing or reaching `names` of the electron module. */
function banElectronNames(names) {
  return {
    'no-restricted-imports': [
      'error',
      { paths: names.map((name) => ({ name: 'electron', importNames: [name], message: WHY[name] })) },
    ],
    'no-restricted-syntax': [
      'error',
      ...names.map((name) => ({ selector: `MemberExpression[property.name="${name}"]`, message: WHY[name] })),
    ],
  };
}

export default defineConfig([
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test/fixtures/**', 'test-output/**', 'runs/**', 'tmp/**'] },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/renderer/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  { files: TS_FILES, ignores: [IPC_MAIN_FILE, PRELOAD_FILES], rules: banElectronNames(['ipcMain', 'ipcRenderer']) },
  { files: [IPC_MAIN_FILE], rules: banElectronNames(['ipcRenderer']) },
  { files: [PRELOAD_FILES], rules: banElectronNames(['ipcMain']) },
  {
    files: NO_ELECTRON_FILES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only src/main (outside engine, store and cli) and src/preload may import electron; this code also runs without it.',
            },
          ],
        },
      ],
    },
  },
]);
