// compacter_pp — Compacter++: PHM adapters after each feed-forward only, Pfeiffer-wired
// (Karimi Mahabadi et al. 2021, https://arxiv.org/abs/2106.04647), as the study's adapters
// `CompacterPlusPlusConfig`: reduction factor 32, exact GELU, n = 4, shared rule (see compacter.ts).
import { adapterMethod } from './parts/adapter_method';

export const compacter_pp = adapterMethod({
  id: 'compacter_pp',
  title: 'Compacter++',
  paper: 'https://arxiv.org/abs/2106.04647',
  defaults: { reduction_factor: 32, non_linearity: 'gelu', phm_dim: 4 },
  fixed: { wiring: 'serial_residual', kinds: ['feed_forward'], init: 'bert', phm: true },
});
