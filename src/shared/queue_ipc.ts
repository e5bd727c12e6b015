// The queue's part of the IPC contract: what the Queue page reads and the checks of each
// request it sends (an error names the field and what it must be).
import { checkComparisonRequest, describeFieldErrors, type ComparisonRequest } from './comparison_request';

/** Where a queued comparison trains: the CPU, or the GPU of that index (as nvidia-smi numbers them). */
export type QueueDevice = 'cpu' | number;

export type QueueItemStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface QueueItem {
  id: number;
  /** 'retry' re-runs the failed runs of an experiment as a new attempt. */
  kind: 'comparison' | 'retry';
  name: string;
  device: QueueDevice;
  status: QueueItemStatus;
  /** The experiment it trains, once started (a retry knows it from the start). */
  experimentId: number | null;
  /** Runs it will train (the plan's count for a comparison, the failed runs for a retry). */
  runs: number;
  /** The plan's estimate of its training time when it was queued, or null when unknown. */
  estimateSeconds: number | null;
  reason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A device items can be assigned to. */
export interface DeviceOption {
  id: QueueDevice;
  label: string;
}

export interface QueueSnapshot {
  /** Rises with every snapshot main makes: an answer that arrives after a newer event is older, and ignored. */
  version: number;
  paused: boolean;
  /** Waiting items in the order they will start, then running ones, then the last finished ones. */
  items: QueueItem[];
  devices: DeviceOption[];
}

export interface QueueAddReq {
  request: ComparisonRequest;
  device?: QueueDevice;
}

export interface QueueMoveReq {
  id: number;
  /** The new place among the waiting items, 0 first. */
  to: number;
}

export interface QueueRetryReq {
  experimentId: number;
  device?: QueueDevice;
}

export interface QueueDeviceReq {
  id: number;
  device: QueueDevice;
}

export const QUEUE_STATUSES: readonly QueueItemStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'];

export function checkQueueAdd(payload: unknown): QueueAddReq {
  const fields = fieldsOf('queue:add', payload, ['request', 'device']);
  const { request, errors } = checkComparisonRequest(fields.request);
  if (!request) throw new Error(`queue:add: field 'request': ${describeFieldErrors(errors)}`);
  const device = optionalDevice('queue:add', fields.device);
  return device === undefined ? { request } : { request, device };
}

export function checkQueueMove(payload: unknown): QueueMoveReq {
  const fields = fieldsOf('queue:move', payload, ['id', 'to']);
  const id = positiveId('queue:move', fields, 'id');
  if (typeof fields.to !== 'number' || !Number.isSafeInteger(fields.to) || fields.to < 0) {
    throw new Error(`queue:move: field 'to' must be a place in the queue (0 or more), got ${describe(fields.to)}`);
  }
  return { id, to: fields.to };
}

export function checkQueueId(channel: string): (payload: unknown) => { id: number } {
  return (payload) => ({ id: positiveId(channel, fieldsOf(channel, payload, ['id']), 'id') });
}

export function checkQueueRetry(payload: unknown): QueueRetryReq {
  const fields = fieldsOf('queue:retry', payload, ['experimentId', 'device']);
  const experimentId = positiveId('queue:retry', fields, 'experimentId');
  const device = optionalDevice('queue:retry', fields.device);
  return device === undefined ? { experimentId } : { experimentId, device };
}

export function checkQueueDevice(payload: unknown): QueueDeviceReq {
  const fields = fieldsOf('queue:device', payload, ['id', 'device']);
  const id = positiveId('queue:device', fields, 'id');
  const device = optionalDevice('queue:device', fields.device);
  if (device === undefined) throw new Error(`queue:device: field 'device' is required ("cpu" or a GPU index)`);
  return { id, device };
}

/** 'cpu', or a GPU index; the stored text form is the same ('cpu', '0', '1', ...). */
export function parseDevice(text: string): QueueDevice {
  return text === 'cpu' ? 'cpu' : Number(text);
}

export function deviceLabel(device: QueueDevice): string {
  return device === 'cpu' ? 'CPU' : `GPU ${device}`;
}

function optionalDevice(channel: string, value: unknown): QueueDevice | undefined {
  if (value === undefined) return undefined;
  if (value === 'cpu') return 'cpu';
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < 64) return value;
  throw new Error(`${channel}: field 'device' must be "cpu" or a GPU index (0, 1, ...), got ${describe(value)}`);
}

function positiveId(channel: string, fields: Record<string, unknown>, key: string): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${channel}: field '${key}' must be a positive integer id, got ${describe(value)}`);
  }
  return value;
}

function fieldsOf(channel: string, payload: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(`${channel}: the request must be an object, got ${describe(payload)}`);
  }
  for (const key of Object.keys(payload)) {
    if (!allowed.includes(key)) throw new Error(`${channel}: unknown field '${key}' (known fields: ${allowed.map((k) => `'${k}'`).join(', ')})`);
  }
  return payload as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
