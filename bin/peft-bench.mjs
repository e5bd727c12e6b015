#!/usr/bin/env node
// The peft-bench command: runs the TypeScript CLI through tsx (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/main.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`peft-bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
