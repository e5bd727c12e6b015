// Key/value prefixes at attentions (Li & Liang 2021), shared by prefix_tuning, mam and unipelt, laid
// out as the study's adapters `PrefixTuningConfig`: one module per location (encoder self, decoder
// self, decoder cross), each serving all L layers of that location with L·2 slots of width H·dk:
//
//   MLP:  Embedding(P, d) ─► Linear(d, b) ─► tanh ─► Linear(b, L·2·H·dk) ─► (P, L, 2, H, dk)
//   flat: one (P, L·2·H·dk) tensor, N(0, 1)
//
// Layer i's keys are slot 2i, its values slot 2i + 1. The MLP only re-parameterises training:
// save() writes the flat prefixes it produces, and load() installs those, so the MLP is never stored.
// With gates (UniPELT) both prefixes of an attention are scaled by mean_t sigmoid(x_t·w + b).
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionSite, ModelShape, PrefixHook, HookableModel } from '../../models/types';
import { loadVariables, variableDelta, type DeltaTensor } from '../method';
import type { Component } from './component';
import { kaimingUniform, normal, tokenMeanGate, trainableVar } from './init';

export interface PrefixSpec {
  length: number;
  /** Width of the re-parameterising MLP; null: flat prefixes. */
  bottleneck: number | null;
  gated: boolean;
}

interface Location { name: string; sites: AttentionSite[]; d: number; width: number }

/** Attentions grouped by (stack, kind); width = 2·H·dk per layer. */
export function prefixLocations(shape: ModelShape): Location[] {
  const groups = new Map<string, AttentionSite[]>();
  for (const s of shape.attentions) {
    const key = `${s.stack}_${s.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups].map(([name, sites]) => ({ name, sites, d: sites[0].queryDim, width: 2 * sites[0].numHeads * sites[0].headDim }));
}

export function prefixCounts(shape: ModelShape, spec: PrefixSpec): { trainable: number; stored: number } {
  const P = spec.length, b = spec.bottleneck;
  let trainable = 0, stored = 0;
  for (const loc of prefixLocations(shape)) {
    const flat = P * loc.sites.length * loc.width;
    const gates = spec.gated ? loc.sites.length * (loc.d + 1) : 0;
    trainable += (b === null ? flat : P * loc.d + loc.d * b + b + (b + 1) * loc.sites.length * loc.width) + gates;
    stored += flat + gates;
  }
  return { trainable, stored };
}

export function attachPrefixes(model: HookableModel, spec: PrefixSpec, seed: number, tag = 'prefix_tuning'): Component {
  const P = spec.length;
  const vars = new Map<string, tf.Variable>(); // trainable
  const stored = new Map<string, tf.Variable>(); // what save() writes and load() fills
  const flatOf = new Map<string, () => tf.Tensor2D>(); // location → (P, L·width)
  const installed: string[] = [];
  const onLoad: (() => void)[] = [];
  for (const loc of prefixLocations(model.shape())) {
    const L = loc.sites.length, key = `${tag}.${loc.name}`;
    const flatMode = spec.bottleneck === null;
    const loaded = flatMode
      ? trainableVar(() => normal([P, L * loc.width], 1, seed, key))
      : tf.tidy(() => tf.variable(tf.zeros([P, L * loc.width]), false));
    stored.set(`${key}.prefix`, loaded);
    if (flatMode) {
      vars.set(`${key}.prefix`, loaded);
      flatOf.set(loc.name, () => loaded as tf.Tensor as tf.Tensor2D);
    } else {
      const b = spec.bottleneck!, d = loc.d;
      const mlp = {
        emb: trainableVar(() => normal([P, d], 1, seed, `${key}.wte`)),
        w1: trainableVar(() => kaimingUniform([d, b], d, seed, `${key}.w1`)),
        b1: trainableVar(() => kaimingUniform([b], d, seed, `${key}.b1`)),
        w2: trainableVar(() => kaimingUniform([b, L * loc.width], b, seed, `${key}.w2`)),
        b2: trainableVar(() => kaimingUniform([L * loc.width], b, seed, `${key}.b2`)),
      };
      Object.entries(mlp).forEach(([k, v]) => vars.set(`${key}.${k}`, v));
      const fromMlp = () => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(mlp.emb, mlp.w1), mlp.b1)), mlp.w2), mlp.b2) as tf.Tensor2D;
      let useLoaded = false;
      flatOf.set(loc.name, () => (useLoaded ? (loaded as tf.Tensor as tf.Tensor2D) : fromMlp()));
      // After load() the flat prefixes replace the MLP, as when a trained prefix is shipped.
      onLoad.push(() => { useLoaded = true; });
    }
    loc.sites.forEach((site, i) => {
      const gate = spec.gated
        ? { w: trainableVar(() => kaimingUniform([loc.d, 1], loc.d, seed, `${site.name}.gate`)),
            b: trainableVar(() => kaimingUniform([1], loc.d, seed, `${site.name}.gate_bias`)) }
        : null;
      if (gate) {
        for (const [k, v] of [['weight', gate.w], ['bias', gate.b]] as const) {
          vars.set(`${site.name}.${tag}_gate.${k}`, v);
          stored.set(`${site.name}.${tag}_gate.${k}`, v);
        }
      }
      model.setPrefixHook(site.name, prefixHook(site, i, loc, P, flatOf.get(loc.name)!, gate));
      installed.push(site.name);
    });
  }
  return {
    variables: [...vars.values()],
    save: () => [...stored].map(([k, v]) => (k.endsWith('.prefix') ? flatDelta(k, flatOf) : variableDelta(k, v))),
    load: (delta: DeltaTensor[]) => {
      loadVariables(tag, stored, delta);
      onLoad.forEach((f) => f());
    },
    dispose: () => {
      for (const s of installed) model.setPrefixHook(s, null);
      tf.dispose([...new Set([...vars.values(), ...stored.values()])]);
    },
  };
}

/** The flat prefixes of one location as shipped, computed through the MLP when there is one. */
function flatDelta(name: string, flatOf: Map<string, () => tf.Tensor2D>): DeltaTensor {
  const loc = name.split('.').slice(-2, -1)[0];
  const t = tf.tidy(() => flatOf.get(loc)!().clone());
  try {
    return variableDelta(name, t);
  } finally {
    t.dispose();
  }
}

function prefixHook(
  site: AttentionSite, layer: number, loc: Location, P: number, flat: () => tf.Tensor2D,
  gate: { w: tf.Variable; b: tf.Variable } | null,
): PrefixHook {
  const H = site.numHeads, dk = site.headDim;
  return {
    length: P,
    keyValues(x) {
      const B = x.shape[0];
      const slots = tf.slice(flat(), [0, layer * loc.width], [P, loc.width]); // (P, 2·H·dk)
      const kv = tf.transpose(tf.reshape(slots, [P, 2, H, dk]), [1, 2, 0, 3]); // (2, H, P, dk)
      const g = gate ? tf.reshape(tokenMeanGate(x, gate.w, gate.b), [B, 1, 1, 1]) : null; // (B, 1, 1, 1)
      const [k, v] = tf.unstack(kv).map((t) => {
        const tiled = tf.tile(tf.expandDims(t, 0), [B, 1, 1, 1]); // (B, H, P, dk)
        return (g ? tf.mul(tiled, g) : tiled) as tf.Tensor4D;
      });
      return { k, v };
    },
  };
}
