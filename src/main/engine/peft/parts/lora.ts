// LoRA modules on a set of Linear sites (Hu et al. 2022), shared by lora_qv, lora_all, dora and
// unipelt: x·W + s·(x·A)·B with A (in, r) kaiming-uniform(a=√5) and B (r, out) zero. With a gate
// (UniPELT), s is the per-example mean over tokens of sigmoid(x·w_g + b_g) instead of α/r.
import * as tf from '@tensorflow/tfjs-core';
import type { LinearHook, LinearRole, LinearSite, ModelShape, HookableModel } from '../../models/types';
import type { DeltaTensor } from '../method';
import { kaimingUniform, normal, tokenMeanGate, trainableVar } from './init';

export interface LoraModule {
  site: LinearSite;
  A: tf.Variable; // (in, r)
  B: tf.Variable; // (r, out)
  gate: { w: tf.Variable; b: tf.Variable } | null; // (in, 1), (1)
}

/** The sites with one of `roles`, or an error naming the method when the model has none. */
export function sitesWithRoles(methodId: string, shape: ModelShape, roles: readonly LinearRole[]): LinearSite[] {
  const sites = shape.linears.filter((s) => roles.includes(s.role));
  if (!sites.length) throw new Error(`${methodId}: this ${shape.family} model has no Linear layers with roles ${roles.join(', ')}`);
  return sites;
}

export function loraParamCount(sites: LinearSite[], r: number, gated: boolean): number {
  return sites.reduce((n, s) => n + r * (s.inFeatures + s.outFeatures) + (gated ? s.inFeatures + 1 : 0), 0);
}

export function makeLora(site: LinearSite, r: number, seed: number, gated: boolean): LoraModule {
  const { inFeatures: inF, outFeatures: outF } = site;
  return {
    site,
    A: trainableVar(() => kaimingUniform([inF, r], inF, seed, `${site.name}.lora_A`)),
    B: trainableVar(() => tf.zeros([r, outF])),
    // The gate's weight is N(0, 0.02) (adapters' "bert" init); its bias keeps nn.Linear's default.
    gate: gated
      ? { w: trainableVar(() => normal([inF, 1], 0.02, seed, `${site.name}.gate`)),
          b: trainableVar(() => kaimingUniform([1], inF, seed, `${site.name}.gate_bias`)) }
      : null,
  };
}

export function loraVariables(m: LoraModule): tf.Variable[] {
  return m.gate ? [m.A, m.B, m.gate.w, m.gate.b] : [m.A, m.B];
}

/** x·W + scale·x·A·B, or the gated form when the module has a gate. */
export function loraHook(m: LoraModule, scale: number): LinearHook {
  return (x, base, batch) => {
    const update = tf.matMul(tf.matMul(x, m.A), m.B); // (N, out)
    if (!m.gate) return tf.add(base(x), tf.mul(update, scale)) as tf.Tensor2D;
    const [N, D] = x.shape;
    const g = tokenMeanGate(tf.reshape(x, [batch, N / batch, D]), m.gate.w, m.gate.b); // (B, 1, 1)
    const gated = tf.mul(tf.reshape(update, [batch, N / batch, -1]), g); // (B, T, out)
    return tf.add(base(x), tf.reshape(gated, [N, -1])) as tf.Tensor2D;
  };
}

/** ΔW = scale·A·B in the model's (in, out) layout. */
export function loraUpdate(m: LoraModule, scale: number): tf.Tensor2D {
  return tf.mul(tf.matMul(m.A, m.B), scale);
}

/** Hugging Face PEFT's names and layouts: lora_A (r, in), lora_B (out, r); gates as (1, in), (1). */
export function saveLora(m: LoraModule): DeltaTensor[] {
  return tf.tidy(() => {
    const out = (key: string, t: tf.Tensor) => ({
      name: `base_model.model.${m.site.name}.${key}`, shape: t.shape.slice(), data: t.dataSync() as Float32Array,
    });
    const list = [out('lora_A.weight', tf.transpose(m.A)), out('lora_B.weight', tf.transpose(m.B))];
    if (m.gate) list.push(out('gate.weight', tf.transpose(m.gate.w)), out('gate.bias', m.gate.b));
    return list;
  });
}

export function loadLora(methodId: string, modules: LoraModule[], delta: DeltaTensor[]): void {
  const byName = new Map(delta.map((d) => [d.name, d]));
  for (const m of modules) {
    const entries: [string, tf.Variable, boolean][] = [['lora_A.weight', m.A, true], ['lora_B.weight', m.B, true]];
    if (m.gate) entries.push(['gate.weight', m.gate.w, true], ['gate.bias', m.gate.b, false]);
    for (const [key, v, transposed] of entries) {
      const name = `base_model.model.${m.site.name}.${key}`;
      const d = byName.get(name);
      if (!d) throw new Error(`${methodId} delta is missing "${name}"`);
      const expected = transposed ? [v.shape[1], v.shape[0]] : v.shape;
      if (d.shape.join() !== expected.join()) {
        throw new Error(`${methodId} delta "${name}" has shape [${d.shape}], expected [${expected}] (same r as the run that saved it)`);
      }
      tf.tidy(() => { const t = tf.tensor(d.data, d.shape); v.assign(transposed ? tf.transpose(t) : t); });
    }
  }
}

/** Installs the hooks and returns the function that removes them. */
export function hookLora(model: HookableModel, modules: LoraModule[], hook: (m: LoraModule) => LinearHook): () => void {
  for (const m of modules) model.setLinearHook(m.site.name, hook(m));
  return () => { for (const m of modules) model.setLinearHook(m.site.name, null); };
}
