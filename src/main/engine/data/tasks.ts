// Task lookup: built-in tasks by name, or a task read from files described in the comparison config.
import { loadCmudict } from './cmudict';
import { loadCnnDailyMail, type CnnDailyMailSpec } from './cnn_dailymail';
import { loadFileTask, type FileTaskSpec } from './file_task';
import { loadSotu } from './sotu';
import { loadSpamAssassin } from './spam_assassin';
import { loadSuperGlue, type SuperGlueSpec } from './superglue';
import { checkTask, type TaskData } from './task';

export const BUILTIN_TASKS: Record<string, () => TaskData> = {
  spam_assassin: loadSpamAssassin,
  cmudict: loadCmudict,
  sotu_era: loadSotu,
};

/** How a task's files are read: SuperGLUE's released formats, CNN/DailyMail, or any fields. */
export const FILE_FORMATS = ['fields', 'boolq', 'rte', 'copa', 'cnn_dailymail'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export type FileTaskRef =
  | ({ format: 'fields' } & FileTaskSpec)
  | SuperGlueSpec
  | ({ format: 'cnn_dailymail' } & CnnDailyMailSpec);

export type TaskRef = string | FileTaskRef;

export function taskName(ref: TaskRef): string {
  return typeof ref === 'string' ? ref : ref.name;
}

/** Loads and checks a task (non-empty splits, targets among the labels). */
export function loadTask(ref: TaskRef): TaskData {
  return checkTask(readTask(ref));
}

function readTask(ref: TaskRef): TaskData {
  if (typeof ref !== 'string') {
    if (ref.format === 'fields') return loadFileTask(ref);
    if (ref.format === 'cnn_dailymail') return loadCnnDailyMail(ref);
    return loadSuperGlue(ref);
  }
  const load = BUILTIN_TASKS[ref];
  if (!load) {
    throw new Error(`unknown task "${ref}": built-in tasks are ${Object.keys(BUILTIN_TASKS).join(', ')}, or give {name, train, validation, test} files`);
  }
  return load();
}
