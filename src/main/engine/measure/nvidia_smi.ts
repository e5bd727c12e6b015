// A thin wrapper over nvidia-smi: device list and per-process memory, for GPU runs.
import { execFileSync } from 'node:child_process';
import type { GpuInfo } from '../../../shared/types';

const MIB = 1024 * 1024;

function run(args: string[]): string | null {
  try {
    return execFileSync('nvidia-smi', args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null; // not installed, no driver, or no device
  }
}

/** Parses `--query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits`. */
export function parseGpuList(csv: string): GpuInfo[] {
  return csv.split('\n').filter((l) => l.trim()).map((line) => {
    const [name, driver, total] = line.split(',').map((s) => s.trim());
    const mib = Number(total);
    if (!name || !driver || !Number.isFinite(mib)) throw new Error(`nvidia-smi: unexpected line "${line}"`);
    return { name, driver, memoryTotalBytes: mib * MIB };
  });
}

/** Parses `--query-compute-apps=pid,used_memory --format=csv,noheader,nounits` into pid → bytes. */
export function parseComputeApps(csv: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of csv.split('\n')) {
    const [pid, used] = line.split(',').map((s) => Number(s.trim()));
    if (Number.isInteger(pid) && Number.isFinite(used)) out.set(pid, (out.get(pid) ?? 0) + used * MIB);
  }
  return out;
}

/** The machine's NVIDIA GPUs, or an empty list where there are none. */
export function listGpus(): GpuInfo[] {
  const out = run(['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits']);
  return out ? parseGpuList(out) : [];
}

/** Samples a process's GPU memory once a second; `stop()` gives the peak, or null without a GPU. */
export function sampleGpuMemory(pid: number, intervalMs = 1000): { stop(): number | null } {
  if (!listGpus().length) return { stop: () => null };
  let peak = 0;
  const tick = () => {
    const out = run(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
    if (out) peak = Math.max(peak, parseComputeApps(out).get(pid) ?? 0);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      tick();
      return peak;
    },
  };
}
