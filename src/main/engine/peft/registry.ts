// The method table: id → method. A test checks every key equals its method's id. Every row trains
// the model's task head too, where it has one (task_head.ts).
import { bitfit } from './bitfit';
import { compacter } from './compacter';
import { compacter_pp } from './compacter_pp';
import { dora } from './dora';
import { full } from './full';
import { houlsby } from './houlsby';
import { ia3 } from './ia3';
import { krona } from './krona';
import { ln_tuning } from './ln_tuning';
import { lora_all } from './lora_all';
import { lora_qv } from './lora_qv';
import { mam } from './mam';
import type { PeftMethod } from './method';
import { parallel_adapter } from './parallel_adapter';
import { pfeiffer } from './pfeiffer';
import { prefix_tuning } from './prefix_tuning';
import { prompt_tuning } from './prompt_tuning';
import { withTaskHead } from './task_head';
import { unipelt } from './unipelt';

const TABLE: Record<string, PeftMethod> = {
  full,
  houlsby: houlsby as unknown as PeftMethod,
  pfeiffer: pfeiffer as unknown as PeftMethod,
  parallel_adapter: parallel_adapter as unknown as PeftMethod,
  ia3: ia3 as unknown as PeftMethod,
  prefix_tuning: prefix_tuning as unknown as PeftMethod,
  prompt_tuning: prompt_tuning as unknown as PeftMethod,
  ln_tuning,
  lora_qv: lora_qv as unknown as PeftMethod,
  lora_all: lora_all as unknown as PeftMethod,
  krona: krona as unknown as PeftMethod,
  compacter: compacter as unknown as PeftMethod,
  compacter_pp: compacter_pp as unknown as PeftMethod,
  mam: mam as unknown as PeftMethod,
  unipelt: unipelt as unknown as PeftMethod,
  bitfit: bitfit as unknown as PeftMethod,
  dora: dora as unknown as PeftMethod,
};

export const METHODS: Record<string, PeftMethod> = Object.fromEntries(Object.entries(TABLE).map(([id, m]) => [id, withTaskHead(m)]));

export function getMethod(id: string): PeftMethod {
  const m = METHODS[id];
  if (!m) throw new Error(`unknown method "${id}"; available: ${Object.keys(METHODS).join(', ')}`);
  return m;
}
