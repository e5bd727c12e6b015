// houlsby — two sequential bottleneck adapters per block (Houlsby et al. 2019, https://arxiv.org/abs/1902.00751),
// as the study's adapters `DoubleSeqBnConfig`: after every self-attention and every feed-forward,
// none after cross-attention; reduction factor 16, swish, weights N(0, 0.02) (so the output
// changes from the first step).
//
//   x ──► norm ──► sublayer ──► h ──┬──────────────────┐
//   │                               └─► down ─► φ ─► up ─(+)─► (+) ──► y = x + h + A(h)
//   └──────────────────────────────────────────────────────────┘
import { adapterMethod } from './parts/adapter_method';

export const houlsby = adapterMethod({
  id: 'houlsby',
  title: 'Houlsby adapters',
  paper: 'https://arxiv.org/abs/1902.00751',
  defaults: { reduction_factor: 16, non_linearity: 'swish' },
  fixed: { wiring: 'serial_output', kinds: ['self_attention', 'feed_forward'], init: 'bert', phm: false },
});
