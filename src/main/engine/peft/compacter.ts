// compacter — Houlsby-placed adapters whose projections are PHM layers (Karimi Mahabadi et al. 2021,
// https://arxiv.org/abs/2106.04647), as the study's adapters `CompacterConfig`: reduction factor 32,
// exact GELU, n = 4, rank-1 factors W_i = left_i·right_i, one n×n×n rule shared by every adapter and
// both projections (N(0, 1e-4), so the output barely moves at init), factors Xavier-normal.
//
//   W_down = Σ_i rule_i ⊗ (left_i · right_i)      (d × m), and likewise W_up (m × d)
//   y = x + h + W_upᵀ·gelu(W_downᵀ·h + b_down) + b_up
import { adapterMethod } from './parts/adapter_method';

export const compacter = adapterMethod({
  id: 'compacter',
  title: 'Compacter',
  paper: 'https://arxiv.org/abs/2106.04647',
  defaults: { reduction_factor: 32, non_linearity: 'gelu', phm_dim: 4 },
  fixed: { wiring: 'serial_output', kinds: ['self_attention', 'feed_forward'], init: 'bert', phm: true },
});
