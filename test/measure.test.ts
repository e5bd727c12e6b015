// Small pure pieces of measurement and reporting: nvidia-smi parsing, summaries, metrics, task readers.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { RunRecord, RunResult } from '../src/shared/types';
import { meanAndCi, summarise } from '../src/main/comparison/summary';
import { readJsonlExamples } from '../src/main/engine/data/jsonl_task';
import { emailToInput } from '../src/main/engine/data/spam_assassin';
import { exactMatch, majorityBaseline } from '../src/main/engine/data/task';
import { parseComputeApps, parseGpuList } from '../src/main/engine/measure/nvidia_smi';

test('nvidia-smi output is parsed into bytes', () => {
  const gpus = parseGpuList('NVIDIA H100 80GB HBM3, 550.54.15, 81559\nNVIDIA A100-SXM4-40GB, 535.1, 40960\n');
  assert.deepEqual(gpus[0], { name: 'NVIDIA H100 80GB HBM3', driver: '550.54.15', memoryTotalBytes: 81559 * 1024 * 1024 });
  assert.equal(gpus.length, 2);
  assert.throws(() => parseGpuList('garbage line\n'), /unexpected line "garbage line"/);
  const apps = parseComputeApps('1234, 2048\n99, 10\n1234, 1024\n\n');
  assert.equal(apps.get(1234), 3072 * 1024 * 1024);
  assert.equal(apps.get(99), 10 * 1024 * 1024);
});

test('mean and interval: two sample standard deviations', () => {
  assert.deepEqual(meanAndCi([0.5]), { mean: 0.5, ci: 0 });
  const { mean, ci } = meanAndCi([1, 2, 3]);
  assert.equal(mean, 2);
  assert.ok(Math.abs(ci - 2) < 1e-12);
});

function run(id: number, method: string, lr: number, seed: number, score: number, val: number): RunRecord {
  const result = { score, validationScore: val, trainableParams: 10, totalParams: 100, changedParams: 10, storageBytes: 40,
    peakTensorBytes: 1000 + id, peakRssBytes: 2000, peakGpuBytes: null, trainTokensPerSec: 100, inferTokensPerSecUnmerged: 50,
    inferTokensPerSecMerged: method === 'full' ? 50 : null, metric: 'accuracy', finalLoss: 1, trainSeconds: 1 } as RunResult;
  return { id, experimentId: 1, task: 't', method, learningRate: lr, seed, spec: {} as RunRecord['spec'], env: null,
    status: 'done', reason: null, createdAt: '', startedAt: '', finishedAt: '', result };
}

test('summary picks the learning rate with the best validation score and averages its seeds', () => {
  const rows = summarise([
    run(1, 'lora_qv', 1e-3, 0, 0.9, 0.8), run(2, 'lora_qv', 1e-3, 1, 0.7, 0.8),
    run(3, 'lora_qv', 1e-4, 0, 0.99, 0.5), run(4, 'full', 1e-4, 0, 0.6, 0.6),
    { ...run(5, 'full', 1e-3, 0, 0, 0), status: 'failed', result: null },
  ]);
  assert.deepEqual(rows.map((r) => r.method), ['full', 'lora_qv']);
  const lora = rows[1];
  assert.equal(lora.learningRate, 1e-3);
  assert.equal(lora.seeds, 2);
  assert.ok(Math.abs(lora.score - 0.8) < 1e-12);
  assert.ok(lora.scoreCi > 0);
  assert.equal(lora.peakTensorBytes, 1002);
  assert.equal(lora.inferTokensPerSecMerged, null);
});

test('exact match and the majority baseline', () => {
  assert.equal(exactMatch(['spam', ' ham ', 'x'], ['spam', 'ham', 'ham']), 2 / 3);
  assert.throws(() => exactMatch(['a'], []), /1 predictions for 0 references/);
  const train = [{ input: '', target: 'ham' }, { input: '', target: 'ham' }, { input: '', target: 'spam' }];
  assert.deepEqual(majorityBaseline(train, [{ input: '', target: 'ham' }, { input: '', target: 'spam' }]), { label: 'ham', score: 0.5 });
});

test('an e-mail becomes subject and decoded body text, other headers dropped', () => {
  const raw = 'From: a@b\nSubject: Cheap =3D deals\nX-Spam: yes\n\n<html><b>Buy</b> now=\n!&nbsp;really</html>';
  assert.equal(emailToInput(raw), 'spam or ham: Cheap =3D deals | Buy now! really');
});

test('JSONL rows: fields read, numbers kept as text, errors name file, line and field', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jsonl-'));
  const file = path.join(dir, 'a.jsonl');
  writeFileSync(file, '{"q": "2+2", "a": 4}\n\n{"q": "yes?", "a": true}\n');
  assert.deepEqual(readJsonlExamples(file, 'q', 'a'), [{ input: '2+2', target: '4' }, { input: 'yes?', target: 'true' }]);
  writeFileSync(file, '{"q": "x", "a": "y"}\n{"q": "x"}\n');
  assert.throws(() => readJsonlExamples(file, 'q', 'a'), new RegExp(`${file} line 2: field "a" is missing`));
  writeFileSync(file, '{"q": \n');
  assert.throws(() => readJsonlExamples(file, 'q', 'a'), /line 1: not valid JSON/);
  writeFileSync(file, '\n');
  assert.throws(() => readJsonlExamples(file, 'q', 'a'), /the split is empty/);
});
