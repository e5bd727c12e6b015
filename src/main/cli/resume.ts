// peft-bench resume RUN: continues a run that stopped (a crash, a kill, a power cut) from its
// last checkpoint, then the rest of its experiment's queue. Any command that writes first marks
// runs left 'running' by a process that has ended as interrupted (see Store.recoverInterrupted).
import path from 'node:path';
import type { BackendName } from '../../shared/types';
import { resumeExperiment, storedComparison } from '../comparison/runner';
import { Store } from '../store/store';
import type { ReportFormat } from './format';
import { Progress } from './progress';
import { storedReport } from './report';

/** Where runs of the database `db` keep their files (run-<id>/delta.safetensors, checkpoints/). */
export function artifactsRootFor(db: string): string {
  return path.join(path.dirname(db), 'artifacts', path.basename(db).replace(/\.[^.]+$/, ''));
}

/** Marks what a crashed writer left running as interrupted; says so on stderr. */
export function recoverAtStart(store: Store, out: NodeJS.WritableStream = process.stderr): number[] {
  const { runs } = store.recoverInterrupted();
  if (runs.length) out.write(`marked interrupted (their process had ended): run${runs.length > 1 ? 's' : ''} ${runs.join(', ')}; continue with \`peft-bench resume RUN\`\n`);
  return runs;
}

export async function resume(runId: number, db: string, backend: BackendName | undefined, format: ReportFormat): Promise<number> {
  const store = Store.open(db);
  try {
    recoverAtStart(store);
    const run = store.getRun(runId);
    if (!run) throw new Error(`run ${runId} is not in ${db}; list runs with \`peft-bench runs\``);
    if (run.status === 'done') throw new Error(`run ${runId} is done; there is nothing to resume (see \`peft-bench show ${runId}\`)`);
    const several = storedComparison(store.getExperiment(run.experimentId)?.config).models.length > 1;
    const progress = new Progress(1, process.stderr, several);
    process.stderr.write(`resuming run ${runId} (${run.method} on ${several ? `${run.model} ` : ''}${run.task}, lr ${run.learningRate}, seed ${run.seed}) and the rest of experiment ${run.experimentId}\nstore: ${db}\n`);
    const { experimentId, failed } = await resumeExperiment(run.experimentId, store, {
      runId, backend, artifactsRoot: artifactsRootFor(db),
      events: {
        planned: (_id, runs, total) => progress.planned(runs, total),
        message: (id, msg) => {
          if (msg.type === 'resumed') process.stderr.write(`run ${id} continues after update ${msg.step}${msg.skipped.length ? ` (skipped damaged checkpoints: ${msg.skipped.join('; ')})` : ''}\n`);
          progress.message(id, msg);
        },
        ended: (id, outcome) => progress.ended(id, outcome),
        chosen: (task, method, lr, model) => progress.chosen(task, method, lr, model),
      },
    });
    const runs = store.listRuns({ experimentId });
    const report = storedReport(store, experimentId, format);
    if (format === 'json') process.stdout.write(JSON.stringify({ experimentId, report: JSON.parse(report), runs }, null, 2) + '\n');
    else process.stdout.write(`\nexperiment ${experimentId}: ${runs.length} runs, ${failed} failed\n\n${report}\n`);
    return failed ? 1 : 0;
  } finally {
    store.close();
  }
}
