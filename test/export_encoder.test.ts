// Export and import of the encoders (BERT, RoBERTa): the trained classifier head in every layout,
// files read back with the tests' own reader (peft_fixture.ts, not engine/safetensors.ts). BERT from
// its parity fixture with its stored 3-label head (old gamma/beta names, pretraining heads, the I64
// position_ids buffer); RoBERTa as a base folder without a head, trained with 4 labels. Golden
// names: peft's saving (src/peft/utils/save_and_load.py get_peft_model_state_dict, as in
// export.test.ts), the head as modules_to_save saves it (src/peft/utils/other.py
// ModulesToSaveWrapper.adapter_state_dict: the module's own path, "modules_to_save.<adapter>"
// removed) and transformers' BertForSequenceClassification / RobertaForSequenceClassification names.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/main/engine/backend';
import { exportDelta, type ExportKind } from '../src/main/engine/export/export';
import { importAdapter } from '../src/main/engine/export/import_adapter';
import { probeLogits } from '../src/main/engine/export/verify';
import { loadModel } from '../src/main/engine/models/load';
import type { MethodOptions } from '../src/main/engine/peft/method';
import { writeSafetensorsFile } from '../src/main/engine/safetensors';
import { relError } from './helpers';
import { encoderFolder, importedLogits, readSt, trainedDelta, trainedLogits } from './peft_fixture';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-export-encoder-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let outCount = 0;
const freshOut = () => path.join(dir, `out-${++outCount}`);

before(async () => {
  await initBackend();
});

const keys = (modules: string[], params: string[]) => modules.flatMap((m) => params.map((p) => `base_model.model.${m}.${p}`)).sort();

const ENCODERS = {
  bert: { fixture: 'bert_tiny', withHead: true, labels: 3, head: ['classifier.weight', 'classifier.bias'] },
  roberta: { fixture: 'roberta_tiny', withHead: false, labels: 4, head: ['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias'] },
} as const;
type Family = keyof typeof ENCODERS;
const encoderBase = (family: Family, withHead: boolean = ENCODERS[family].withHead) => {
  const to = path.join(dir, `${family}-${withHead ? 'head' : 'base'}`);
  return existsSync(to) ? to : encoderFolder(ENCODERS[family].fixture, to, withHead);
};

function encoderGolden(p: string): Record<string, string[]> {
  const at = (...paths: string[]) => [0, 1].flatMap((i) => paths.map((x) => `${p}.encoder.layer.${i}.${x}`));
  const qv = at('attention.self.query', 'attention.self.value');
  return {
    lora_qv: keys(qv, ['lora_A.weight', 'lora_B.weight']),
    lora_all: keys(at('attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense'), ['lora_A.weight', 'lora_B.weight']),
    dora: keys(qv, ['lora_A.weight', 'lora_B.weight', 'lora_magnitude_vector']),
    ia3: keys(at('attention.self.key', 'attention.self.value', 'intermediate.dense'), ['ia3_l']),
    // d = 32 = 4·8: r 8 ≥ max(4, 8)/2, so lokr_w2 stays whole.
    krona: keys(qv, ['lokr_w1', 'lokr_w2']),
    ln_tuning: keys([`${p}.embeddings.LayerNorm`, ...at('attention.output.LayerNorm', 'output.LayerNorm')], ['ln_tuning_layers.weight', 'ln_tuning_layers.bias']),
    prompt_tuning: ['prompt_embeddings'],
  };
}

const ENCODER_CASES: [string, MethodOptions, string][] = [
  ['lora_qv', { r: 4, alpha: 8 }, 'LORA'], ['lora_all', { r: 2 }, 'LORA'], ['dora', {}, 'LORA'], ['ia3', {}, 'IA3'],
  ['krona', {}, 'LOKR'], ['ln_tuning', {}, 'LN_TUNING'], ['prompt_tuning', { num_virtual_tokens: 3 }, 'PROMPT_TUNING'],
];

/** Exports a trained delta of `method` on `family`'s base; returns what the checks need. */
function encoderRun(family: Family, method: string, options: MethodOptions, kind: ExportKind, extra: Partial<Parameters<typeof exportDelta>[0]> = {}) {
  const base = extra.modelDir ?? encoderBase(family);
  const delta = trainedDelta(base, method, options, { numLabels: ENCODERS[family].labels });
  const out = freshOut();
  const report = exportDelta({ modelDir: base, method, options, delta, kind, out, ...extra });
  return { base, delta, out, report, reference: () => trainedLogits(base, method, options, delta, ENCODERS[family].labels) };
}

