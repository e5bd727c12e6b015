// Picks the TF.js backend once per process: tensorflow-gpu, tensorflow, wasm, cpu, in that order.
//
// The two native backends are optional dependencies (they download libtensorflow at install
// time), so they are imported by a module name held in a variable: TypeScript then compiles
// without them, and a missing one is recorded in `skipped` with the reason.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no kernel gradients; the union package registers them all on the
// same (CommonJS) tfjs-core instance, so the engine can train.
import '@tensorflow/tfjs';
import type * as WasmPackage from '@tensorflow/tfjs-backend-wasm';
import { Blob, resolveObjectURL } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname } from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import type { BackendChoice, BackendName } from '../../shared/types';
import { registerWasmKernels } from './wasm_kernels';

export interface BackendOptions {
  /** Try only this backend, and throw if it cannot start (the CLI's --backend). */
  force?: BackendName;
  /**
   * Threads for the wasm backend. 1 (default) loads the single-threaded SIMD binary, which is
   * what TF.js picks under Node; more loads the multi-threaded SIMD binary through the worker
   * shim below: about 2x on a 512x256x256 matmul with 2 threads on an idle 2-core machine, but
   * slower than 1 thread when other processes compete for the cores.
   */
  wasmThreads?: number;
}

const ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** The package that provides each backend and the name TF.js registers it under. */
const PACKAGES: Record<BackendName, { module: string; tfName: string; hint: string }> = {
  'tensorflow-gpu': {
    module: '@tensorflow/tfjs-node-gpu',
    tfName: 'tensorflow',
    hint: 'optional dependency; needs CUDA and a libtensorflow download',
  },
  tensorflow: {
    module: '@tensorflow/tfjs-node',
    tfName: 'tensorflow',
    hint: 'optional dependency; needs a libtensorflow download',
  },
  wasm: { module: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm', hint: 'run npm install' },
  cpu: { module: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu', hint: 'run npm install' },
};

let chosen: Promise<BackendChoice> | null = null;
let settled: BackendChoice | null = null;

/**
 * Starts the best available backend (or the forced one) and returns what was chosen.
 * Later calls return the same choice; a later call forcing another backend throws.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  if (opts.force !== undefined && !ORDER.includes(opts.force)) {
    throw new Error(`backend must be one of ${ORDER.join(', ')}, got '${String(opts.force)}'`);
  }
  const threads = opts.wasmThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`wasmThreads must be a positive integer, got ${String(opts.wasmThreads)}`);
  }
  if (chosen === null) {
    const pending = selectBackend(opts);
    chosen = pending;
    pending.then((c) => (settled = c), () => (chosen = null));
  }
  const choice = await chosen;
  if (opts.force !== undefined && opts.force !== choice.name) {
    throw new Error(
      `backend '${opts.force}' was requested but this process already runs on '${choice.name}'; ` +
        'the backend is chosen once per process, so start a new process to change it',
    );
  }
  return choice;
}

/** The backend chosen by initBackend; throws before it has finished. */
export function backendChoice(): BackendChoice {
  if (settled === null) {
    throw new Error('the TF.js backend is not initialised yet: await initBackend() first');
  }
  return settled;
}

async function selectBackend(opts: BackendOptions): Promise<BackendChoice> {
  const candidates = opts.force !== undefined ? [opts.force] : ORDER;
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    const reason = await tryBackend(name, opts.wasmThreads ?? 1);
    if (reason === null) return { name, skipped, forced: opts.force !== undefined };
    skipped.push({ name, reason });
  }
  if (opts.force !== undefined) {
    throw new Error(`backend '${opts.force}' (forced with --backend) could not start: ${skipped[0].reason}`);
  }
  const reasons = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(`no TF.js backend could start (${reasons})`);
}

/** Starts one backend; returns null on success or a short reason why it was skipped. */
async function tryBackend(name: BackendName, wasmThreads: number): Promise<string | null> {
  const pkg = PACKAGES[name];
  if (name === 'tensorflow-gpu') {
    const noGpu = cudaImplausible();
    if (noGpu !== null) return noGpu;
  }
  let loaded: unknown;
  try {
    loaded = await import(/* @vite-ignore */ pkg.module);
  } catch (err) {
    return importFailure(pkg.module, pkg.hint, err);
  }
  if (tf.findBackendFactory(pkg.tfName) === null) {
    return `${pkg.module} loaded but registered no '${pkg.tfName}' backend with this ` +
      '@tensorflow/tfjs-core (two tfjs-core copies of different versions?)';
  }
  if (name !== 'wasm') return setBackendCapturingWarnings(pkg.tfName);
  const wasm = loaded as typeof WasmPackage;
  // An absolute folder, so the .wasm files are found from any cwd and from bundled code.
  wasm.setWasmPaths(`${dirname(createRequire(import.meta.url).resolve(pkg.module))}/`);
  const shim = wasmThreads > 1 ? installWasmThreads(wasm, wasmThreads) : null;
  const listeners = processListeners();
  let failure: string | null;
  try {
    failure = await setBackendCapturingWarnings(pkg.tfName);
  } finally {
    shim?.afterInit();
    removeListenersAddedSince(listeners);
  }
  if (failure === null) registerWasmKernels();
  return failure;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const processEvents: EventEmitter = process;
type Listener = (...args: unknown[]) => void;

function processListeners(): Map<string, Listener[]> {
  return new Map(PROCESS_EVENTS.map((e) => [e, processEvents.listeners(e) as Listener[]]));
}

/**
 * The Emscripten module adds process handlers that rethrow every uncaught error, which makes
 * Node print a line of minified wasm glue instead of the error's own source; they exist for
 * Emscripten's exit(), which TF.js never calls, so they are removed.
 */
function removeListenersAddedSince(before: Map<string, Listener[]>): void {
  for (const event of PROCESS_EVENTS) {
    for (const listener of processEvents.listeners(event) as Listener[]) {
      if (!before.get(event)?.includes(listener)) processEvents.removeListener(event, listener);
    }
  }
}

/** Why a CUDA device is implausible here, or null when one may exist. */
function cudaImplausible(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return `no CUDA build of TensorFlow for ${process.platform}`;
  }
  const markers = process.platform === 'linux'
    ? ['/proc/driver/nvidia/version', '/dev/nvidiactl', '/usr/lib/wsl/lib/libcuda.so']
    : [`${process.env.SystemRoot ?? 'C:\\Windows'}\\System32\\nvcuda.dll`];
  if (markers.some((m) => existsSync(m))) return null;
  return `no NVIDIA driver found (${markers.join(', ')} missing)`;
}

function importFailure(moduleName: string, hint: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = String(e?.message ?? err);
  const notFound = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND';
  // The package itself, not a file inside it (a missing native binding names its full path).
  if (notFound && message.includes(`'${moduleName}'`)) return `${moduleName} is not installed (${hint})`;
  return `${moduleName} failed to load: ${firstLine(message)}`;
}

/**
 * tf.setBackend reports an initialisation failure only as `false` plus console warnings, so
 * the warnings are captured to give the reason.
 */
async function setBackendCapturingWarnings(tfName: string): Promise<string | null> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  try {
    const ok = await tf.setBackend(tfName);
    if (ok && tf.getBackend() === tfName) return null;
  } catch (err) {
    warnings.push(String((err as Error)?.message ?? err));
  } finally {
    console.warn = warn;
  }
  const detail = warnings.filter((w) => !w.startsWith('Initialization of backend')).map(firstLine);
  return `initialisation failed: ${detail[0] ?? 'no reason given by TF.js'}`;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text;
}

