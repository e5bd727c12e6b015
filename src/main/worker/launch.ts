// How the runner starts a training worker: one small interface, two implementations.
// `forkLauncher` (child_process.fork) serves the CLI and the tests; the app uses Electron's
// utilityProcess (launch_electron.ts), so this file never imports Electron.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StartMessage, WorkerMessage } from './protocol';

/** What the launcher reports about one worker process. */
export interface WorkerCallbacks {
  message(msg: WorkerMessage): void;
  /** The process has ended (or could not start); `reason` says how, in words. */
  exit(reason: string): void;
}

export interface WorkerHandle {
  /** The OS process id, once known (used to sample its GPU memory). */
  readonly pid: number | undefined;
  send(msg: StartMessage): void;
  kill(): void;
}

export type WorkerLauncher = (callbacks: WorkerCallbacks) => WorkerHandle;

/** The worker entry as TypeScript source, run through tsx by the CLI and the tests. */
export const WORKER_SOURCE = fileURLToPath(new URL('./train_worker.ts', import.meta.url));

/** Keeps the last bytes a worker wrote to stderr, to explain a crash (e.g. V8's heap-limit message). */
export class StderrTail {
  private text = '';
  constructor(private readonly keep = 4096) {}

  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.keep);
  }

  /** The most telling line: V8's fatal error, else the last error line, else the last line. */
  summary(): string {
    const lines = this.text.split('\n').map((l) => l.trim()).filter(Boolean).reverse();
    const telling = lines.find((l) => /FATAL ERROR/.test(l)) ?? lines.find((l) => /\bError\b|out of memory/i.test(l));
    return (telling ?? lines[0] ?? '').slice(0, 300);
  }
}

const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed|out of memory|OOM when allocating|failed to allocate/i;
const SMALLER_BATCH = 'try a smaller budget.micro_batch (the effective batch is kept by accumulation) or budget.max_input_tokens';

/** The reason of a run the engine ended with an error: an allocation failure also gets the remedy. */
export function failureReason(message: string): string {
  return OUT_OF_MEMORY.test(message) && !message.includes('budget.micro_batch') ? `ran out of memory (${message}); ${SMALLER_BATCH}` : message;
}

/** Describes how a worker process ended before it reported a result. */
export function exitReason(code: number | null, signal: string | null, stderr: StderrTail): string {
  const said = stderr.summary();
  let what: string;
  if (OUT_OF_MEMORY.test(said)) what = `worker ran out of memory; ${SMALLER_BATCH}`;
  else if (signal === 'SIGKILL') what = `worker killed by SIGKILL (by the user or the system; if it ran out of memory, ${SMALLER_BATCH})`;
  else if (signal) what = `worker killed by ${signal}`;
  else what = `worker exited with code ${code} before finishing`;
  return said && !what.includes(said) ? `${what}: ${said}` : what;
}

export interface ForkOptions {
  /** The worker module; .ts files run through tsx. Default: train_worker.ts next to this file. */
  modulePath?: string;
  /** Extra Node flags for the worker, e.g. ['--max-old-space-size=4096']. */
  execArgv?: string[];
}

/** Starts workers with child_process.fork (Node's IPC channel, structured clone). */
export function forkLauncher(options: ForkOptions = {}): WorkerLauncher {
  const modulePath = options.modulePath ?? WORKER_SOURCE;
  // tsx by absolute URL: a bare `--import tsx` is looked up from the current directory, so
  // `peft-bench compare` started outside the project would fail every run.
  const execArgv = [...(modulePath.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []), ...(options.execArgv ?? [])];
  return (callbacks) => {
    const child = fork(modulePath, [], { execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' });
    const stderr = new StderrTail();
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      process.stderr.write(chunk);
    });
    child.on('message', (msg: WorkerMessage) => callbacks.message(msg));
    child.on('error', (err) => callbacks.exit(`worker could not start: ${err.message}`));
    // 'close' comes after stderr is drained, so the reason can quote the worker's last words.
    child.on('close', (code, signal) => callbacks.exit(exitReason(code, signal, stderr)));
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => {
        child.send(msg);
      },
      kill: () => {
        child.kill('SIGKILL');
      },
    };
  };
}
