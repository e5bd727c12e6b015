// Task readers on small files in the released formats, the CSV parser, and the built-in tasks' splits.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { groupPronunciations } from '../src/main/engine/data/cmudict';
import { parseCsv } from '../src/main/engine/data/csv';
import { FORMATTERS, familyOf } from '../src/main/engine/data/format';
import { eraOf, passagesOf } from '../src/main/engine/data/sotu';
import { loadTask } from '../src/main/engine/data/tasks';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tasks-'));
function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const jsonl = (name: string, rows: object[]) => file(name, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const splits = (f: string) => ({ train: f, validation: f, test: f });

test('CSV: BOM, quoted commas, embedded newlines, doubled quotes, CRLF, and line numbers', () => {
  const rows = parseCsv('\ufeffa,b\r\n"x, y","line one\nline two"\r\n"say ""hi""",2\n', 'f.csv');
  assert.deepEqual(rows, [
    { line: 2, row: { a: 'x, y', b: 'line one\nline two' } },
    { line: 4, row: { a: 'say "hi"', b: '2' } },
  ]);
  assert.throws(() => parseCsv('a,b\n"x\ny",1\n3\n', 'f.csv'), /f\.csv line 4: 1 fields where the header has 2/);
  assert.throws(() => parseCsv('a\n"open\n', 'f.csv'), /f\.csv line 2: a quoted field is never closed/);
  assert.throws(() => parseCsv('a,a\n1,2\n', 'f.csv'), /column "a" appears twice/);
});

test('BoolQ, RTE and COPA in their released JSONL format become T5 text-to-text examples', () => {
  const boolq = jsonl('boolq.jsonl', [{ question: 'is it wet', passage: 'Water is wet.', idx: 0, label: true }, { question: 'q', passage: 'p', idx: 1, label: false }]);
  const t = loadTask({ name: 'boolq', format: 'boolq', ...splits(boolq) });
  assert.deepEqual(t.test[0], { input: 'boolq passage: Water is wet. question: is it wet', target: 'True', fields: [['passage', 'Water is wet.'], ['question', 'is it wet']] });
  assert.equal(t.test[1].target, 'False');
  assert.deepEqual(t.labels, ['False', 'True']);
  const rte = jsonl('rte.jsonl', [{ premise: 'A man sleeps.', hypothesis: 'Someone rests.', label: 'entailment', idx: 0 }]);
  assert.equal(loadTask({ name: 'rte', format: 'rte', ...splits(rte) }).train[0].input, 'rte hypothesis: Someone rests. premise: A man sleeps.');
  const copa = jsonl('copa.jsonl', [{ premise: 'It rained.', choice1: 'The grass got wet.', choice2: 'The sun shone.', question: 'effect', label: 0, idx: 0 }]);
  const c = loadTask({ name: 'copa', format: 'copa', ...splits(copa) }).train[0];
  assert.equal(c.input, 'copa choice1: The grass got wet. choice2: The sun shone. premise: It rained. question: effect');
  assert.equal(c.target, 'choice1');
});

test('bad SuperGLUE rows name the file, line and field', () => {
  const missing = jsonl('bad1.jsonl', [{ question: 'q', passage: 'p', label: true }, { question: 'q', label: false }]);
  assert.throws(() => loadTask({ name: 'b', format: 'boolq', ...splits(missing) }), new RegExp(`bad1\\.jsonl line 2: field "passage" is missing`));
  const unlabeled = jsonl('bad2.jsonl', [{ premise: 'p', hypothesis: 'h', idx: 0 }]);
  assert.throws(() => loadTask({ name: 'r', format: 'rte', ...splits(unlabeled) }), /bad2\.jsonl line 1: field "label" is missing/);
  const badLabel = jsonl('bad3.jsonl', [{ premise: 'p', choice1: 'a', choice2: 'b', question: 'cause', label: 2 }]);
  assert.throws(() => loadTask({ name: 'c', format: 'copa', ...splits(badLabel) }), /bad3\.jsonl line 1: field "label" must be one of 0, 1, got 2/);
});

test('CNN/DailyMail from CSV: article → highlights joined into one line, ROUGE-L', () => {
  const f = file('cnn.csv', 'id,article,highlights\n1,"Rain fell, all day.","Rain fell.\nAll day."\n');
  const t = loadTask({ name: 'cnn', format: 'cnn_dailymail', metric: 'rouge_l_stem', ...splits(f) });
  assert.deepEqual([t.test[0].input, t.test[0].target, t.kind, t.labels], ['summarize: Rain fell, all day.', 'Rain fell. All day.', 'summarization', null]);
  const empty = file('cnn2.csv', 'id,article,highlights\n1,,x\n');
  assert.throws(() => loadTask({ name: 'cnn', format: 'cnn_dailymail', metric: 'rouge_l', ...splits(empty) }), /cnn2\.csv line 2: field "article" is missing or empty/);
});

test('any JSONL or CSV with chosen fields; an empty split or an empty file is refused', () => {
  const f = file('qa.csv', 'q,a\n2+2,4\n"yes, really?",true\n');
  const t = loadTask({ name: 'qa', format: 'fields', ...splits(f), input: 'q', target: 'a', metric: 'exact_match', prefix: 'answer:' });
  assert.deepEqual(t.train.map((e) => [e.input, e.target]), [['answer: 2+2', '4'], ['answer: yes, really?', 'true']]);
  const j = jsonl('qa.jsonl', [{ q: 'x', a: 1 }]);
  assert.equal(loadTask({ name: 'j', format: 'fields', ...splits(j), input: 'q', target: 'a', metric: 'accuracy', prefix: '' }).train[0].target, '1');
  const empty = file('empty.jsonl', '\n');
  assert.throws(() => loadTask({ name: 'e', format: 'fields', ...splits(empty), input: 'q', target: 'a', metric: 'accuracy', prefix: '' }), /empty\.jsonl: the split is empty/);
  const other = jsonl('other.jsonl', [{ q: 'x', a: 'unseen' }]);
  assert.throws(() => loadTask({ name: 'l', format: 'fields', train: j, validation: other, test: j, input: 'q', target: 'a', metric: 'accuracy', prefix: '' }),
    /task l: validation example 1 has target "unseen", which is not one of the labels 1/);
});

test('formatting per family: T5 text-to-text, decoder prompt + answer, encoder label index', () => {
  const ex = { input: 'rte hypothesis: h premise: p', target: 'entailment', fields: [['hypothesis', 'h'], ['premise', 'p']] as [string, string][] };
  const task = { name: 'rte', labels: ['entailment', 'not_entailment'] };
  assert.deepEqual(FORMATTERS.t5(ex, task), { source: 'rte hypothesis: h premise: p', target: 'entailment', labelIndex: null });
  assert.deepEqual(FORMATTERS.decoder(ex, task), { source: 'hypothesis: h\npremise: p\nanswer:', target: ' entailment', labelIndex: null });
  assert.deepEqual(FORMATTERS.encoder(ex, task), { source: 'h\np', target: 'entailment', labelIndex: 0 });
  assert.throws(() => FORMATTERS.encoder(ex, { name: 'g', labels: null }), /label head needs a classification task/);
  assert.deepEqual(['t5', 'llama', 'bert'].map(familyOf), ['t5', 'decoder', 'encoder']);
});

test('cmudict: alternate pronunciations are one example, scored against all of them', () => {
  const g = groupPronunciations({ 'READ(1)': 'R EH1 D', READ: 'R IY1 D', 'A.': 'EY1', A42128: 'EY1', "O'NEIL": 'OW0 N IY1 L' });
  assert.deepEqual([...g], [['READ', ['R IY1 D', 'R EH1 D']], ["O'NEIL", ['OW0 N IY1 L']]]);
});

test('sotu_era: eras, passages of whole sentences', () => {
  assert.deepEqual([1790, 1860, 1861, 1933, 1980, 1981, 2021].map(eraOf), ['early', 'early', 'industrial', 'midcentury', 'midcentury', 'modern', 'modern']);
  const text = Array.from({ length: 30 }, (_, i) => `Number ${i} has six words here.`).join(' ');
  const passages = passagesOf(text, 12);
  assert.equal(passages.length, 15);
  assert.ok(passages.every((p) => p.endsWith('.') && p.split(' ').length === 12));
});

test('built-in tasks: documented split sizes (the split rule of split.ts)', () => {
  const sizes = (name: string) => {
    const t = loadTask(name);
    return [t.train.length, t.validation.length, t.test.length];
  };
  assert.deepEqual(sizes('spam_assassin'), [4807, 599, 640]);
  assert.deepEqual(sizes('cmudict'), [99325, 12328, 12221]);
  assert.deepEqual(sizes('sotu_era'), [18810, 1464, 2281]);
});
