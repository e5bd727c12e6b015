// Progress of a comparison on the terminal: a bar per run with ETA for the run and the whole
// experiment. On a terminal the line redraws in place; in a log it prints every tenth of a run.
import type { WorkerMessage } from '../worker/protocol';
import type { PlannedRun } from '../comparison/protocol';
import { bar, fmtDuration } from './format';

export class Progress {
  private runs: { id: number; run: PlannedRun }[] = [];
  private index = -1;
  private runStart = 0;
  private readonly startedAt = Date.now();
  private finishedSeconds: number[] = [];
  private lastDecile = -1;
  private total = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  /** The runs stored so far and how many the experiment will have (seed runs are stored after their sweep). */
  planned(runs: { id: number; run: PlannedRun }[], total = runs.length): void {
    this.runs = [...runs];
    this.total = Math.max(total, runs.length);
  }

  chosen(task: string, method: string, lr: number | null): void {
    this.out.write(`${this.out.isTTY ? '\r\x1b[2K' : ''}${task} ${method}: ${lr === null ? 'every sweep run failed; no seed runs' : `learning rate ${lr} chosen on validation`}\n`);
  }

  message(runId: number, msg: WorkerMessage): void {
    const i = this.runs.findIndex((r) => r.id === runId);
    if (i !== this.index) [this.index, this.runStart, this.lastDecile] = [i, Date.now(), -1];
    if (msg.type !== 'progress') return;
    const { spec } = this.runs[i].run;
    const fraction = msg.totalSteps ? msg.step / msg.totalSteps : 0;
    const elapsed = (Date.now() - this.runStart) / 1000;
    const runEta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : NaN;
    const perRun = this.finishedSeconds.length ? this.finishedSeconds.reduce((a, b) => a + b) / this.finishedSeconds.length : elapsed / Math.max(fraction, 1e-9);
    const allEta = runEta + perRun * (this.total - i - 1);
    const loss = msg.loss === undefined ? '' : ` loss ${msg.loss.toFixed(4)}`;
    const line = `[${i + 1}/${this.total}] ${this.runs[i].run.role} ${spec.task} ${spec.method} lr=${spec.learningRate} seed=${spec.seed} ${bar(fraction)} ` +
      `${msg.step}/${msg.totalSteps} ${msg.phase}${loss}  ETA run ${fmtDuration(runEta)} · all ${fmtDuration(allEta)}`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== this.lastDecile || msg.phase === 'measuring') this.out.write(`${line}\n`);
      this.lastDecile = decile;
    }
  }

  ended(runId: number, outcome: { status: 'done' } | { status: 'failed'; reason: string }): void {
    this.finishedSeconds.push((Date.now() - this.runStart) / 1000);
    const r = this.runs.find((x) => x.id === runId)!;
    const what = outcome.status === 'done' ? 'done' : `FAILED: ${outcome.reason}`;
    this.out.write(`${this.out.isTTY ? '\r\x1b[2K' : ''}run ${runId} (${r.run.spec.task} ${r.run.spec.method} lr=${r.run.spec.learningRate} seed=${r.run.spec.seed}) ${what} after ${fmtDuration(this.finishedSeconds.at(-1)!)}\n`);
  }

  totalSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }
}
