// Builds out/renderer for the browser tests unless it is newer than the renderer's sources.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Newest modification time under `folder`. */
function newest(folder: string): number {
  return Math.max(...readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs));
}

export function ensureRendererBuilt(root: string): string {
  const renderer = path.join(root, 'out', 'renderer');
  const index = path.join(renderer, 'index.html');
  const sources = Math.max(newest(path.join(root, 'src/renderer')), newest(path.join(root, 'src/shared')));
  if (existsSync(index) && statSync(index).mtimeMs > sources) return renderer;
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
  return renderer;
}
