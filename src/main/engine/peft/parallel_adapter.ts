// parallel_adapter — scaled parallel adapter at every feed-forward (He et al. 2022,
// https://arxiv.org/abs/2110.04366), as the study's `scaled_parallel` (`ParBnConfig(scaling="learned")`):
// reduction factor 2, relu, down kaiming-uniform and up zero (output unchanged at init), and one
// learned scalar s per adapter starting at 1. The adapter reads the un-normalised stream x:
//
//   x ──┬─► norm ──► FFN ──► h ──(+)──(+)──► y = x + h + s·A(x)
//       ├──────────────────────────┘    │
//       └─► down ─► relu ─► up ─► ×s ───┘
import { adapterMethod } from './parts/adapter_method';

export const parallel_adapter = adapterMethod({
  id: 'parallel_adapter',
  title: 'Scaled parallel adapter',
  paper: 'https://arxiv.org/abs/2110.04366',
  defaults: { reduction_factor: 2, non_linearity: 'relu', scaling: 'learned' },
  fixed: { wiring: 'parallel', kinds: ['feed_forward'], init: 'mam', phm: false },
});
