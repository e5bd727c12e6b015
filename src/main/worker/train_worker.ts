// Entry of a training worker process: one run, then exit. Crashes stay in this process;
// the parent records how the run ended.
import { initBackend } from '../engine/backend';
import { environmentSnapshot } from '../engine/measure/environment';
import { runOne } from '../engine/run';
import type { StartMessage, WorkerMessage } from './protocol';

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(msg, () => resolve()) : resolve()));
}

async function handle(msg: StartMessage): Promise<void> {
  try {
    const backend = await initBackend(msg.backend ? { force: msg.backend } : {});
    await send({ type: 'started', env: environmentSnapshot(backend) });
    const result = await runOne(msg.input, {
      metrics: (points) => void send({ type: 'metrics', points }),
      progress: (p) => void send({ type: 'progress', ...p }),
    });
    await send({ type: 'done', result });
  } catch (err) {
    await send({ type: 'failed', reason: (err as Error).message ?? String(err) });
  } finally {
    process.disconnect?.();
  }
}

process.once('message', (msg: StartMessage) => void handle(msg));
