// Small pure pieces of measurement: nvidia-smi parsing, the spam e-mail reader, the majority baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emailToInput } from '../src/main/engine/data/spam_assassin';
import { majorityBaseline } from '../src/main/engine/data/task';
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

test('an e-mail becomes subject and decoded body text, other headers dropped', () => {
  const raw = 'From: a@b\nSubject: Cheap =3D deals\nX-Spam: yes\n\n<html><b>Buy</b> now=\n!&nbsp;really</html>';
  assert.equal(emailToInput(raw), 'spam or ham: Cheap =3D deals | Buy now! really');
});

test('the majority baseline scores always guessing the most frequent train target', () => {
  const train = [{ input: '', target: 'ham' }, { input: '', target: 'ham' }, { input: '', target: 'spam' }];
  assert.deepEqual(majorityBaseline(train, [{ input: '', target: 'ham' }, { input: '', target: 'spam' }]), { label: 'ham', score: 0.5 });
});
