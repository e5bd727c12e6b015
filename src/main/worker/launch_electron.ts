// The app's worker launcher: Electron's utilityProcess, a Node child process that Electron
// manages (it ends with the app and is listed in the task manager). Same protocol as fork.
import { utilityProcess } from 'electron';
import type { WorkerMessage } from './protocol';
import { exitReason, StderrTail, type WorkerLauncher } from './launch';

/** Grace given to a worker to exit by itself after its last message. */
const EXIT_GRACE_MS = 5000;

/** `modulePath` is the built worker, out/main/train_worker.js. */
export function utilityLauncher(modulePath: string): WorkerLauncher {
  return (callbacks) => {
    const child = utilityProcess.fork(modulePath, [], { serviceName: 'PEFT training run', stdio: ['ignore', 'inherit', 'pipe'] });
    const stderr = new StderrTail();
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      process.stderr.write(chunk);
    });
    child.on('message', (msg: WorkerMessage) => {
      callbacks.message(msg);
      // A utility process keeps running while its parent port is open: end it once it has said all.
      if (msg.type === 'done' || msg.type === 'failed') setTimeout(() => child.kill(), EXIT_GRACE_MS).unref();
    });
    child.on('exit', (code) => callbacks.exit(exitReason(code, null, stderr)));
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => child.postMessage(msg),
      kill: () => {
        child.kill();
      },
    };
  };
}
