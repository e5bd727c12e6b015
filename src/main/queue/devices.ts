// The devices queue items can be assigned to: each GPU nvidia-smi lists (by its index), then the CPU.
import type { DeviceOption } from '../../shared/queue_ipc';
import type { GpuInfo } from '../../shared/types';
import { listGpus } from '../engine/measure/nvidia_smi';

export function queueDevices(gpus: GpuInfo[] = listGpus()): DeviceOption[] {
  return [...gpus.map((g, i) => ({ id: i, label: `GPU ${i} · ${g.name}` })), { id: 'cpu' as const, label: 'CPU' }];
}