// ---------------------------------------------------------------------------------------------
// Multi-threaded wasm under Node.
//
// TF.js turns threads off under Node (tfjs#3830): Emscripten starts each pthread worker from a
// blob: URL, which Node's Worker rejects (ERR_WORKER_PATH), and sends the module factory as a
// Blob whose source refers to helpers of the bundle it was cut from. The shim:
//   main thread                              each worker (eval'd bootstrap below)
//   global Worker -> BlobUrlWorker ------->  reads the worker script from the Blob, defines the
//   (blob: URL resolved to its Blob)         bundle's helpers, turns the factory Blob of the
//                                            'load' message into text for importScripts
// Emscripten also caps threads at os.cpus().length / 2 (it assumes hyper-threads), so cpus()
// reports at least 2 x threads while the backend starts.
// ---------------------------------------------------------------------------------------------

const WORKER_BOOTSTRAP = `
const { parentPort, workerData } = require('worker_threads');
Object.assign(globalThis, {
  require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'),
  require$$4: require('os'), commonjsGlobal: globalThis, _scriptDir: undefined,
  __filename: '[tfjs-wasm-pthread]',
  __read: (o, n) => { const it = o[Symbol.iterator](), r = []; let x;
    while ((n === undefined || n-- > 0) && !(x = it.next()).done) r.push(x.value); return r; },
  __spreadArray: (to, from) => to.concat(Array.prototype.slice.call(from)),
  __values: (o) => o[Symbol.iterator](),
});
const FACTORY = 'tfjs-wasm-factory';
let factorySource = '';
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, listener) => {
  if (event !== 'message') return on(event, listener);
  let queue = Promise.resolve();
  return on('message', (data) => { queue = queue.then(async () => {
    if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') {
      factorySource = await data.urlOrBlob.text();
      data.urlOrBlob = FACTORY;
    }
    listener(data);
  }); });
};
workerData.script.text().then((source) => {
  (0, eval)(source);
  const importScripts = globalThis.importScripts;
  globalThis.importScripts = (f) => f === FACTORY ? (0, eval)(factorySource) : importScripts(f);
});
`;

function installWasmThreads(wasm: typeof WasmPackage, count: number): { afterInit(): void } {
  const workers: NodeWorker[] = [];
  let started = false;
  class BlobUrlWorker extends NodeWorker {
    constructor(url: string | URL, options?: ConstructorParameters<typeof NodeWorker>[1]) {
      const script = typeof url === 'string' && url.startsWith('blob:') ? resolveObjectURL(url) : undefined;
      // execArgv: [] keeps flags such as --input-type=module or --import loaders of the main
      // thread away from the CommonJS bootstrap.
      if (script instanceof Blob) super(WORKER_BOOTSTRAP, { eval: true, execArgv: [], workerData: { script } });
      else super(url, options);
      // Idle pthread workers must not keep the process alive once the backend is up.
      if (started) this.unref();
      else workers.push(this);
    }
  }
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => BlobUrlWorker,
    set: () => undefined, // Emscripten assigns worker_threads.Worker here; keep the shim.
  });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(count);
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return real.length >= 2 * count ? real : Array.from({ length: 2 * count }, (_, i) => real[i % real.length]);
  };
  return {
    afterInit() {
      os.cpus = cpus;
      started = true;
      for (const w of workers) w.unref();
    },
  };
}
