// What every family's model shares: weights by checkpoint name (Linear held (in, out), checkpointed
// (out, in)), the hook points PEFT methods install, and the two places every forward pass goes
// through them — each Linear and each residual add.
import * as tf from '@tensorflow/tfjs-core';
import { ModelHooks } from './hooks';
import type { ParamSpec } from './params';
import type {
  HookableModel, LinearForward, LinearHook, LinearSite, ModelShape, PrefixHook, PromptHook, SublayerHook,
} from './types';

export abstract class HookedModel implements HookableModel {
  protected readonly structure: ModelShape;
  protected readonly hooks: ModelHooks;
  /** Parameters held (in, out) but checkpointed (out, in). */
  private readonly transposed: Set<string>;

  protected constructor(
    readonly params: Map<string, tf.Variable>,
    /** The family's name in messages, e.g. "LLaMA". */
    protected readonly label: string,
    private readonly specs: ParamSpec[],
    structure: ModelShape,
  ) {
    this.structure = structure;
    this.hooks = new ModelHooks(structure, label);
    this.transposed = new Set(specs.filter((s) => s.linear).map((s) => s.name));
  }

  /** Parameter names as save_pretrained writes them (a tied head omitted). */
  checkpointNames(): string[] {
    return this.specs.map((s) => s.name);
  }

  linearSites(): LinearSite[] { return this.structure.linears.map((s) => ({ ...s })); }
  shape(): ModelShape { return structuredClone(this.structure); }
  normParams(): string[] { return this.structure.norms.map((n) => n.name); }
  setLinearHook(site: string, hook: LinearHook | null): void { this.hooks.set('linear', site, hook); }
  setSublayerHook(site: string, hook: SublayerHook | null): void { this.hooks.set('sublayer', site, hook); }
  setPrefixHook(site: string, hook: PrefixHook | null): void { this.hooks.set('attention', site, hook); }
  setPromptHook(hook: PromptHook | null): void { this.hooks.setPrompt(hook); }

  checkpointTensor(name: string): tf.Tensor {
    const p = this.param(name);
    return this.transposed.has(name) ? tf.transpose(p) : p.clone();
  }

  assignCheckpointTensor(name: string, value: tf.Tensor): void {
    const p = this.param(name);
    const linear = this.transposed.has(name);
    const expected = linear ? [p.shape[1], p.shape[0]] : p.shape;
    if (value.shape.length !== expected.length || value.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`${this.label}: ${name} has checkpoint shape [${expected}], got [${value.shape}]; give (out, in) for Linear`);
    }
    tf.tidy(() => (p as tf.Variable).assign(linear ? tf.transpose(value) : tf.cast(value, 'float32')));
  }

  numParams(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
    this.params.clear();
    this.hooks.clear();
  }

  // ---- forward pieces shared by the families (synchronous, inside tf.tidy) ----

  protected param<R extends tf.Rank>(name: string): tf.Tensor<R> {
    const p = this.params.get(name);
    if (p === undefined) throw new Error(`${this.label}: no parameter "${name}" (disposed, or not in checkpointNames())`);
    return p as tf.Tensor as tf.Tensor<R>;
  }

  /** Every Linear: x·W (+ b where the layer has one) or the hook's replacement. (B, T, in) → (B, T, out). */
  protected linear(site: string, x: tf.Tensor3D): tf.Tensor3D {
    const [B, T, D] = x.shape;
    const w = this.param<tf.Rank.R2>(`${site}.weight`); // (in, out)
    const b = this.params.get(`${site}.bias`);
    const base: LinearForward = (x2) => (b ? tf.add(tf.matMul(x2, w), b) : tf.matMul(x2, w));
    const x2 = tf.reshape(x, [B * T, D]) as tf.Tensor2D; // (N, in)
    const hook = this.hooks.linear.get(site);
    const y = hook ? hook(x2, base, B) : base(x2); // (N, out)
    return tf.reshape(y, [B, T, y.shape[1]]);
  }

  /** The residual add after a sublayer: x + h, or the sublayer hook's replacement. */
  protected residual(site: string, x: tf.Tensor3D, h: tf.Tensor3D): tf.Tensor3D {
    const hook = this.hooks.sublayer.get(site);
    return hook ? hook(x, h) : (tf.add(x, h) as tf.Tensor3D);
  }
}
