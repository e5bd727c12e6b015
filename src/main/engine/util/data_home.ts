// The user's data folder for the workbench (the store, built models, caches): $PEFT_BENCH_HOME,
// else the platform's application-data folder.
import * as os from 'node:os';
import * as path from 'node:path';

export function dataHome(): string {
  const env = process.env;
  const home = os.homedir();
  if (env.PEFT_BENCH_HOME) return env.PEFT_BENCH_HOME;
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'peft-workbench');
  if (process.platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'peft-workbench');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'peft-workbench');
}
