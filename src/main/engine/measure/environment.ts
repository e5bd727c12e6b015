// The environment snapshot stored with every run: backend, device and versions.
import { createRequire } from 'node:module';
import os from 'node:os';
import type { BackendChoice, EnvironmentSnapshot } from '../../../shared/types';
import { listGpus } from './nvidia_smi';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function environmentSnapshot(backend: BackendChoice): EnvironmentSnapshot {
  const gpus = listGpus();
  const cpus = os.cpus();
  const onGpu = backend.name === 'tensorflow-gpu' && gpus.length > 0;
  return {
    backend,
    device: onGpu ? `gpu: ${gpus[0].name}` : `cpu: ${cpus[0]?.model.trim() ?? 'unknown'} x${cpus.length}`,
    gpu: onGpu ? gpus[0] : null,
    versions: {
      app: versionOf('../../../..'),
      node: process.versions.node,
      '@tensorflow/tfjs-core': versionOf('@tensorflow/tfjs-core'),
      '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
      'better-sqlite3': versionOf('better-sqlite3'),
    },
    platform: `${process.platform}-${process.arch}`,
    totalMemoryBytes: os.totalmem(),
    hostname: os.hostname(),
  };
}
