// Matrix-product FLOPs of one T5 training update, counted from the config, so a measured
// tokens/s can be put against the machine's measured matrix-product peak.
import type { T5Config } from '../src/main/engine/models/types';

/** Forward FLOPs (2 per multiply-add) for `batch` examples of `S` input and `T` target tokens. */
export function t5ForwardFlops(c: T5Config, batch: number, S: number, T: number): number {
  const inner = c.dKv * c.numHeads;
  const ffMats = c.feedForwardProj === 'gated-gelu' ? 3 : 2;
  const N = batch * S, Nt = batch * T;
  const linear = (tokens: number, inF: number, outF: number) => 2 * tokens * inF * outF;
  const encoderLayer = 4 * linear(N, c.dModel, inner) + ffMats * linear(N, c.dModel, c.dFf) + 4 * batch * S * S * inner;
  const decoderLayer = 4 * linear(Nt, c.dModel, inner) + 4 * batch * T * T * inner // self-attention
    + 2 * linear(Nt, c.dModel, inner) + 2 * linear(N, c.dModel, inner) + 4 * batch * T * S * inner // cross-attention
    + ffMats * linear(Nt, c.dModel, c.dFf);
  return c.numLayers * encoderLayer + c.numDecoderLayers * decoderLayer + linear(Nt, c.dModel, c.vocabSize);
}

/**
 * Training FLOPs per update: forward plus backward. Full fine-tuning computes gradients for
 * inputs and weights (3× forward); methods that freeze the big matrices need only the input
 * gradients through them (2× forward; their own small matrices are left out).
 */
export function t5TrainFlops(c: T5Config, method: string, examples: number, S: number, T: number): number {
  return (method === 'full' ? 3 : 2) * t5ForwardFlops(c, examples, S, T);
}
