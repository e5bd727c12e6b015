// Pretraining pieces end to end at toy size: corpus exclusion rule, tokenizer sentinels,
// a few deterministic updates that lower the loss, resume after interruption, the PNG, the
// model card, and the default-model hook.
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inflateSync, crc32 as zlibCrc32 } from 'node:zlib';
import { initBackend } from '../src/main/engine/backend';
import { loadSpamAssassin } from '../src/main/engine/data/spam_assassin';
import { splitOfKey, splitOfMd5 } from '../src/main/engine/data/split';
import { ensureDefaultModel, ensureUntrainedTwin } from '../src/main/engine/models/default_model';
import { loadTokenizer } from '../src/main/engine/models/tokenizer';
import { readModelConfig, saveModel } from '../src/main/engine/models/load';
import { buildPretrainCorpus, corpusParagraphs, EMAIL_BODY_CHARS, EMAIL_MATCH_CHARS, sotuAllowed } from '../src/main/engine/pretrain/corpus';
import { DEFAULT_PRETRAIN } from '../src/main/engine/pretrain/default_recipe';
import { lossCurvePng } from '../src/main/engine/pretrain/loss_plot';
import { modelCard } from '../src/main/engine/pretrain/model_card';
import { main as pretrainMain, recipeFlags } from '../src/main/engine/pretrain/pretrain_default';
import { PNG_SIGNATURE } from '../src/main/engine/pretrain/png';
import { initialModel, pretrain, type PretrainConfig } from '../src/main/engine/pretrain/pretrain_loop';
import { blockIndices, tokenBlocks } from '../src/main/engine/pretrain/pretrain_data';
import { buildPretrainTokenizer } from '../src/main/engine/pretrain/pretrain_tokenizer';
import { inputAndTargetLengths, T5_SPAN_CORRUPTION } from '../src/main/engine/pretrain/span_corruption';
import { TINY_T5 } from './helpers';

const VOCAB = 160;
const SENTINELS = 8;
let root = '';
let texts: string[] = [];

before(async () => {
  await initBackend();
  root = mkdtempSync(path.join(os.tmpdir(), 'pretrain-test-'));
  texts = corpusParagraphs(buildPretrainCorpus()).filter((p) => p.length < 400).slice(0, 60);
});
after(() => rmSync(root, { recursive: true, force: true }));

function tinySetup(name: string) {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(buildPretrainTokenizer(texts, VOCAB, SENTINELS)));
  const blocks = tokenBlocks(loadTokenizer(dir), texts, inputAndTargetLengths(24).raw);
  return { dir, blocks };
}

const CFG: PretrainConfig = {
  model: { ...TINY_T5, vocabSize: VOCAB, feedForwardProj: 'gated-gelu' },
  seed: 3, steps: 8, batchSize: 4, learningRate: 1e-2, relativeStep: false, inputLength: 24, warmupSteps: 1, weightDecay: 0.01, clipNorm: 1,
  noise: T5_SPAN_CORRUPTION, reconstructFraction: 0, checkpointEvery: 0, emails: false, reconstructLead: false, embeddingInit: 'random',
};

describe('pretraining corpus', () => {
  it('keeps exactly the SOTU addresses of the train split, and Moby-Dick', () => {
    const corpus = buildPretrainCorpus();
    const sotu = corpus.documents.filter((d) => d.key.startsWith('sotu:'));
    assert.ok(sotu.length > 150 && corpus.excluded.length > 20);
    for (const d of sotu) assert.equal(splitOfKey(d.key), 'train', d.key);
    for (const e of corpus.excluded) assert.notEqual(splitOfKey(e.key), 'train', e.key);
    assert.ok(corpus.documents.some((d) => d.key.startsWith('moby-dick:')));
    assert.equal(sotuAllowed(1961, 'John F. Kennedy'), true); // bucket 3, as test/split.test.ts checks
    assert.ok(!corpus.documents.some((d) => d.key.startsWith('spam:')), 'no e-mail unless asked for');
  });

  it('with e-mails, adds exactly the spam task\'s train e-mails, without labels, and none it evaluates on', () => {
    const corpus = buildPretrainCorpus({ emails: true });
    const mails = corpus.documents.filter((d) => d.key.startsWith('spam:'));
    const held = corpus.excluded.filter((e) => e.key.startsWith('spam:'));
    assert.equal(mails.length + held.length, 6046);
    for (const d of mails) assert.equal(splitOfMd5(d.key.slice(5)), 'train', d.key);
    const task = loadSpamAssassin();
    assert.equal(held.filter((e) => splitOfMd5(e.key.slice(5)) !== 'train').length, task.validation.length + task.test.length);
    const prefix = 'spam or ham: '.length;
    const heldOpenings = new Set([...task.validation, ...task.test].map((x) => x.input.slice(prefix, prefix + EMAIL_MATCH_CHARS)));
    const texts = mails.flatMap((d) => d.paragraphs);
    assert.equal(texts.filter((t) => heldOpenings.has(t.slice(0, EMAIL_MATCH_CHARS))).length, 0, 'no validation or test e-mail text, nor a near-copy');
    assert.ok(texts.every((t) => t.length <= EMAIL_BODY_CHARS + 400 && !/^spam or ham/.test(t)));
    const card = modelCard({
      config: { ...DEFAULT_PRETRAIN, emails: true }, params: 1234, corpus, corpusTokens: 98765, numBlocks: 700, rawLength: 141, inputLength: 128,
      targetLength: 29, losses: [9, 5], trainSeconds: 1, cpuSeconds: 1, sessionSeconds: 1, resumedFrom: 0, threads: 1, cpus: 2, numSentinels: 100, argv: ['--emails', 'on'],
    });
    assert.ok(card.includes(`- ${mails.length} e-mails of`) && card.includes(`${held.length} e-mails were left out`), card);
  });
});

