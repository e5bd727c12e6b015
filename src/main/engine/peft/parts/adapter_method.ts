// A bottleneck-adapter method: where the adapters sit and their defaults; houlsby, pfeiffer,
// parallel_adapter, compacter and compacter_pp are rows of it.
import type { ModelShape, HookableModel } from '../../models/types';
import {
  bottleneckWidth, oneOf, positiveInteger, positiveNumber, shapeOf, withDefaults,
  type AttachedMethod, type MethodOptions, type OptionValue, type PeftMethod,
} from '../method';
import { ACTIVATIONS, adapterParamCount, attachAdapters, type Activation, type AdapterSpec } from './bottleneck';
import { attachedFrom } from './component';

export interface AdapterOptions {
  [key: string]: OptionValue;
  reduction_factor: number;
  non_linearity: Activation;
}

export interface AdapterRow {
  id: string;
  title: string;
  paper: string;
  defaults: AdapterOptions;
  /** The parts of the spec the options do not set. */
  fixed: Pick<AdapterSpec, 'wiring' | 'kinds' | 'init'> & { phm: boolean };
}

/** Reads `scaling`: "learned" or a positive number (parallel adapters). */
function scalingOf(id: string, v: OptionValue | undefined): number | 'learned' {
  if (v === undefined || v === 'learned') return v === undefined ? 1 : 'learned';
  return positiveNumber(id, 'scaling', v);
}

export function adapterSpec(row: AdapterRow, shape: ModelShape, o: MethodOptions): AdapterSpec {
  return {
    ...row.fixed,
    width: bottleneckWidth(row.id, shape.dModel, o.reduction_factor as number),
    activation: o.non_linearity as Activation,
    scaling: scalingOf(row.id, o.scaling),
    gated: false,
    phm: row.fixed.phm ? (o.phm_dim as number) : null,
  };
}

export function adapterMethod(row: AdapterRow): PeftMethod<AdapterOptions> {
  const sitesOf = (shape: ModelShape) => shape.sublayers.filter((s) => row.fixed.kinds.includes(s.kind));
  return {
    id: row.id, title: row.title, paper: row.paper, defaults: row.defaults, mergeable: false,
    validate(options, config) {
      const o = withDefaults(row.id, options, row.defaults);
      const v: AdapterOptions = {
        ...o,
        reduction_factor: positiveNumber(row.id, 'reduction_factor', o.reduction_factor),
        non_linearity: oneOf(row.id, 'non_linearity', o.non_linearity, ACTIVATIONS),
      };
      if ('scaling' in row.defaults) v.scaling = scalingOf(row.id, o.scaling);
      if (row.fixed.phm) v.phm_dim = positiveInteger(row.id, 'phm_dim', o.phm_dim);
      const shape = shapeOf(config);
      const spec = adapterSpec(row, shape, v);
      if (spec.phm !== null && (shape.dModel % spec.phm || spec.width % spec.phm)) {
        throw new Error(`${row.id}.phm_dim ${spec.phm} must divide d_model ${shape.dModel} and the bottleneck width ${spec.width}`);
      }
      return v;
    },
    count(shape, o) {
      const n = adapterParamCount(sitesOf(shape), adapterSpec(row, shape, o));
      return { trainable: n, changed: n, stored: n, updateRank: null };
    },
    attach(model: HookableModel, o, seed): AttachedMethod {
      const shape = model.shape();
      return attachedFrom([attachAdapters(model, adapterSpec(row, shape, o), seed)], this.count(shape, o));
    },
  };
}