for (const family of Object.keys(ENCODERS) as Family[]) {
  describe(`${family}: adapter export with the classifier head as modules_to_save`, () => {
    for (const [method, options, peftType] of ENCODER_CASES) {
      test(`${method}: ${peftType}, SEQ_CLS, peft's keys for the method and the head; export → import gives identical outputs`, () => {
        const { out, delta, report, base, reference } = encoderRun(family, method, options, 'adapter');
        const config = JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
        assert.equal(config.peft_type, peftType);
        assert.equal(config.task_type, 'SEQ_CLS');
        assert.deepEqual(config.modules_to_save, ['classifier', 'score']);
        const prefix = method === 'prompt_tuning' ? 'base_model.' : 'base_model.model.';
        const st = readSt(path.join(out, 'adapter_model.safetensors'));
        assert.deepEqual([...st.tensors.keys()].sort(), [...encoderGolden(family)[method], ...ENCODERS[family].head.map((h) => prefix + h)].sort());
        for (const h of ENCODERS[family].head) assert.deepEqual(st.tensors.get(prefix + h)!.data, delta.find((d) => d.name === h)!.data, `${h} written as trained`);
        assert.equal(st.tensors.get(prefix + ENCODERS[family].head.at(-2)!)!.shape[0], ENCODERS[family].labels);
        assert.ok(report.checks.every((c) => c.ok), JSON.stringify(report.checks));
        assert.match(report.notes.join('\n'), new RegExp(`classifier head of ${ENCODERS[family].labels} labels .*num_labels=${ENCODERS[family].labels}`));
        const back = importedLogits(out, base);
        assert.equal(back.adapter.method, method);
        assert.deepEqual(back.logits, reference());
      });
    }

    test('target_modules a peft model would match exactly: a regular expression where a module name would also pick BERT\'s pooler', () => {
      const all = JSON.parse(readFileSync(path.join(encoderRun(family, 'lora_all', { r: 2 }, 'adapter').out, 'adapter_config.json'), 'utf8')).target_modules;
      const ia3 = JSON.parse(readFileSync(path.join(encoderRun(family, 'ia3', {}, 'adapter').out, 'adapter_config.json'), 'utf8')).target_modules;
      if (family === 'bert') {
        assert.equal(typeof all, 'string');
        assert.ok(!new RegExp(all).test('bert.pooler.dense') && new RegExp(all).test('bert.encoder.layer.1.output.dense'), all);
      } else assert.deepEqual(all, ['dense', 'key', 'query', 'value'], 'classifier.dense is kept out by modules_to_save');
      assert.equal(typeof ia3, 'string', 'dense names three Linears of a layer; ia3 scales one of them');
      assert.ok(new RegExp(ia3).test(`${family}.encoder.layer.0.intermediate.dense`) && !new RegExp(ia3).test(`${family}.encoder.layer.0.output.dense`), ia3);
    });

    test('houlsby: the workbench layout keeps the head under its checkpoint names; round trip identical', () => {
      const { out, delta, report, base, reference } = encoderRun(family, 'houlsby', {}, 'adapter');
      assert.equal(report.layout, 'workbench');
      assert.match(report.notes[0], /classifier head of \d labels .* saved with the method's tensors under its checkpoint names/);
      const st = readSt(path.join(out, 'workbench_adapter.safetensors'));
      assert.deepEqual([...st.tensors.keys()].sort(), delta.map((d) => d.name).sort());
      for (const h of ENCODERS[family].head) assert.ok(st.tensors.has(h), h);
      assert.deepEqual(importedLogits(out, base).logits, reference());
    });
  });
}

describe('encoders: merged export with the trained head', () => {
  test('BERT: transformers\' names (old names renamed, pretraining heads and buffers left out), the trained head, id2label from the task', () => {
    const base = encoderBase('bert');
    const before = tf.memory().numTensors;
    const { out, delta, report, reference } = encoderRun('bert', 'lora_qv', { r: 4, alpha: 8 }, 'merged', { labels: ['no', 'maybe', 'yes'] });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    const was = readSt(path.join(base, 'model.safetensors'));
    const merged = readSt(path.join(out, 'model.safetensors'));
    const names = [...merged.tensors.keys()];
    assert.ok(names.every((n) => !/gamma|beta|^cls\.|position_ids/.test(n)), names.join(' '));
    assert.equal(names.length, [...was.tensors.keys()].filter((n) => !/^cls\.|position_ids/.test(n)).length);
    assert.deepEqual(merged.tensors.get('bert.embeddings.LayerNorm.weight')!.data, was.tensors.get('bert.embeddings.LayerNorm.gamma')!.data);
    assert.deepEqual(merged.tensors.get('bert.encoder.layer.0.attention.self.key.weight')!.data, was.tensors.get('bert.encoder.layer.0.attention.self.key.weight')!.data);
    for (const h of ENCODERS.bert.head) assert.deepEqual(merged.tensors.get(h)!.data, delta.find((d) => d.name === h)!.data, `${h} is the trained head`);
    assert.deepEqual(merged.meta, { format: 'pt' });
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
    assert.equal(config.num_labels, 3);
    assert.deepEqual(config.id2label, { 0: 'no', 1: 'maybe', 2: 'yes' });
    assert.deepEqual(config.label2id, { no: 0, maybe: 1, yes: 2 });
    assert.equal(config.hidden_size, 32, 'the base config\'s other fields kept');
    assert.ok(report.checks[0].ok && report.notes[0].includes('no, maybe, yes'), JSON.stringify(report));
    // Merged equals unmerged, from the written folder loaded as a model of its own.
    const loaded = loadModel(out);
    try {
      assert.ok(relError(probeLogits(loaded.model), reference()) < 1e-5);
    } finally {
      loaded.model.dispose();
    }
  });

  test('RoBERTa on a float16 base without a head: float16 out (head too), sharded with an index, default label names', () => {
    const to = path.join(dir, 'roberta-f16');
    mkdirSync(to);
    const base = encoderBase('roberta');
    for (const f of ['config.json', 'tokenizer.json']) writeFileSync(path.join(to, f), readFileSync(path.join(base, f)));
    const st = readSt(path.join(base, 'model.safetensors'));
    writeSafetensorsFile(path.join(to, 'model.safetensors'), st.order.map((name) => ({ name, dtype: 'F16' as const, shape: st.tensors.get(name)!.shape, data: st.tensors.get(name)!.data })), { format: 'pt' });
    const { out, report } = encoderRun('roberta', 'ia3', {}, 'merged', { modelDir: to, shardBytes: 6000 });
    const index = JSON.parse(readFileSync(path.join(out, 'model.safetensors.index.json'), 'utf8'));
    const shards = [...new Set(Object.values(index.weight_map as Record<string, string>))];
    assert.ok(shards.length > 2, `${shards.length} shards`);
    const all = new Map(shards.flatMap((s) => [...readSt(path.join(out, s)).tensors]));
    assert.deepEqual([...all.values()].map((t) => t.dtype).filter((d) => d !== 'F16'), []);
    assert.deepEqual(all.get('classifier.out_proj.weight')!.shape, [4, 32]);
    assert.ok(!all.has('roberta.pooler.dense.weight'), 'RobertaForSequenceClassification has no pooler');
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2', 3: 'LABEL_3' });
    assert.match(report.notes[0], /default names/);
    assert.ok(report.checks[0].ok && report.checks[0].tolerance > 1e-4, JSON.stringify(report.checks));
  });
});

describe('encoders: bad input', () => {
  test('labels that do not fit the head, a head of another label count, modules_to_save beyond the head, a head in part', () => {
    const base = encoderBase('bert');
    assert.throws(() => encoderRun('bert', 'lora_qv', {}, 'merged', { labels: ['a', 'b'] }),
      /classifier head "classifier\.weight" is \[3, 32\], 3 labels, but its task has 2 \(a, b\)/);
    const headless = encoderBase('bert', false);
    const delta = trainedDelta(headless, 'lora_qv', {}, { numLabels: 4 });
    const out = freshOut();
    exportDelta({ modelDir: headless, method: 'lora_qv', options: {}, delta, kind: 'adapter', out });
    assert.throws(() => importAdapter(out, base),
      /tensor "base_model\.model\.classifier\.weight" is \[4, 32\], a head of 4 labels, but .*bert-head's checkpoint has its own classifier\.weight \[3, 32\] \(3 labels\)/);
    const cfgFile = path.join(out, 'adapter_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, modules_to_save: ['classifier', 'pooler'] }));
    assert.throws(() => importAdapter(out, headless), /modules_to_save names "pooler", so peft also trained whole copies of bert\.pooler/);
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const weights = path.join(out, 'adapter_model.safetensors');
    const st = readSt(weights);
    writeSafetensorsFile(weights, st.order.filter((n) => !n.endsWith('classifier.bias')).map((name) => ({ name, dtype: 'F32' as const, shape: st.tensors.get(name)!.shape, data: st.tensors.get(name)!.data })), { format: 'pt' });
    assert.throws(() => importAdapter(out, headless), /tensor "base_model\.model\.classifier\.bias" is missing while base_model\.model\.classifier\.weight is there/);
  });
});
