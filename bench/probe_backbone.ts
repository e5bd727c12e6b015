// Does a T5 backbone transfer? A quick probe for pretraining recipes, run on each candidate model
// folder: (1) how alike the encoder's token states are on real inputs (mean cosine between the
// positions of one input: near 1 when the encoder has collapsed to input-independent states,
// ~0.1 for random weights), (2) whether the decoder reads the encoder at all: the span-corruption
// loss on pretraining text with each example's own input against another example's input (no
// gap: the decoder is a language model that ignores the encoder), (3) full fine-tuning (or any method) for a few updates on a
// built-in classification task, scored on validation by generation and by rank, next to the
// majority class, and (4) a linear probe: ridge regression from the mean-pooled encoder states
// to the labels, what the encoder's features are worth before any fine-tuning.
//
//   node --import tsx bench/probe_backbone.ts resources/default-model [more model folders]
//   node --import tsx bench/probe_backbone.ts DIR --task sotu_era --method lora_qv --lr 1e-2 --steps 30 --examples 200
//   node --import tsx bench/probe_backbone.ts DIR --swap-from OTHER --swap decoder.   (DIR with OTHER's decoder)
//   node --import tsx bench/probe_backbone.ts DIR --center-embedding                 (the mean embedding row removed)
//
// It also prints how the shared embedding is spread: the length of its mean row against the
// rows' RMS length, and the mean cosine between rows of vocabulary pieces the pretraining corpus
// never uses and between rows of pieces it uses at least 200 times (0 for random weights).
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ClassificationScoring } from '../src/shared/types';
import { initBackend } from '../src/main/engine/backend';
import { makeBatch, disposeBatch } from '../src/main/engine/data/batching';
import { referencesOf, type Example, type TaskData } from '../src/main/engine/data/task';
import { loadTask } from '../src/main/engine/data/tasks';
import { evaluate } from '../src/main/engine/measure/evaluate';
import { evalOptions, splitEncoder } from '../src/main/engine/measure/score_split';
import { loadModel } from '../src/main/engine/models/load';
import { Dropout } from '../src/main/engine/models/t5_layers';
import type { ModelConfig, Seq2SeqModel, TextTokenizer } from '../src/main/engine/models/types';
import { getMethod } from '../src/main/engine/peft/registry';
import { buildPretrainCorpus, corpusParagraphs } from '../src/main/engine/pretrain/corpus';
import { NUM_SENTINELS } from '../src/main/engine/pretrain/default_recipe';
import { pretrainBatch, tokenBlocks } from '../src/main/engine/pretrain/pretrain_data';
import { inputAndTargetLengths, T5_SPAN_CORRUPTION } from '../src/main/engine/pretrain/span_corruption';
import { train } from '../src/main/engine/train/trainer';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    task: { type: 'string', default: 'spam_assassin' },
    method: { type: 'string', default: 'full' },
    lr: { type: 'string', default: '1e-3' },
    steps: { type: 'string', default: '30' },
    examples: { type: 'string', default: '200' },
    'swap-from': { type: 'string' },
    swap: { type: 'string', default: '' },
    'center-embedding': { type: 'boolean', default: false },
  },
});
const SETTINGS = { microBatch: 16, maxInputTokens: 64, maxTargetTokens: 8 };

let corpusTexts: string[] | null = null;
/** The pretraining corpus's paragraphs, built once for all the folders probed. */
function pretrainingTexts(): string[] {
  return (corpusTexts ??= corpusParagraphs(buildPretrainCorpus()));
}

/** The encoder's final states for a batch, dropout off: what the decoder attends to. */
function encoderStates(model: Seq2SeqModel, batch: ReturnType<typeof makeBatch>): tf.Tensor3D {
  // T5Model's encoder pass is private; the probe reads it all the same.
  const t5 = model as unknown as { encode(ids: tf.Tensor2D, mask: tf.Tensor2D, drop: Dropout): { hidden: tf.Tensor3D } };
  return t5.encode(batch.inputIds, batch.attentionMask, new Dropout(0, null)).hidden;
}

/** Mean cosine similarity between the encoder states of the positions of each input. */
function tokenCosine(model: Seq2SeqModel, inputs: number[][]): number {
  const batch = makeBatch(inputs.map((input) => ({ input, target: [1] })), 0);
  try {
    return tf.tidy(() => {
      const hidden = encoderStates(model, batch); // (B, S, D)
      const unit = tf.div(hidden, tf.norm(hidden, 2, -1, true)); // (B, S, D)
      const mask = tf.cast(batch.attentionMask, 'float32'); // (B, S)
      const pairs = tf.mul(tf.expandDims(mask, 2), tf.expandDims(mask, 1)); // (B, S, S)
      const cos = tf.mul(tf.matMul(unit, unit, false, true), pairs); // (B, S, S)
      return tf.div(tf.sum(cos), tf.sum(pairs)).dataSync()[0];
    });
  } finally {
    disposeBatch(batch);
  }
}

/**
 * Span-corruption loss (inputs of 64) on 64 blocks from the end of the pretraining corpus, with
 * each example's own encoder input and with the next example's: { own, other }.
 */