describe('pretraining tokenizer', () => {
  it('puts <extra_id_0> at the top of the vocabulary, counting down', () => {
    const { dir } = tinySetup('tok');
    const tok = loadTokenizer(dir);
    assert.equal(tok.vocabSize, VOCAB);
    const json = JSON.stringify(buildPretrainTokenizer(texts, VOCAB, SENTINELS));
    assert.equal(json, JSON.stringify(buildPretrainTokenizer([...texts], VOCAB, SENTINELS)), 'deterministic');
    const vocab = (JSON.parse(json) as { model: { vocab: [string, number][] } }).model.vocab;
    assert.equal(vocab[VOCAB - 1][0], '<extra_id_0>');
    assert.equal(vocab[VOCAB - SENTINELS][0], `<extra_id_${SENTINELS - 1}>`);
    assert.equal(tok.decode([...tok.encode('the whale'), VOCAB - 1]), 'the whale');
  });
});

describe('pretraining loop', () => {
  it('is deterministic, lowers the loss and leaks no tensors', async () => {
    const { dir, blocks } = tinySetup('det');
    const tensorsBefore = tf.memory().numTensors;
    const a = await pretrain(CFG, blocks, dir);
    const weights = a.model.checkpointTensor('shared.weight');
    const w = Array.from(weights.dataSync());
    tf.dispose(weights);
    a.model.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'pretraining left tensors behind');
    const b = await pretrain(CFG, blocks, dir);
    const weightsB = b.model.checkpointTensor('shared.weight');
    assert.deepEqual(b.losses, a.losses);
    assert.deepEqual(Array.from(weightsB.dataSync()), w);
    tf.dispose(weightsB);
    b.model.dispose();
    const head = a.losses.slice(0, 2).reduce((x, y) => x + y) / 2;
    const tail = a.losses.slice(-2).reduce((x, y) => x + y) / 2;
    assert.ok(tail < head - 0.3, `loss ${head.toFixed(3)} → ${tail.toFixed(3)} should fall`);
  });

  it('resumes an interrupted run exactly from its last checkpoint', async () => {
    const straight = tinySetup('straight');
    const whole = await pretrain(CFG, straight.blocks, straight.dir);
    whole.model.dispose();
    const cut = tinySetup('cut');
    const cfg = { ...CFG, checkpointEvery: 3, emails: false };
    const stop = (s: { step: number }) => {
      if (s.step === 5) throw new Error('interrupted');
    };
    await assert.rejects(pretrain(cfg, cut.blocks, cut.dir, stop), /interrupted/);
    const resumed = await pretrain(cfg, cut.blocks, cut.dir);
    resumed.model.dispose();
    assert.equal(resumed.resumedFrom, 3);
    assert.deepEqual(resumed.losses, whole.losses);
    await assert.rejects(pretrain({ ...cfg, seed: 4 }, cut.blocks, cut.dir), /checkpoint of a different pretraining run/);
  });

  it('starts the shared embedding from PPMI-SVD rows when asked, and every other tensor as a random start does', () => {
    const { blocks } = tinySetup('init');
    const random = initialModel(CFG, blocks);
    const svd = initialModel({ ...CFG, embeddingInit: 'ppmi-svd' }, blocks);
    try {
      const read = (m: typeof random, name: string) => {
        const t = m.checkpointTensor(name);
        const data = Array.from(t.dataSync());
        t.dispose();
        return data;
      };
      for (const name of random.params.keys()) {
        if (name !== 'shared.weight') assert.deepEqual(read(svd, name), read(random, name), name);
      }
      const D = CFG.model.dModel;
      const [r, s] = [read(random, 'shared.weight'), read(svd, 'shared.weight')];
      const row = (e: number[], id: number) => e.slice(id * D, (id + 1) * D);
      const inStream = new Set(blocks.ids);
      const used = [...inStream].find((id) => id !== CFG.model.eosTokenId)!;
      assert.notDeepEqual(row(s, used), row(r, used));
      const sentinel = CFG.model.vocabSize - 1;
      assert.ok(!inStream.has(sentinel));
      assert.deepEqual(row(s, sentinel), row(r, sentinel), 'a sentinel keeps its random row');
    } finally {
      random.dispose();
      svd.dispose();
    }
  });
});

