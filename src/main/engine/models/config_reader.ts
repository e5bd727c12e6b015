// Reading a Hugging Face `config.json` field by field, with errors that name the file, the field and the fix.

export type Json = Record<string, unknown>;

export class ConfigReader {
  constructor(
    private readonly json: Json,
    private readonly file: string,
  ) {}

  fail(field: string, problem: string, fix: string): never {
    throw new Error(`${this.file}: ${field} ${problem}; ${fix}`);
  }

  has(field: string): boolean {
    return this.json[field] !== undefined && this.json[field] !== null;
  }

  /** An integer ≥ min; `fallback` (transformers' default) when the field is absent. */
  int(field: string, min: number, fallback?: number): number {
    if (!this.has(field)) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is missing', `add it to config.json as an integer ≥ ${min}`);
    }
    const v = this.json[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.fail(field, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, 'correct it in config.json');
    }
    return v;
  }

  /** A finite number in [min, max). */
  num(field: string, min: number, max: number, fallback: number): number {
    if (!this.has(field)) return fallback;
    const v = this.json[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v >= max) {
      this.fail(field, `must be a number in [${min}, ${max}), got ${JSON.stringify(v)}`, 'correct it in config.json');
    }
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    if (!this.has(field)) return fallback;
    const v = this.json[field];
    if (typeof v !== 'boolean') {
      this.fail(field, `must be true or false, got ${JSON.stringify(v)}`, 'correct it in config.json');
    }
    return v;
  }

  str(field: string, fallback?: string): string {
    if (!this.has(field)) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is missing', 'add it to config.json');
    }
    const v = this.json[field];
    if (typeof v !== 'string') {
      this.fail(field, `must be a string, got ${JSON.stringify(v)}`, 'correct it in config.json');
    }
    return v;
  }
}

/** A token id field that must fall inside the vocabulary. */
export function readTokenId(r: ConfigReader, field: string, vocabSize: number, fallback?: number): number {
  const id = r.int(field, 0, fallback);
  if (id >= vocabSize) {
    r.fail(field, `is ${id}, outside the vocabulary (vocab_size ${vocabSize})`, 'correct it in config.json');
  }
  return id;
}

/** The parsed top-level object of a config.json, or an error naming the file. */
export function configObject(json: unknown, file: string): Json {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${file}: expected a JSON object at the top level; give the model folder's config.json`);
  }
  return json as Json;
}

/** A raw field value (for nested objects such as rope_scaling), undefined when absent or null. */
export function rawField(json: Json, field: string): unknown {
  return json[field] ?? undefined;
}

/** The sizes a decoder's and an encoder's config.json name alike. */
export interface CommonSizes {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
}

/** The first fields of such a config.json, under transformers' names and in its order. */
export function hfSizeFields(c: CommonSizes, architecture: string): Json {
  return {
    architectures: [architecture],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
  };
}