function encoderUse(model: Seq2SeqModel, tok: TextTokenizer, config: ModelConfig): { own: number; other: number } {
  const texts = pretrainingTexts().slice(-400);
  const blocks = tokenBlocks(tok, texts, inputAndTargetLengths(64).raw);
  const plan = { seed: 1, batchSize: 64, vocabSize: config.vocabSize, eosId: 1, noise: T5_SPAN_CORRUPTION, reconstructFraction: 0 };
  const own = pretrainBatch(blocks, plan, 0);
  const other = own.map((e, i) => ({ input: own[(i + 1) % own.length].input, target: e.target }));
  const loss = (examples: typeof own) => {
    const batch = makeBatch(examples, 0);
    try {
      return tf.tidy(() => model.loss(batch, { training: false }).dataSync()[0]);
    } finally {
      disposeBatch(batch);
    }
  };
  return { own: loss(own), other: loss(other) };
}

/** Mean of the encoder's states over each input's tokens, (N, D) as rows. */
function pooledStates(model: Seq2SeqModel, inputs: number[][]): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < inputs.length; i += 32) {
    const batch = makeBatch(inputs.slice(i, i + 32).map((input) => ({ input, target: [1] })), 0);
    try {
      rows.push(...tf.tidy(() => {
        const hidden = encoderStates(model, batch); // (B, S, D)
        const mask = tf.expandDims(tf.cast(batch.attentionMask, 'float32'), 2); // (B, S, 1)
        return tf.div(tf.sum(tf.mul(hidden, mask), 1), tf.sum(mask, 1)).arraySync() as number[][];
      }));
    } finally {
      disposeBatch(batch);
    }
  }
  return rows;
}

/** Solves the symmetric positive definite system A x = b (Cholesky), b with several columns. */
function solveSpd(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(sum) : sum / l[j][j];
    }
  }
  const y = b.map((row) => row.slice());
  for (let i = 0; i < n; i++) for (let c = 0; c < y[i].length; c++) {
    for (let k = 0; k < i; k++) y[i][c] -= l[i][k] * y[k][c];
    y[i][c] /= l[i][i];
  }
  for (let i = n - 1; i >= 0; i--) for (let c = 0; c < y[i].length; c++) {
    for (let k = i + 1; k < n; k++) y[i][c] -= l[k][i] * y[k][c];
    y[i][c] /= l[i][i];
  }
  return y;
}

/**
 * Linear probe: ridge regression (λ = 10, standardised features) from the mean-pooled encoder
 * states of `train` to one-hot labels, accuracy on `val`. What the encoder's features are worth
 * without any fine-tuning dynamics: the decoder has to learn to read them in a few updates.
 */
function ridgeProbe(model: Seq2SeqModel, labels: string[], train: { input: number[]; label: string }[], val: { input: number[]; label: string }[]): number {
  const x = pooledStates(model, train.map((e) => e.input));
  const d = x[0].length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j], 0) / x.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / x.length) + 1e-6);
  const features = (r: number[]) => [...r.map((v, j) => (v - mean[j]) / sd[j]), 1];
  const xs = x.map(features);
  const gram = Array.from({ length: d + 1 }, (_, i) => Array.from({ length: d + 1 }, (_, j) => xs.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? 10 : 0)));
  const rhs = Array.from({ length: d + 1 }, (_, i) => labels.map((l) => xs.reduce((s, r, n) => s + (train[n].label === l ? r[i] : 0), 0)));
  const w = solveSpd(gram, rhs);
  const predicted = pooledStates(model, val.map((e) => e.input)).map((r) => {
    const f = features(r);
    const score = labels.map((_, c) => f.reduce((s, v, i) => s + v * w[i][c], 0));
    return labels[score.indexOf(Math.max(...score))];
  });
  return predicted.filter((p, i) => p === val[i].label).length / val.length;
}

/** Replaces `model`'s tensors whose names start with one of `prefixes` by those of the model in `from`. */
function swapIn(model: Seq2SeqModel, from: string, prefixes: string[]): number {
  const other = loadModel(from).model;
  try {
    let n = 0;
    for (const [name, v] of model.params) {
      if (!prefixes.some((p) => name.startsWith(p))) continue;
      const src = other.params.get(name);
      if (!src || src.shape.join() !== v.shape.join()) throw new Error(`${from} has no tensor ${name} of shape [${v.shape}]`);
      v.assign(src);
      n += 1;
    }
    if (n === 0) throw new Error(`no tensor of the model starts with ${prefixes.join(' or ')}`);
    return n;
  } finally {
    other.dispose();
  }
}

/** Mean pairwise cosine of the rows `ids` of `e` (V, D). */
function meanPairCosine(e: tf.Tensor2D, ids: number[]): number {
  if (ids.length < 2) return NaN;
  return tf.tidy(() => {
    const rows = tf.gather(e, tf.tensor1d(ids, 'int32')); // (n, D)
    const unit = tf.div(rows, tf.norm(rows, 2, -1, true));
    const sum = tf.sum(tf.matMul(unit, unit, false, true)).dataSync()[0];
    return (sum - ids.length) / (ids.length * (ids.length - 1));
  });
}