/** Chunks of a PNG file: type, data, and whether the stored CRC matches. */
function pngChunks(png: Buffer) {
  const chunks: { type: string; data: Buffer; crcOk: boolean }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    chunks.push({ type, data, crcOk: zlibCrc32(png.subarray(at + 4, at + 8 + length)) === png.readUInt32BE(at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

describe('loss curve PNG', () => {
  it('decodes: signature, IHDR, CRCs, and inflated rows of the stated size', () => {
    const png = lossCurvePng([9, 8, 6.5, 5, 4.8, 4.1, 4.3, 3.9], 320, 200);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    const chunks = pngChunks(png);
    assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
    assert.ok(chunks.every((c) => c.crcOk), 'every chunk CRC matches');
    const ihdr = chunks[0].data;
    assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]], [320, 200, 8, 2, 0, 0, 0]);
    const rows = inflateSync(chunks[1].data);
    assert.equal(rows.length, 200 * (1 + 320 * 3));
    let dark = 0, white = 0;
    for (let y = 0; y < 200; y++) {
      assert.equal(rows[y * 961], 0, 'filter byte');
      for (let x = 0; x < 320; x++) {
        const p = y * 961 + 1 + x * 3;
        if (rows[p] === 20 && rows[p + 1] === 60 && rows[p + 2] === 160) dark++;
        if (rows[p] === 255 && rows[p + 1] === 255 && rows[p + 2] === 255) white++;
      }
    }
    assert.ok(dark > 100, 'the mean curve is drawn');
    assert.ok(white > 320 * 200 * 0.8, 'mostly background');
  });

  it('refuses losses it cannot plot', () => {
    assert.throws(() => lossCurvePng([1]), /at least 2 losses/);
    assert.throws(() => lossCurvePng([1, NaN]), /finite/);
  });
});

describe('batches and model card', () => {
  it('visits every block once per epoch, in a seeded order', () => {
    const plan = { seed: 5, batchSize: 4 };
    const epoch = Array.from({ length: 5 }, (_, step) => blockIndices(20, plan, step)).flat();
    assert.deepEqual([...epoch].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.notDeepEqual(epoch, Array.from({ length: 20 }, (_, i) => i));
    assert.deepEqual(blockIndices(20, plan, 3), epoch.slice(12, 16));
    assert.notDeepEqual(blockIndices(20, plan, 5), epoch.slice(0, 4), 'the next epoch is shuffled afresh');
  });

  it('states corpus, token count, steps, final loss, command and seed', () => {
    const losses = [9, 7, 5.5, 4.25];
    const card = modelCard({
      config: { ...DEFAULT_PRETRAIN, steps: 4 }, params: 1234, corpus: buildPretrainCorpus(), corpusTokens: 98765, numBlocks: 700,
      rawLength: 141, inputLength: 128, targetLength: 29, losses, trainSeconds: 120, cpuSeconds: 100, sessionSeconds: 150,
      resumedFrom: 0, threads: 1, cpus: 2, numSentinels: 100, argv: ['--steps', '4'],
    });
    for (const needle of ['98,765 tokens', '4 updates of 16', '4.250 at the last', 'npm run pretrain-default -- --steps 4', 'Seed 0', 'loss_curve.png', 'Moby-Dick']) {
      assert.ok(card.includes(needle), `card mentions "${needle}"`);
    }
  });

  it('names the whole-block targets and the relative step when the recipe uses them, and leaves file places out of the command', () => {
    const facts = {
      params: 1234, corpus: buildPretrainCorpus(), corpusTokens: 98765, numBlocks: 700, rawLength: 70, inputLength: 64, targetLength: 14,
      losses: [9, 5], trainSeconds: 120, cpuSeconds: 100, sessionSeconds: 150, resumedFrom: 0, threads: 1, cpus: 2, numSentinels: 100,
    };
    const plain = modelCard({ ...facts, config: { ...DEFAULT_PRETRAIN, reconstructFraction: 0, relativeStep: false, embeddingInit: 'random' }, argv: [] });
    assert.ok(!plain.includes('whole original block') && !plain.includes('relative step'));
    const mixed = modelCard({ ...facts, config: { ...DEFAULT_PRETRAIN, reconstructFraction: 0.5, relativeStep: true }, argv: ['--reconstruct', '0.5'] });
    for (const needle of ['For 50% of the blocks', 'whole original block', "Adafactor's relative step", 'npm run pretrain-default -- --reconstruct 0.5\n']) {
      assert.ok(mixed.includes(needle), `card mentions "${needle}"`);
    }
    assert.ok(!plain.includes('PPMI-SVD'));
    const svd = modelCard({ ...facts, config: { ...DEFAULT_PRETRAIN, embeddingInit: 'ppmi-svd' }, argv: ['--embedding-init', 'ppmi-svd'] });
    assert.ok(svd.includes('starts from PPMI-SVD word vectors') && svd.includes('keep their random rows'));
    assert.ok(modelCard({ ...facts, config: { ...DEFAULT_PRETRAIN, model: { ...DEFAULT_PRETRAIN.model, tieWordEmbeddings: false } }, argv: [] }).includes('a separate\noutput head (`lm_head`)'));
    assert.ok(modelCard({ ...facts, config: { ...DEFAULT_PRETRAIN, model: { ...DEFAULT_PRETRAIN.model, tieWordEmbeddings: true } }, argv: [] }).includes('output\nhead tied to the embedding'));
    assert.deepEqual(recipeFlags(['--steps', '9', '--out', '/x', '--work=/y', '--lr', '1e-2']), ['--steps', '9', '--lr', '1e-2']);
  });

  it('refuses bad recipe flags by name before any work', async () => {
    const cases: [string[], RegExp][] = [
      [['--reconstruct', '1.5'], /--reconstruct must be a fraction in \[0, 1\], got "1.5"/],
      [['--noise-density', '0'], /--noise-density must be in \(0, 1\), got 0/],
      [['--mean-span', '0.5'], /--mean-span must be a number ≥ 1, got "0.5"/],
      [['--d-model', '130'], /--d-model must be a multiple of the 4 heads, got 130/],
      [['--tied-head', 'maybe'], /--tied-head must be on or off, got "maybe"/],
      [['--layers', '0'], /--layers must be a positive integer, got "0"/],
      [['--embedding-init', 'glove'], /--embedding-init must be random or ppmi-svd, got "glove"/],
    ];
    for (const [argv, message] of cases) await assert.rejects(pretrainMain(argv), message);
  });
});

describe('default model hook', () => {
  it('uses a sound pretrained folder, and names the fix for a damaged one', async () => {
    const { dir, blocks } = tinySetup('hook');
    const run = await pretrain({ ...CFG, steps: 1 }, blocks, dir);
    saveModel(dir, run.model);
    run.model.dispose();
    assert.equal(ensureDefaultModel(path.join(root, 'unused'), () => {}, dir), dir);
    // The untrained twin: same config and tokenizer, fresh weights.
    const twin = ensureUntrainedTwin(path.join(root, 'twin'), () => {}, dir);
    assert.equal(readFileSync(path.join(twin, 'tokenizer.json'), 'utf8'), readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    assert.deepEqual(readModelConfig(twin), readModelConfig(dir));
    assert.notDeepEqual(readFileSync(path.join(twin, 'model.safetensors')), readFileSync(path.join(dir, 'model.safetensors')));
    assert.equal(ensureUntrainedTwin(path.join(root, 'twin'), () => assert.fail('built twice'), dir), twin, 'built once, then reused');
    // A default model replaced by another recipe: the twin is rebuilt to its new shape.
    const other = tinySetup('hook-other');
    const wider = await pretrain({ ...CFG, steps: 1, model: { ...CFG.model, dFf: CFG.model.dFf * 2 } }, other.blocks, other.dir);
    saveModel(other.dir, wider.model);
    wider.model.dispose();
    const lines: string[] = [];
    ensureUntrainedTwin(path.join(root, 'twin'), (l) => lines.push(l), other.dir);
    assert.match(lines.join('\n'), /built for another default model.*rebuilding/);
    assert.deepEqual(readModelConfig(twin), readModelConfig(other.dir));
    writeFileSync(path.join(dir, 'model.safetensors'), 'broken');
    assert.throws(() => ensureDefaultModel(path.join(root, 'unused'), () => {}, dir), /damaged.*npm run pretrain-default/);
  });
});
