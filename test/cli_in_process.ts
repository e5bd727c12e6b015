// `peft-bench` run in the test's own process (fast, no Node start-up): its exit code, what it
// printed, and, where it threw, exit code 2 and the message, as bin/peft-bench.mjs reports them.
import { main } from '../src/main/cli/main';

export async function cliInProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((c: string) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
  try {
    return { code: await main(args), out: chunks.join(''), err: '' };
  } catch (err) {
    return { code: 2, out: chunks.join(''), err: (err as Error).message };
  } finally {
    process.stdout.write = write;
  }
}
