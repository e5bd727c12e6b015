// CNN/DailyMail summarisation from JSONL or CSV rows with "article" and "highlights" (the
// Hugging Face dataset's columns; "id" is ignored), as T5 frames it: "summarize: <article>".
// Highlights are one sentence per line in the release; they are joined with spaces.
import { readRecords, textField } from './records';
import type { TaskData } from './task';

export interface CnnDailyMailSpec {
  name: string;
  train: string;
  validation: string;
  test: string;
  /** Score with Porter stemming (rouge_l_stem, the default) or without (rouge_l). */
  metric: 'rouge_l' | 'rouge_l_stem';
}

export function loadCnnDailyMail(spec: CnnDailyMailSpec): TaskData {
  const fix = 'CNN/DailyMail rows need "article" and "highlights"';
  const read = (split: 'train' | 'validation' | 'test') => readRecords(spec[split]).map((r) => {
    const article = textField(r, 'article', fix);
    const highlights = textField(r, 'highlights', fix).split(/\s*\n\s*/).join(' ').trim();
    return { input: `summarize: ${article}`, target: highlights, fields: [['article', article]] as [string, string][] };
  });
  return {
    name: spec.name,
    description: 'CNN/DailyMail: news article → highlights (ROUGE-L)',
    kind: 'summarization',
    metric: spec.metric,
    labels: null,
    train: read('train'),
    validation: read('validation'),
    test: read('test'),
    source: spec.train,
  };
}
