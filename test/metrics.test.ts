// Metrics against worked examples derived by hand (see each comment for the arithmetic).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactMatchMulti, scoreMetric, tokenF1 } from '../src/main/engine/measure/metrics';
import { porterStem } from '../src/main/engine/measure/porter';
import { lcsLength, rougeL, rougeTokens } from '../src/main/engine/measure/rouge';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

test('exact match accepts any listed reference, after trimming', () => {
  close(exactMatchMulti(['R EH1 D', ' spam ', 'x'], [['R IY1 D', 'R EH1 D'], ['spam'], ['ham']]), 2 / 3);
  assert.throws(() => exactMatchMulti(['a'], []), /1 predictions for 0 references/);
});

test('token F1: SQuAD normalisation, bag of tokens', () => {
  // "the cat sat" → [cat, sat]; "a cat sat down" → [cat, sat, down]: P = 2/2, R = 2/3, F = 2·1·(2/3)/(5/3) = 0.8
  close(tokenF1('the cat sat', 'a cat sat down'), 0.8);
  close(tokenF1('Cat!', 'cat'), 1);
  close(tokenF1('dog', 'cat'), 0);
  // repeated tokens count once per occurrence in the reference: [a? no] [x, x, y] vs [x, y]: common 2, P 2/3, R 1 → 0.8
  close(tokenF1('x x y', 'x y'), 0.8);
});

test('rouge-score tokenisation: lowercase, non-alphanumerics to spaces', () => {
  assert.deepEqual(rougeTokens("Hello, World! It's U.S.-based, 2024.", false), ['hello', 'world', 'it', 's', 'u', 's', 'based', '2024']);
  assert.deepEqual(rougeTokens('Café naïve', false), ['caf', 'na', 've']);
  // stemming touches only tokens longer than 3 characters: "runs" → "run", "was" stays
  assert.deepEqual(rougeTokens('was runs', true), ['was', 'run']);
});

test("Porter stemmer in NLTK's default mode", () => {
  const cases: [string, string][] = [
    ['caresses', 'caress'], ['ponies', 'poni'], ['ties', 'tie'], ['cats', 'cat'], ['running', 'run'], ['hopping', 'hop'],
    ['filing', 'file'], ['agreed', 'agre'], ['relational', 'relat'], ['conditional', 'condit'], ['happiness', 'happi'],
    ['controlling', 'control'], ['rolling', 'roll'], ['adjustment', 'adjust'], ['adoption', 'adopt'], ['fly', 'fli'],
    ['dying', 'die'], ['skies', 'sky'], ['geology', 'geolog'], ['runner', 'runner'], ['quickly', 'quickli'],
  ];
  for (const [w, stem] of cases) assert.equal(porterStem(w), stem, w);
});

test('ROUGE-L by hand, without stemming', () => {
  // target [the cat sat on the mat], prediction [the cat was on the mat]: LCS "the cat on the mat" = 5 → P = R = F = 5/6
  const s = rougeL('The cat sat on the mat.', 'the cat was on the mat', false);
  close(s.precision, 5 / 6);
  close(s.recall, 5 / 6);
  close(s.fmeasure, 5 / 6);
  // target [a b c d e], prediction [e d c]: LCS 1, P = 1/3, R = 1/5, F = 2·(1/15)/(8/15) = 0.25
  close(rougeL('a b c d e', 'e d c', false).fmeasure, 0.25);
  assert.deepEqual(rougeL('', 'anything', false), { precision: 0, recall: 0, fmeasure: 0 });
  assert.equal(lcsLength(['a', 'b', 'c', 'b'], ['b', 'c', 'b', 'a']), 3);
});

test('ROUGE-L by hand, with and without stemming', () => {
  const target = 'The runners were running quickly';
  const prediction = 'a runner runs quick';
  // no stemming: [the runners were running quickly] vs [a runner runs quick] share nothing → 0
  close(rougeL(target, prediction, false).fmeasure, 0);
  // stemmed: [the runner were run quickli] vs [a runner run quick]: LCS "runner run" = 2,
  // P = 2/4, R = 2/5, F = 2·0.2/0.9 = 4/9
  const s = rougeL(target, prediction, true);
  close(s.precision, 0.5);
  close(s.recall, 0.4);
  close(s.fmeasure, 4 / 9);
  close(scoreMetric('rouge_l_stem', [prediction, 'x'], [[target], ['x']]), (4 / 9 + 1) / 2);
  close(scoreMetric('rouge_l', [prediction], [[target]]), 0);
});
