// The task head trains with every method: an encoder's classifier is new for each task, so it is
// trained beside the method's own variables, as in the study's GLUE setting and Hugging Face PEFT's
// `modules_to_save` for sequence classification. Every registry row is wrapped here once; on models
// without a task head (T5, decoders: `shape().head` is empty) the wrapper changes nothing.
//
//   counts  = the method's + the head's parameters (trainable, changed and stored)
//   delta   = the method's tensors + the head's, under its checkpoint names (classifier.*)
//   merge   = the method's: the head trains in place, so there is nothing of it to fold
import type { ModelShape } from '../models/types';
import { trainInPlace, type AttachedMethod, type MethodOptions, type PeftMethod } from './method';

const headSize = (shape: ModelShape) => shape.head.reduce((n, h) => n + h.size, 0);

export function withTaskHead<O extends MethodOptions>(method: PeftMethod<O>): PeftMethod<O> {
  if (method.trainsHead) return method;
  return {
    ...method,
    count(shape, options) {
      const c = method.count(shape, options);
      const n = headSize(shape);
      return { ...c, trainable: c.trainable + n, changed: c.changed + n, stored: c.stored + n };
    },
    attach(model, options, seed): AttachedMethod {
      const names = model.shape().head.map((h) => h.name);
      const own = method.attach(model, options, seed);
      if (names.length === 0) return own;
      const head = trainInPlace(model, names);
      const isHead = new Set(names);
      return {
        trainable: [...own.trainable, ...head.trainable],
        trainableParams: own.trainableParams + head.trainableParams,
        changedParams: own.changedParams + head.changedParams,
        updateRank: own.updateRank,
        save: () => [...own.save(), ...head.save()],
        load(delta) {
          const missing = names.filter((n) => !delta.some((d) => d.name === n));
          if (missing.length) throw new Error(`${method.id} delta is missing the task head's ${missing.join(', ')}; it trains with every method`);
          own.load(delta.filter((d) => !isHead.has(d.name)));
          head.load(delta.filter((d) => isHead.has(d.name)));
        },
        merge: own.merge,
        dispose() {
          own.dispose();
          head.dispose();
        },
      };
    },
  };
}
