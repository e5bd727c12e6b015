// `npm run pretrain-default`: pretrains the default model from the shipped corpus and writes
// it, in Hugging Face layout with its model card and loss curve, to resources/default-model.
//
//   npm run pretrain-default -- [--steps N] [--batch B] [--lr LR] [--relative-step on|off] [--input-length L] [--reconstruct F] [--d-model D] [--layers N] [--d-ff F] [--tied-head on|off] [--mean-span S] [--noise-density P] [--emails on|off] [--reconstruct-lead on|off] [--embedding-init random|ppmi-svd] [--threads T] [--out DIR] [--work DIR] [--calibrate N]
//
// Interrupted? Run the same command again: it resumes from the last checkpoint in --work.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../backend';
import { saveModel } from '../models/load';
import { loadTokenizer } from '../models/tokenizer';
import { buildPretrainCorpus, corpusParagraphs } from './corpus';
import { DEFAULT_PRETRAIN, NUM_SENTINELS } from './default_recipe';
import type { CardFacts } from './model_card';
import { pretrain, type PretrainConfig, type PretrainStep } from './pretrain_loop';
import { tokenBlocks } from './pretrain_data';
import { buildPretrainTokenizer, pretrainTokenizerConfig } from './pretrain_tokenizer';
import { inputAndTargetLengths } from './span_corruption';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DEFAULT_OUT = path.join(ROOT, 'resources', 'default-model');

interface Options { cfg: PretrainConfig; threads: number; out: string; work: string; calibrate: number }

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function learningRate(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PRETRAIN.learningRate;
  const lr = Number(value);
  if (!(lr > 0 && lr < 1)) throw new Error(`--lr must be a number in (0, 1), got "${value}"`);
  return lr;
}

function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n >= 1)) throw new Error(`${flag} must be a number ≥ 1, got "${value}"`);
  return n;
}

/** A number in [0, 1], or in (0, 1) when `open`. */
function fraction(value: string | undefined, flag: string, fallback: number, open = false): number {
  if (value === undefined) return fallback;
  const f = Number(value);
  if (open && !(f > 0 && f < 1)) throw new Error(`${flag} must be in (0, 1), got ${value}`);
  if (!(f >= 0 && f <= 1)) throw new Error(`${flag} must be a fraction in [0, 1], got "${value}"`);
  return f;
}

function onOff(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value !== 'on' && value !== 'off') throw new Error(`${flag} must be on or off, got "${value}"`);
  return value === 'on';
}

function embeddingInit(value: string | undefined): PretrainConfig['embeddingInit'] {
  if (value === undefined) return DEFAULT_PRETRAIN.embeddingInit;
  if (value !== 'random' && value !== 'ppmi-svd') throw new Error(`--embedding-init must be random or ppmi-svd, got "${value}"`);
  return value;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' },
      work: { type: 'string' }, calibrate: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
      'relative-step': { type: 'string' }, 'input-length': { type: 'string' },
      reconstruct: { type: 'string' }, 'd-model': { type: 'string' }, layers: { type: 'string' }, 'd-ff': { type: 'string' }, 'tied-head': { type: 'string' },
      'mean-span': { type: 'string' }, 'noise-density': { type: 'string' }, emails: { type: 'string' }, 'reconstruct-lead': { type: 'string' },
      'embedding-init': { type: 'string' },
    },
  });
  const base = DEFAULT_PRETRAIN.model;
  const dModel = positive(values['d-model'], '--d-model', base.dModel);
  const layers = positive(values.layers, '--layers', base.numLayers);
  if (dModel % base.numHeads !== 0) throw new Error(`--d-model must be a multiple of the ${base.numHeads} heads, got ${dModel}`);
  const model = {
    ...base, dModel, dKv: dModel / base.numHeads, numLayers: layers, numDecoderLayers: layers,
    dFf: positive(values['d-ff'], '--d-ff', base.dFf),
    tieWordEmbeddings: onOff(values['tied-head'], '--tied-head', base.tieWordEmbeddings),
  };
  const cfg = {
    ...DEFAULT_PRETRAIN,
    model,
    steps: positive(values.steps, '--steps', DEFAULT_PRETRAIN.steps),
    batchSize: positive(values.batch, '--batch', DEFAULT_PRETRAIN.batchSize),
    learningRate: learningRate(values.lr),
    relativeStep: onOff(values['relative-step'], '--relative-step', DEFAULT_PRETRAIN.relativeStep),
    inputLength: positive(values['input-length'], '--input-length', DEFAULT_PRETRAIN.inputLength),
    reconstructFraction: fraction(values.reconstruct, '--reconstruct', DEFAULT_PRETRAIN.reconstructFraction),
    emails: onOff(values.emails, '--emails', DEFAULT_PRETRAIN.emails),
    reconstructLead: onOff(values['reconstruct-lead'], '--reconstruct-lead', DEFAULT_PRETRAIN.reconstructLead),
    embeddingInit: embeddingInit(values['embedding-init']),
    noise: {
      noiseDensity: fraction(values['noise-density'], '--noise-density', DEFAULT_PRETRAIN.noise.noiseDensity, true),
      meanNoiseSpanLength: positiveNumber(values['mean-span'], '--mean-span', DEFAULT_PRETRAIN.noise.meanNoiseSpanLength),
    },
  };
  if (cfg.inputLength < 16) throw new Error(`--input-length must be at least 16 tokens, got ${cfg.inputLength}`);
  const out = path.resolve(values.out ?? DEFAULT_OUT);
  return {
    cfg,
    threads: positive(values.threads, '--threads', 1),
    out,
    work: path.resolve(values.work ?? `${out}.work`),
    calibrate: values.calibrate === undefined ? 0 : positive(values.calibrate, '--calibrate', 0),
  };
}

