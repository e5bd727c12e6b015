// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980) in the variant
// NLTK runs by default (mode NLTK_EXTENSIONS), which is what rouge-score stems with: a few
// irregular forms, "ies"/"ied" kept as "ie" in four-letter words, y → i only after a consonant
// that is not the first letter, "alli" handled first in step 2, and the extra "fulli" and
// "logi" rules. Input is one lowercase word.

type Rule = [suffix: string, replacement: string, condition: ((stem: string) => boolean) | null];

const IRREGULAR: Record<string, string> = {
  skies: 'sky', sky: 'sky', dying: 'die', lying: 'lie', tying: 'tie', news: 'news',
  innings: 'inning', inning: 'inning', outings: 'outing', outing: 'outing',
  cannings: 'canning', canning: 'canning', howe: 'howe', proceed: 'proceed', exceed: 'exceed', succeed: 'succeed',
};

function isConsonant(w: string, i: number): boolean {
  if ('aeiou'.includes(w[i])) return false;
  if (w[i] === 'y') return i === 0 ? true : !isConsonant(w, i - 1);
  return true;
}

/** m in [C](VC)^m[V]: the number of vowel-consonant transitions. */
function measure(stem: string): number {
  let cv = '';
  for (let i = 0; i < stem.length; i++) cv += isConsonant(stem, i) ? 'c' : 'v';
  return cv.split('vc').length - 1;
}

const positive = (stem: string) => measure(stem) > 0;
const containsVowel = (stem: string) => [...stem].some((_, i) => !isConsonant(stem, i));
const endsDoubleConsonant = (w: string) => w.length >= 2 && w.at(-1) === w.at(-2) && isConsonant(w, w.length - 1);

function endsCvc(w: string): boolean {
  const n = w.length;
  if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) && !'wxy'.includes(w[n - 1])) return true;
  return n === 2 && !isConsonant(w, 0) && isConsonant(w, 1);
}

/** The first rule whose suffix matches decides: applied if its condition holds, else the word is kept. */
function applyRules(word: string, rules: Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === '*d' && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return !condition || condition(stem) ? stem + replacement : word;
    }
    if (suffix !== '*d' && word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return !condition || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

function step1a(w: string): string {
  if (w.endsWith('ies') && w.length === 4) return w.slice(0, -3) + 'ie';
  return applyRules(w, [['sses', 'ss', null], ['ies', 'i', null], ['ss', 'ss', null], ['s', '', null]]);
}

function step1b(w: string): string {
  if (w.endsWith('ied')) return w.slice(0, -3) + (w.length === 4 ? 'ie' : 'i');
  if (w.endsWith('eed')) {
    const stem = w.slice(0, -3);
    return measure(stem) > 0 ? stem + 'ee' : w;
  }
  let stem: string | null = null;
  for (const suffix of ['ed', 'ing']) {
    if (w.endsWith(suffix) && containsVowel(w.slice(0, -suffix.length))) {
      stem = w.slice(0, -suffix.length);
      break;
    }
  }
  if (stem === null) return w;
  const last = stem.at(-1)!;
  return applyRules(stem, [
    ['at', 'ate', null], ['bl', 'ble', null], ['iz', 'ize', null],
    ['*d', last, () => !'lsz'.includes(last)],
    ['', 'e', (s) => measure(s) === 1 && endsCvc(s)],
  ]);
}

function step1c(w: string): string {
  return applyRules(w, [['y', 'i', (s) => s.length > 1 && isConsonant(s, s.length - 1)]]);
}

function step2(w: string): string {
  if (w.endsWith('alli') && positive(w.slice(0, -4))) return step2(w.slice(0, -4) + 'al');
  return applyRules(w, [
    ['ational', 'ate', positive], ['tional', 'tion', positive], ['enci', 'ence', positive], ['anci', 'ance', positive],
    ['izer', 'ize', positive], ['bli', 'ble', positive], ['alli', 'al', positive], ['entli', 'ent', positive],
    ['eli', 'e', positive], ['ousli', 'ous', positive], ['ization', 'ize', positive], ['ation', 'ate', positive],
    ['ator', 'ate', positive], ['alism', 'al', positive], ['iveness', 'ive', positive], ['fulness', 'ful', positive],
    ['ousness', 'ous', positive], ['aliti', 'al', positive], ['iviti', 'ive', positive], ['biliti', 'ble', positive],
    ['fulli', 'ful', positive],
    ['logi', 'log', () => positive(w.slice(0, -3))], // the "l" stays with the stem: geo-logi, theo-logi
  ]);
}

function step3(w: string): string {
  return applyRules(w, [
    ['icate', 'ic', positive], ['ative', '', positive], ['alize', 'al', positive], ['iciti', 'ic', positive],
    ['ical', 'ic', positive], ['ful', '', positive], ['ness', '', positive],
  ]);
}

function step4(w: string): string {
  const m1 = (s: string) => measure(s) > 1;
  return applyRules(w, [
    ['al', '', m1], ['ance', '', m1], ['ence', '', m1], ['er', '', m1], ['ic', '', m1], ['able', '', m1], ['ible', '', m1],
    ['ant', '', m1], ['ement', '', m1], ['ment', '', m1], ['ent', '', m1],
    ['ion', '', (s) => measure(s) > 1 && (s.endsWith('s') || s.endsWith('t'))],
    ['ou', '', m1], ['ism', '', m1], ['ate', '', m1], ['iti', '', m1], ['ous', '', m1], ['ive', '', m1], ['ize', '', m1],
  ]);
}

function step5a(w: string): string {
  if (!w.endsWith('e')) return w;
  const stem = w.slice(0, -1);
  const m = measure(stem);
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : w;
}

function step5b(w: string): string {
  return applyRules(w, [['ll', 'l', () => measure(w.slice(0, -1)) > 1]]);
}

export function porterStem(word: string): string {
  const w = word.toLowerCase();
  if (IRREGULAR[w] !== undefined) return IRREGULAR[w];
  if (w.length <= 2) return w;
  return step5b(step5a(step4(step3(step2(step1c(step1b(step1a(w))))))));
}
