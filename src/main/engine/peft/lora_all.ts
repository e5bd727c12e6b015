// lora_all — LoRA on every Linear of every block (Hu et al. 2022, https://arxiv.org/abs/2106.09685):
// q, k, v, o of each attention and the feed-forward's in/gate and out projections, r 8, α 8, as the
// study's `hf_lora_all` (q, k, v, o, wi, wo on T5). On gated T5 (v1.1, Flan-T5) that means
// wi_0, wi_1 and wo; the study's module list ("wi") would have matched nothing there.
import { loraMethod } from './parts/lora_method';

export const lora_all = loraMethod('lora_all', 'LoRA on every Linear', [
  'query', 'key', 'value', 'attention_output', 'ffn_gate', 'ffn_up', 'ffn_down',
]);
