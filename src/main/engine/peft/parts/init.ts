// Seeded initialisers for method variables, named after PyTorch's so each method can say which it uses.
import * as tf from '@tensorflow/tfjs-core';
import { subSeed } from '../../util/rng';

/** A trainable variable from `init`, made inside tidy so no intermediate survives. */
export function trainableVar(init: () => tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(init(), true));
}

/** Never 0: TF.js treats seed 0 as "unseeded". */
function seedFor(seed: number, purpose: string): number {
  return subSeed(seed, purpose) || 1;
}

/** nn.init.kaiming_uniform_(a=√5), and nn.Linear's default bias: U(±1/√fan_in). */
export function kaimingUniform(shape: number[], fanIn: number, seed: number, purpose: string): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', seedFor(seed, purpose));
}

export function normal(shape: number[], std: number, seed: number, purpose: string): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', seedFor(seed, purpose));
}

/** nn.init.xavier_normal_ on a torch tensor with these fans. */
export function xavierNormal(shape: number[], fanIn: number, fanOut: number, seed: number, purpose: string): tf.Tensor {
  return normal(shape, Math.sqrt(2 / (fanIn + fanOut)), seed, purpose);
}

/** A detached copy in the backward pass: the value of x, no gradient (torch's .detach()). */
const detached = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

export function detach<T extends tf.Tensor>(x: T): T {
  return detached(x) as T;
}

/** Mean over tokens of sigmoid(x·w + b): UniPELT's per-example gate. x (B, T, D) → (B, 1, 1). */
export function tokenMeanGate(x: tf.Tensor3D, w: tf.Variable, b: tf.Variable): tf.Tensor3D {
  const [B, T, D] = x.shape;
  const scores = tf.add(tf.matMul(tf.reshape(x, [B * T, D]), w), b); // (B·T, 1)
  return tf.mean(tf.reshape(tf.sigmoid(scores), [B, T, 1]), 1, true) as tf.Tensor3D; // (B, 1, 1)
}
