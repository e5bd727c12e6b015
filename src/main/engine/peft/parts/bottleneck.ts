// Bottleneck adapters on sublayer outputs, shared by houlsby, pfeiffer, parallel_adapter, compacter,
// compacter_pp, mam and unipelt. A(z) = up(φ(down(z))), m = ⌊d / reduction_factor⌋, wired as in the
// adapters library on pre-LN models (x: the residual stream, h: the sublayer output after dropout):
//
//   serial_output (Houlsby)   y = x + h + A(h)
//   serial_residual (Pfeiffer) y = (x + h) + g·A(x + h)     g = 1, or UniPELT's gate on x + h
//   parallel (He et al.)      y = x + h + s·A(x)           s = a constant or one learned scalar
//
// down/up are dense (W, b), or PHM layers (Compacter): W = Σ_i rule_i ⊗ (left_i·right_i), the
// n×n×n rule shared by every layer and both projections.
import * as tf from '@tensorflow/tfjs-core';
import { geluErf } from '../../models/t5_layers';
import type { HookableModel, SublayerHook, SublayerSite } from '../../models/types';
import { variableDelta, loadVariables } from '../method';
import type { Component } from './component';
import { kaimingUniform, normal, tokenMeanGate, trainableVar, xavierNormal } from './init';

export type Activation = 'relu' | 'swish' | 'gelu' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'swish', 'gelu', 'tanh'];
export type Wiring = 'serial_output' | 'serial_residual' | 'parallel';

export interface AdapterSpec {
  wiring: Wiring;
  kinds: SublayerSite['kind'][];
  /** Bottleneck width m. */
  width: number;
  activation: Activation;
  /** "bert": weights N(0, 0.02), biases 0; "mam": down kaiming-uniform, up 0 (output unchanged at init). */
  init: 'bert' | 'mam';
  /** A constant scale, or 'learned': one trainable scalar per adapter starting at 1. */
  scaling: number | 'learned';
  gated: boolean;
  /** PHM (Compacter) projections with this n; null for dense. */
  phm: number | null;
}

/** Trainable parameters of the adapters of `spec` on sublayers of width d (PHM rule included). */
export function adapterParamCount(sites: SublayerSite[], spec: AdapterSpec): number {
  const per = (d: number) => {
    const m = spec.width;
    const weights = spec.phm === null ? 2 * d * m : 2 * (d + m); // PHM rank 1: left + right per projection
    return weights + m + d + (spec.scaling === 'learned' ? 1 : 0) + (spec.gated ? d + 1 : 0);
  };
  const n = spec.phm ?? 0;
  return sites.reduce((sum, s) => sum + per(s.dim), spec.phm === null ? 0 : n * n * n);
}

export function adapterSites(model: { shape(): { sublayers: SublayerSite[] } }, spec: AdapterSpec): SublayerSite[] {
  return model.shape().sublayers.filter((s) => spec.kinds.includes(s.kind));
}

type Projection = { vars: Map<string, tf.Variable>; weight: () => tf.Tensor2D; b: tf.Variable };

function activate(a: Activation, z: tf.Tensor): tf.Tensor {
  if (a === 'relu') return tf.relu(z);
  if (a === 'swish') return tf.mul(z, tf.sigmoid(z));
  if (a === 'tanh') return tf.tanh(z);
  return geluErf(z); // exact GELU
}

/** W (in, out) = Σ_i kron(rule_i, left_i·right_i); rule (n, n, n), left (n, in/n), right (n, out/n). */
function phmWeight(rule: tf.Tensor, left: tf.Tensor, right: tf.Tensor): tf.Tensor2D {
  const [n, p] = left.shape as [number, number];
  const q = right.shape[1] as number;
  const w = tf.mul(tf.expandDims(left, 2), tf.expandDims(right, 1)); // (n, p, q)
  const mixed = tf.matMul(tf.transpose(tf.reshape(rule, [n, n * n])), tf.reshape(w, [n, p * q])); // (n·n, p·q)
  const blocks = tf.transpose(tf.reshape(mixed, [n, n, p, q]), [0, 2, 1, 3]); // (n_a, p, n_b, q)
  return tf.reshape(blocks, [n * p, n * q]);
}

