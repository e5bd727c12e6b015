// A piece of a method (LoRA modules, adapters, prefixes): methods such as mam and unipelt are a
// few of them attached together.
import * as tf from '@tensorflow/tfjs-core';
import type { AttachedMethod, DeltaTensor, MethodCounts } from '../method';

export interface Component {
  /** What the optimiser updates. */
  variables: tf.Variable[];
  save(): DeltaTensor[];
  load(delta: DeltaTensor[]): void;
  /** Removes the hooks and frees the variables (and anything derived from them). */
  dispose(): void;
}

/** An unmergeable method made of components; counts come from the method's analytic count(). */
export function attachedFrom(parts: Component[], counts: MethodCounts): AttachedMethod {
  return {
    trainable: parts.flatMap((p) => p.variables),
    trainableParams: counts.trainable,
    changedParams: counts.changed,
    updateRank: counts.updateRank,
    save: () => parts.flatMap((p) => p.save()),
    load: (delta) => parts.forEach((p) => p.load(delta)),
    merge: null,
    dispose: () => parts.forEach((p) => p.dispose()),
  };
}

/** Every component's variables, gates included, disposed at once. */
export function disposeAll(vars: tf.Variable[]): void {
  tf.dispose(vars);
}
