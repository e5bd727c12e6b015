// Discovery over a fake Hugging Face cache: snapshots resolved through refs/main, files linked
// into blobs/, unsupported architectures named, added folders kept; and `peft-bench models`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../src/main/engine/backend';
import { hfCacheDir, listModels, scanHfCache } from '../src/main/engine/models/discover';
import { modelShape } from '../src/main/engine/models/families';
import { saveModel } from '../src/main/engine/models/load';
import { T5Model } from '../src/main/engine/models/t5';
import { TINY_T5 } from './helpers';

const dir = mkdtempSync(path.join(os.tmpdir(), 'discover-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hfHome = path.join(dir, 'hf');
const cache = path.join(hfHome, 'hub');
const home = path.join(dir, 'home');

/** Moves each file of `folder` into the repo's blobs/ and links it back, as huggingface_hub lays them out. */
function intoCache(repo: string, rev: string, folder: string, main: boolean): void {
  const root = path.join(cache, repo);
  const snap = path.join(root, 'snapshots', rev);
  mkdirSync(path.join(root, 'blobs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) {
    const blob = `${rev}-${f.replace('.', '_')}`;
    renameSync(path.join(folder, f), path.join(root, 'blobs', blob));
    symlinkSync(path.join('..', '..', 'blobs', blob), path.join(snap, f));
  }
  if (main) {
    mkdirSync(path.join(root, 'refs'), { recursive: true });
    writeFileSync(path.join(root, 'refs', 'main'), rev);
  }
}

before(async () => {
  await initBackend();
  for (const [rev, main] of [['0ld0', false], ['c0ffee', true]] as const) {
    const folder = path.join(dir, `tmp-${rev}`);
    const model = T5Model.random(TINY_T5, 0);
    saveModel(folder, model);
    model.dispose();
    intoCache('models--org--tiny-t5', rev, folder, main);
  }
  const gpt2 = path.join(cache, 'models--openai-community--gpt2', 'snapshots', 'b1');
  mkdirSync(gpt2, { recursive: true });
  writeFileSync(path.join(gpt2, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], torch_dtype: 'float32' }));
  mkdirSync(path.join(cache, 'datasets--org--data', 'snapshots', 'd1'), { recursive: true });
});

test('the cache folder follows HF_HUB_CACHE, then HF_HOME, then ~/.cache', () => {
  assert.equal(hfCacheDir({ HF_HUB_CACHE: '/x/hub', HF_HOME: '/y' }), '/x/hub');
  assert.equal(hfCacheDir({ HF_HOME: '/y' }), path.join('/y', 'hub'));
  assert.equal(hfCacheDir({ XDG_CACHE_HOME: '/z' }), path.join('/z', 'huggingface', 'hub'));
});

test('the cache scan resolves refs/main, follows links into blobs and names what it cannot open', () => {
  const entries = scanHfCache(cache);
  assert.deepEqual(entries.map((e) => [e.name, e.revision]), [['openai-community/gpt2', 'b1'], ['org/tiny-t5', 'c0ffee']]);
  const [gpt2, t5] = entries;
  assert.equal(t5.architecture, 'T5ForConditionalGeneration');
  assert.equal(t5.params, modelShape(TINY_T5).totalParams);
  assert.equal(t5.dtype, 'F32');
  assert.equal(t5.problem, null);
  const blobs = path.join(cache, 'models--org--tiny-t5', 'blobs');
  assert.equal(t5.sizeBytes, statSync(path.join(blobs, 'c0ffee-config_json')).size + statSync(path.join(blobs, 'c0ffee-model_safetensors')).size);
  assert.equal(t5.path, path.join(cache, 'models--org--tiny-t5', 'snapshots', 'c0ffee'));
  assert.equal(gpt2.architecture, 'GPT2LMHeadModel');
  assert.equal(gpt2.dtype, 'float32', 'without weights, config.json’s torch_dtype');
  assert.match(gpt2.problem!, /model_type "gpt2" is not supported; supported: t5.*bert\/roberta/);
  assert.deepEqual(listModels({ home, cacheDir: path.join(dir, 'nowhere') }), []);
});

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HOME: hfHome, PEFT_BENCH_HOME: home };
  delete env.HF_HUB_CACHE;
  const r = spawnSync(process.execPath, ['bin/peft-bench.mjs', 'models', ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('peft-bench models lists the cache, adds folders and refuses ones it cannot open', () => {
  const table = cli();
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /org\/tiny-t5\s+T5ForConditionalGeneration\s+\d+\.\dK\s+[\d.]+ KB\s+F32\s+ok/);
  const folder = path.join(dir, 'mine');
  const model = T5Model.random(TINY_T5, 1);
  saveModel(folder, model);
  model.dispose();
  const added = cli('--add', folder, '--json');
  assert.equal(added.code, 0, added.err);
  assert.equal(JSON.parse(added.out).path, folder);
  assert.deepEqual(JSON.parse(readFileSync(path.join(home, 'model-folders.json'), 'utf8')), [folder]);
  const listed = JSON.parse(cli('--json').out) as { name: string; source: string }[];
  assert.deepEqual(listed.map((e) => [e.name, e.source]), [
    ['default', 'builtin'], ['default-untrained', 'builtin'], ['openai-community/gpt2', 'hf-cache'], ['org/tiny-t5', 'hf-cache'], ['mine', 'folder'],
  ]);
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const refused = cli('--add', empty);
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /empty: no config\.json/);
  assert.deepEqual(JSON.parse(readFileSync(path.join(home, 'model-folders.json'), 'utf8')), [folder], 'the list is unchanged');
});