function projection(name: string, inF: number, outF: number, role: 'down' | 'up', spec: AdapterSpec, rule: tf.Variable | null, seed: number): Projection {
  const b = trainableVar(() => tf.zeros([outF]));
  if (rule !== null) {
    const n = spec.phm!;
    if (inF % n || outF % n) throw new Error(`compacter: phm_dim ${n} must divide both ${inF} and ${outF}`);
    // Xavier-normal per slice: left_i is (in/n, 1), right_i is (1, out/n) in torch.
    const left = trainableVar(() => xavierNormal([n, inF / n], 1, inF / n, seed, `${name}.left`));
    const right = trainableVar(() => xavierNormal([n, outF / n], outF / n, 1, seed, `${name}.right`));
    return { vars: new Map([[`${name}.phm_W_left`, left], [`${name}.phm_W_right`, right], [`${name}.bias`, b]]), weight: () => phmWeight(rule, left, right), b };
  }
  const w = trainableVar(() =>
    spec.init === 'bert' ? normal([inF, outF], 0.02, seed, name)
      : role === 'down' ? kaimingUniform([inF, outF], inF, seed, name) : tf.zeros([inF, outF]));
  return { vars: new Map([[`${name}.weight`, w], [`${name}.bias`, b]]), weight: () => w as tf.Tensor as tf.Tensor2D, b };
}

/** Attaches adapters at every sublayer of `spec.kinds`; names in the delta start with `tag`. */
export function attachAdapters(model: HookableModel, spec: AdapterSpec, seed: number, tag = 'adapter'): Component {
  const rule = spec.phm === null ? null
    : trainableVar(() => normal([spec.phm!, spec.phm!, spec.phm!], 1e-4, seed, `${tag}.phm_rule`));
  const vars = new Map<string, tf.Variable>(rule ? [[`${tag}.phm_rule`, rule]] : []);
  const sites = adapterSites(model, spec);
  for (const site of sites) {
    const name = `${site.name}.${tag}`;
    const down = projection(`${name}.down`, site.dim, spec.width, 'down', spec, rule, seed);
    const up = projection(`${name}.up`, spec.width, site.dim, 'up', spec, rule, seed);
    [down, up].forEach((p) => p.vars.forEach((v, k) => vars.set(k, v)));
    const scale = spec.scaling === 'learned' ? trainableVar(() => tf.ones([1])) : null;
    if (scale) vars.set(`${name}.scaling`, scale);
    const gate = spec.gated ? { w: trainableVar(() => normal([site.dim, 1], 0.02, seed, `${name}.gate`)), b: trainableVar(() => tf.zeros([1])) } : null;
    if (gate) { vars.set(`${name}.gate.weight`, gate.w); vars.set(`${name}.gate.bias`, gate.b); }
    const A = (z: tf.Tensor3D): tf.Tensor3D => {
      const [B, T, D] = z.shape;
      const hidden = activate(spec.activation, tf.add(tf.matMul(tf.reshape(z, [B * T, D]), down.weight()), down.b)); // (N, m)
      const out = tf.reshape(tf.add(tf.matMul(hidden as tf.Tensor2D, up.weight()), up.b), [B, T, D]); // (B, T, D)
      const scaled = scale ? tf.mul(out, scale) : spec.scaling === 1 ? out : tf.mul(out, spec.scaling as number);
      return (gate ? tf.mul(scaled, tokenMeanGate(z, gate.w, gate.b)) : scaled) as tf.Tensor3D;
    };
    model.setSublayerHook(site.name, wire(spec.wiring, A));
  }
  return {
    variables: [...vars.values()],
    save: () => [...vars].map(([k, v]) => variableDelta(k, v)),
    load: (delta) => loadVariables(tag, vars, delta),
    dispose: () => {
      for (const s of sites) model.setSublayerHook(s.name, null);
      tf.dispose([...vars.values()]);
    },
  };
}

function wire(wiring: Wiring, A: (z: tf.Tensor3D) => tf.Tensor3D): SublayerHook {
  if (wiring === 'serial_output') return (x, h) => tf.add(tf.add(x, h), A(h)) as tf.Tensor3D;
  if (wiring === 'parallel') return (x, h) => tf.add(tf.add(x, h), A(x)) as tf.Tensor3D;
  return (x, h) => {
    const y = tf.add(x, h) as tf.Tensor3D;
    return tf.add(y, A(y)) as tf.Tensor3D;
  };
}
