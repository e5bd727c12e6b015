// Files under the project's resources/ folder, found upward from the calling module, as the
// built main process lives a few folders deeper than the source tree.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of resources/<relative>, or null when no resources folder above has it. */
export function findResource(relative: string, from: string = import.meta.url): string | null {
  let dir = path.dirname(fileURLToPath(from));
  for (let up = 0; up < 6; up++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'resources', relative);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
