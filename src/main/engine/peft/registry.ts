// The method table: id → method. A test checks every key equals its method's id.
import { full } from './full';
import { ln_tuning } from './ln_tuning';
import { lora_qv } from './lora_qv';
import type { PeftMethod } from './method';

export const METHODS: Record<string, PeftMethod> = {
  full,
  lora_qv: lora_qv as unknown as PeftMethod,
  ln_tuning,
};

export function getMethod(id: string): PeftMethod {
  const m = METHODS[id];
  if (!m) throw new Error(`unknown method "${id}"; available: ${Object.keys(METHODS).join(', ')}`);
  return m;
}
