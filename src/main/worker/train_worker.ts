// Entry of a training worker process: one run, then exit. Crashes stay in this process;
// the parent records how the run ended. Runs under child_process.fork (CLI, tests) or as an
// Electron utilityProcess (the app); `channel` hides the difference.
import { initBackend } from '../engine/backend';
import { environmentSnapshot } from '../engine/measure/environment';
import { runOne } from '../engine/run';
import { MetricBatcher } from './batcher';
import { failureReason } from './launch';
import type { StartMessage, WorkerMessage } from './protocol';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Electron's utilityProcess gives `process.parentPort`; fork gives `process.send`. */
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(msg: WorkerMessage): Promise<void> {
  if (parentPort) {
    parentPort.postMessage(msg);
    return Promise.resolve();
  }
  return new Promise((resolve) => (process.send ? process.send(msg, () => resolve()) : resolve()));
}

function onStart(listener: (msg: StartMessage) => void): void {
  if (parentPort) parentPort.on('message', (event) => listener(event.data as StartMessage));
  else process.once('message', (msg) => listener(msg as StartMessage));
}

let finished = false;

async function finish(msg: WorkerMessage): Promise<void> {
  if (finished) return;
  finished = true;
  await send(msg);
  if (!parentPort) process.disconnect?.();
}

async function handle(msg: StartMessage): Promise<void> {
  const batcher = new MetricBatcher((m) => void send(m));
  try {
    const backend = await initBackend(msg.backend ? { force: msg.backend } : {});
    await send({ type: 'started', env: environmentSnapshot(backend) });
    const result = await runOne(msg.input, {
      metrics: (points) => batcher.addPoints(points),
      resumed: (step, skipped) => {
        batcher.flush();
        void send({ type: 'resumed', step, skipped });
      },
      progress: (p) => batcher.addProgress({ type: 'progress', ...p }),
    });
    batcher.flush();
    await finish({ type: 'done', result });
  } catch (err) {
    batcher.flush();
    await finish({ type: 'failed', reason: failureReason(errorText(err)) });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// An error thrown outside the run (a callback, a timer) still ends the run with its reason.
const crash = (err: unknown) => void finish({ type: 'failed', reason: `worker crashed: ${errorText(err)}` }).finally(() => process.exit(1));
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

onStart((msg) => void handle(msg));
