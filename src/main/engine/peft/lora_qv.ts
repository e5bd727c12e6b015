// lora_qv — LoRA on the query and value projections of every attention (Hu et al. 2022,
// https://arxiv.org/abs/2106.09685), cross-attention included, as in the study's code.
//
//   x ──► W (frozen) ───────────────┐
//   │                               (+) ──► y = x·W + (α/r)·x·A·B
//   └──► A (in×r) ──► B (r×out) ──► ×α/r
//
// A is kaiming-uniform(a=√5), B is zero, so the output is unchanged at initialisation.
import { loraMethod } from './parts/lora_method';

export type { LoraOptions } from './parts/lora_method';

export const lora_qv = loraMethod('lora_qv', 'LoRA on q and v', ['query', 'value']);
