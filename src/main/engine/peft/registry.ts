// The method table: id → method. A test checks every key equals its method's id.
import { compacter } from './compacter';
import { compacter_pp } from './compacter_pp';
import { full } from './full';
import { houlsby } from './houlsby';
import { ia3 } from './ia3';
import { ln_tuning } from './ln_tuning';
import { lora_all } from './lora_all';
import { lora_qv } from './lora_qv';
import type { PeftMethod } from './method';
import { parallel_adapter } from './parallel_adapter';
import { pfeiffer } from './pfeiffer';

export const METHODS: Record<string, PeftMethod> = {
  full,
  houlsby: houlsby as unknown as PeftMethod,
  pfeiffer: pfeiffer as unknown as PeftMethod,
  parallel_adapter: parallel_adapter as unknown as PeftMethod,
  ia3: ia3 as unknown as PeftMethod,
  ln_tuning,
  lora_qv: lora_qv as unknown as PeftMethod,
  lora_all: lora_all as unknown as PeftMethod,
  compacter: compacter as unknown as PeftMethod,
  compacter_pp: compacter_pp as unknown as PeftMethod,
};

export function getMethod(id: string): PeftMethod {
  const m = METHODS[id];
  if (!m) throw new Error(`unknown method "${id}"; available: ${Object.keys(METHODS).join(', ')}`);
  return m;
}
