// ROUGE-L as Google's rouge-score package computes it (rouge_scorer.RougeScorer(['rougeL'])):
// tokens are the lowercased text with every run of non-alphanumerics made a space, split on
// whitespace; with stemming, tokens longer than 3 characters go through NLTK's Porter stemmer;
// precision and recall are the longest common subsequence over the prediction's and the
// target's token counts, and the F-measure is their harmonic mean (0 when either side is empty).
import { porterStem } from './porter';

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export function rougeTokens(text: string, stem: boolean): string[] {
  const tokens = text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(/\s+/);
  return tokens.map((t) => (stem && t.length > 3 ? porterStem(t) : t)).filter((t) => /^[a-z0-9]+$/.test(t));
}

/** Length of the longest common subsequence, O(|a|·|b|) time, O(|b|) memory. */
export function lcsLength(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    prev = row;
  }
  return prev[b.length];
}

/** rouge-score's argument order: the target (reference) first, then the prediction. */
export function rougeL(target: string, prediction: string, stem: boolean): RougeScore {
  const t = rougeTokens(target, stem);
  const p = rougeTokens(prediction, stem);
  if (!t.length || !p.length) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(t, p);
  const precision = lcs / p.length;
  const recall = lcs / t.length;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}
