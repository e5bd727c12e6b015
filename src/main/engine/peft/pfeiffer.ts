// pfeiffer — one sequential bottleneck adapter after each feed-forward (Pfeiffer et al. 2020,
// https://arxiv.org/abs/2005.00247), as the study's adapters `SeqBnConfig`: reduction factor 16,
// relu, weights N(0, 0.02). The adapter reads the stream after the residual add:
//
//   x ──► norm ──► FFN ──► h ──(+)──► z ──┬──────────────────────(+)──► y = z + A(z)
//   └─────────────────────────┘           └─► down ─► relu ─► up ──┘
import { adapterMethod } from './parts/adapter_method';

export const pfeiffer = adapterMethod({
  id: 'pfeiffer',
  title: 'Pfeiffer adapter',
  paper: 'https://arxiv.org/abs/2005.00247',
  defaults: { reduction_factor: 16, non_linearity: 'relu' },
  fixed: { wiring: 'serial_residual', kinds: ['feed_forward'], init: 'bert', phm: false },
});
