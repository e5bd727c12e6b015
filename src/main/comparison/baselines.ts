// The score a model needs to beat on each task of an experiment: always answering the most
// frequent training label (classification), on the same test examples its runs scored.
import type { RunRecord } from '../../shared/types';
import { loadTask, taskName } from '../engine/data/tasks';
import { majorityBaseline } from '../engine/data/task';
import type { Comparison } from './config';

/** task → majority-class test score; null for tasks that are not classification or cannot be read now. */
export function majorityBaselines(config: Pick<Comparison, 'tasks'>, runs: RunRecord[]): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const ref of config.tasks ?? []) {
    const name = taskName(ref);
    const run = runs.find((r) => r.task === name);
    if (!run) continue;
    try {
      const task = loadTask(ref);
      const n = run.spec.testExamples;
      out.set(name, task.kind === 'classification' ? majorityBaseline(task.train, n > 0 ? task.test.slice(0, n) : task.test).score : null);
    } catch {
      out.set(name, null); // a task file moved or deleted since: the tables still print, without the baseline
    }
  }
  return out;
}
