// Task lookup: built-in tasks by name, or a JSONL task described in the comparison config.
import { loadSpamAssassin } from './spam_assassin';
import { loadJsonlTask, type JsonlTaskSpec } from './jsonl_task';
import type { TaskData } from './task';

export const BUILTIN_TASKS: Record<string, () => TaskData> = {
  spam_assassin: loadSpamAssassin,
};

export type TaskRef = string | JsonlTaskSpec;

export function taskName(ref: TaskRef): string {
  return typeof ref === 'string' ? ref : ref.name;
}

export function loadTask(ref: TaskRef): TaskData {
  if (typeof ref !== 'string') return loadJsonlTask(ref);
  const load = BUILTIN_TASKS[ref];
  if (!load) {
    throw new Error(`unknown task "${ref}": built-in tasks are ${Object.keys(BUILTIN_TASKS).join(', ')}, or give {name, train, validation, test} JSONL files`);
  }
  return load();
}
