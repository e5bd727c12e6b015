// Build of the three Electron bundles: out/main (ES module), out/preload (CommonJS, as a
// sandboxed preload requires) and out/renderer (Svelte).

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const ROOT = import.meta.dirname;

/**
 * The Electron major version the bundles target. electron-vite reads it from the installed
 * `electron` package (to pick the node/chrome build targets and the output format) and fails
 * when that package is absent, e.g. when its binary download failed on a machine without
 * internet. It also honours ELECTRON_MAJOR_VER, which we set from the version range in
 * package.json when the package is not installed, so `electron-vite build` works anyway.
 */
function electronMajorVersion(): string {
  try {
    const installed = createRequire(import.meta.url)('electron/package.json') as { version: string };
    return installed.version.split('.')[0];
  } catch {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const ranges = { ...(pkg.devDependencies as object), ...(pkg.optionalDependencies as object) } as Record<string, string>;
    const major = /\d+/.exec(ranges.electron ?? '')?.[0];
    if (!major) {
      throw new Error('electron.vite.config.ts: add "electron" to optionalDependencies or devDependencies in package.json');
    }
    return major;
  }
}

process.env.ELECTRON_MAJOR_VER ||= electronMajorVersion();

/** Native or optional packages loaded at run time from node_modules, never bundled. */
const NODE_EXTERNALS = ['electron', 'better-sqlite3', /^@tensorflow\//];

export default defineConfig({
  main: {
    build: {
      // The training worker is a second entry: the app starts it as a utilityProcess.
      lib: {
        entry: { index: resolve(ROOT, 'src/main/index.ts'), train_worker: resolve(ROOT, 'src/main/worker/train_worker.ts') },
        formats: ['es'],
      },
      rollupOptions: { external: NODE_EXTERNALS },
    },
  },
  preload: {
    build: {
      lib: { entry: resolve(ROOT, 'src/preload/index.ts'), formats: ['cjs'] },
      rollupOptions: {
        external: ['electron'],
        output: { entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(ROOT, 'src/renderer'),
    build: {
      rollupOptions: { input: resolve(ROOT, 'src/renderer/index.html') },
    },
    plugins: [svelte({ configFile: resolve(ROOT, 'svelte.config.js') })],
  },
});