/** The command-line flags that shape the weights (not where the files go), for the model card. */
export function recipeFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' || argv[i] === '--work') i += 1;
    else if (!argv[i].startsWith('--out=') && !argv[i].startsWith('--work=')) out.push(argv[i]);
  }
  return out;
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function stepLogger(total: number) {
  return (s: PretrainStep) => {
    if (s.step % 10 === 0 || s.step === 1 || s.step === total) {
      log(`step ${s.step}/${total} loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)} ${Math.round(s.tokensPerSec)} tok/s ${s.seconds.toFixed(0)} s (cpu ${s.cpuSeconds.toFixed(0)} s)`);
    }
  };
}

/** Writes the finished model folder atomically (staging folder, then rename). */
async function writeOutput(opts: Options, result: Awaited<ReturnType<typeof pretrain>>, facts: CardFacts, tokenizerJson: string): Promise<void> {
  // Loaded only when a finished model is written, after the long part of the run.
  const { modelCard } = await import('./model_card');
  const { lossCurvePng } = await import('./loss_plot');
  const staging = `${opts.out}.partial`;
  rmSync(staging, { recursive: true, force: true });
  saveModel(staging, result.model);
  writeFileSync(path.join(staging, 'tokenizer.json'), tokenizerJson);
  writeFileSync(path.join(staging, 'tokenizer_config.json'), JSON.stringify(pretrainTokenizerConfig(NUM_SENTINELS, facts.config.inputLength), null, 2) + '\n');
  writeFileSync(path.join(staging, 'loss_curve.png'), lossCurvePng(result.losses));
  writeFileSync(path.join(staging, 'training_log.json'), JSON.stringify({ losses: result.losses.map((l) => Number(l.toFixed(5))) }) + '\n');
  writeFileSync(path.join(staging, 'README.md'), modelCard(facts));
  rmSync(opts.out, { recursive: true, force: true });
  renameSync(staging, opts.out);
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  const cfg = opts.calibrate ? { ...opts.cfg, steps: opts.calibrate, checkpointEvery: 0 } : opts.cfg;
  const backend = await initBackend({ force: 'wasm', wasmThreads: opts.threads });
  log(`backend ${backend.name}, ${opts.threads} wasm thread(s), ${os.cpus().length} CPU(s)`);
  const corpus = buildPretrainCorpus({ emails: cfg.emails });
  const texts = corpusParagraphs(corpus);
  log(`corpus: ${corpus.documents.length} documents, ${corpus.excluded.length} held out (validation and test splits), ${texts.reduce((n, t) => n + t.length, 0)} characters`);
  const tokenizerJson = JSON.stringify(buildPretrainTokenizer(texts, cfg.model.vocabSize, NUM_SENTINELS));
  mkdirSync(opts.work, { recursive: true });
  writeFileSync(path.join(opts.work, 'tokenizer.json'), tokenizerJson);
  const tok = loadTokenizer(opts.work);
  const { raw, target } = inputAndTargetLengths(cfg.inputLength, cfg.noise);
  const blocks = tokenBlocks(tok, texts, raw);
  log(`tokens: ${blocks.corpusTokens} in the corpus, ${blocks.numBlocks} blocks of ${raw} → input ${cfg.inputLength}, target ${target}`);
  const workDir = opts.calibrate ? path.join(opts.work, 'calibration') : opts.work;
  if (opts.calibrate) {
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    writeFileSync(path.join(workDir, 'tokenizer.json'), tokenizerJson);
  }
  const wall = performance.now();
  const result = await pretrain(cfg, blocks, workDir, stepLogger(cfg.steps));
  try {
    if (result.resumedFrom > 0) log(`resumed from step ${result.resumedFrom}`);
    if (opts.calibrate) {
      const timed = result.seconds;
      const cpu = result.cpuSeconds / cfg.steps;
      log(`calibration: ${cfg.steps} steps in ${timed.toFixed(1)} s, ${(timed / cfg.steps).toFixed(2)} s/step (${cpu.toFixed(2)} CPU s/step), model ${result.model.numParams()} parameters`);
      return 0;
    }
    const facts: CardFacts = {
      config: cfg, params: result.model.numParams(), corpus, corpusTokens: blocks.corpusTokens, numBlocks: blocks.numBlocks,
      rawLength: raw, inputLength: cfg.inputLength, targetLength: target, losses: result.losses, trainSeconds: result.seconds, cpuSeconds: result.cpuSeconds,
      sessionSeconds: (performance.now() - wall) / 1000, resumedFrom: result.resumedFrom, threads: opts.threads,
      cpus: os.cpus().length, numSentinels: NUM_SENTINELS, argv: recipeFlags(argv),
    };
    await writeOutput(opts, result, facts, tokenizerJson);
    log(`wrote ${opts.out} (final loss ${result.losses[result.losses.length - 1].toFixed(4)})`);
    return 0;
  } finally {
    result.model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`pretrain-default: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