/** The embedding's mean-row ratio and the pair cosines of unused and of frequent pieces (400 of each at most). */
function embeddingSpread(model: Seq2SeqModel, tok: TextTokenizer, config: ModelConfig) {
  const counts = new Array<number>(config.vocabSize).fill(0);
  for (const text of pretrainingTexts()) for (const id of tok.encode(text)) counts[id] += 1;
  const sentinels = config.vocabSize - NUM_SENTINELS;
  const pick = (keep: (c: number) => boolean) => counts.map((c, id) => (id > 2 && id < sentinels && keep(c) ? id : -1)).filter((id) => id >= 0).slice(0, 400);
  const e = model.params.get('shared.weight') as unknown as tf.Tensor2D;
  const meanRatio = tf.tidy(() => tf.div(tf.norm(tf.mean(e, 0)), tf.sqrt(tf.mean(tf.sum(tf.square(e), 1)))).dataSync()[0]);
  return { meanRatio, unused: meanPairCosine(e, pick((c) => c === 0)), frequent: meanPairCosine(e, pick((c) => c >= 200)) };
}

/** Validation accuracy by generation and by rank, through the scoring path every run uses. */
function scores(model: Seq2SeqModel, tok: TextTokenizer, config: ModelConfig, task: TaskData, val: Example[]) {
  const score = (scoring: ClassificationScoring) => {
    const enc = splitEncoder(tok, config, task, { ...SETTINGS, scoring });
    return evaluate(model, tok, enc.encode(val), val.map(referencesOf), evalOptions(task, { ...SETTINGS, scoring }, enc)).score;
  };
  return { generate: score('generate'), rank: score('rank') };
}

async function probe(dir: string): Promise<void> {
  const task = loadTask(values.task!);
  if (!task.labels) throw new Error(`--task ${values.task} is not a classification task; the probe scores labels`);
  const { model, tokenizer, config } = loadModel(dir);
  if (config.modelType !== 't5') throw new Error(`${dir} is a ${config.modelType}; the probe reads a T5 encoder`);
  if (values['swap-from']) {
    const n = swapIn(model, values['swap-from'], values.swap!.split(',').filter(Boolean));
    console.log(`${dir}: ${n} tensors (${values.swap}) taken from ${values['swap-from']}`);
  }
  if (values['center-embedding']) {
    const e = model.params.get('shared.weight')!;
    e.assign(tf.tidy(() => tf.sub(e, tf.mean(e, 0, true))));
  }
  const method = getMethod(values.method!);
  const attached = method.attach(model, method.validate({}, config), 0);
  try {
    const val = task.validation.slice(0, Number(values.examples));
    const encoder = splitEncoder(tokenizer, config, task, SETTINGS);
    const valSet = encoder.encode(val);
    const trainSet = encoder.encode(task.train);
    const majority = Math.max(...task.labels.map((l) => val.filter((v) => v.target === l).length)) / val.length;
    const cosine = tokenCosine(model, valSet.slice(0, 32).map((e) => e.input));
    const use = encoderUse(model, tokenizer, config);
    const spread = embeddingSpread(model, tokenizer, config);
    const labelled = (set: typeof valSet, examples: Example[]) => set.map((e, i) => ({ input: e.input, label: examples[i].target }));
    const ridge = ridgeProbe(model, task.labels, labelled(trainSet.slice(0, 960), task.train), labelled(valSet, val));
    const before = scores(model, tokenizer, config, task, val);
    const cfg = { steps: Number(values.steps), microBatch: 16, effectiveBatch: 32, learningRate: Number(values.lr), warmupRatio: 0.06, weightDecay: 0, seed: 0 };
    const outcome = await train(model, attached, trainSet, tokenizer.padId, cfg);
    const after = scores(model, tokenizer, config, task, val);
    const pct = (x: number) => (100 * x).toFixed(1);
    console.log(`${dir}: encoder token cosine ${cosine.toFixed(3)}; ${values.task} validation (${val.length}) majority ${pct(majority)}%`);
    console.log(`  embedding: mean row ${spread.meanRatio.toFixed(3)} of the rows' RMS length; row cosine ${spread.unused.toFixed(3)} among pieces the corpus never uses, ${spread.frequent.toFixed(3)} among pieces used ≥ 200 times`);
    console.log(`  span-corruption loss with its own input ${use.own.toFixed(3)}, with another example's ${use.other.toFixed(3)}`);
    console.log(`  linear probe (ridge on mean-pooled encoder states, 960 train examples): ${pct(ridge)}%`);
    console.log(`  before: generate ${pct(before.generate)}%, rank ${pct(before.rank)}%`);
    console.log(`  after ${cfg.steps} updates of ${values.method} at lr ${cfg.learningRate} (final loss ${outcome.finalLoss.toFixed(3)}): generate ${pct(after.generate)}%, rank ${pct(after.rank)}%`);
  } finally {
    attached.dispose();
    model.dispose();
  }
}

await initBackend({ force: 'wasm' });
if (positionals.length === 0) throw new Error('give one or more T5 model folders, e.g. resources/default-model');
for (const dir of positionals) await probe(dir);
