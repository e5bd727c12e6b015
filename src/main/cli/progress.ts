// Progress of a comparison on the terminal: a bar per run in flight (several when runs train
// in parallel) with ETA for each run and for the whole experiment. On a terminal the block of
// bars redraws in place; in a log each run prints every tenth of its way.
import type { WorkerMessage } from '../worker/protocol';
import type { PlannedRun } from '../comparison/protocol';
import { bar, fmtDuration } from './format';

interface Active {
  startedAt: number;
  fraction: number;
  runEta: number;
  line: string;
  lastDecile: number;
}

export class Progress {
  private runs: { id: number; run: PlannedRun }[] = [];
  private readonly active = new Map<number, Active>();
  private readonly startedAt = Date.now();
  private finishedSeconds: number[] = [];
  private finished = 0;
  private total = 0;
  /** Lines of the bar block now on screen (terminal only). */
  private drawn = 0;

  /** `workers`: runs that train at once, for the experiment's ETA; `models`: name each run's model (several in the experiment). */
  constructor(
    private readonly workers = 1,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly models = false,
  ) {}

  /** The runs stored so far and how many the experiment will have (seed runs are stored after their sweep). */
  planned(runs: { id: number; run: PlannedRun }[], total = runs.length): void {
    this.runs = [...runs];
    this.total = Math.max(total, runs.length);
  }

  chosen(task: string, method: string, lr: number | null, model = ''): void {
    this.say(`${this.models ? `${model} ` : ''}${task} ${method}: ${lr === null ? 'every sweep run failed; no seed runs' : `learning rate ${lr} chosen on validation`}`);
  }

  message(runId: number, msg: WorkerMessage): void {
    const i = this.runs.findIndex((r) => r.id === runId);
    if (i < 0) return;
    let a = this.active.get(runId);
    if (a === undefined) this.active.set(runId, (a = { startedAt: Date.now(), fraction: 0, runEta: NaN, line: '', lastDecile: -1 }));
    if (msg.type !== 'progress') return;
    const { spec, role, model } = this.runs[i].run;
    a.fraction = msg.totalSteps ? msg.step / msg.totalSteps : 0;
    const elapsed = (Date.now() - a.startedAt) / 1000;
    a.runEta = a.fraction > 0 ? (elapsed / a.fraction) * (1 - a.fraction) : NaN;
    const loss = msg.loss === undefined ? '' : ` loss ${msg.loss.toFixed(4)}`;
    a.line = `[${i + 1}/${this.total}] ${role} ${this.models ? `${model} ` : ''}${spec.task} ${spec.method} lr=${spec.learningRate} seed=${spec.seed} ${bar(a.fraction)} ` +
      `${msg.step}/${msg.totalSteps} ${msg.phase}${loss}  ETA run ${fmtDuration(a.runEta)} · all ${fmtDuration(this.experimentEta(a.fraction > 0 ? elapsed / a.fraction : NaN))}`;
    if (this.out.isTTY) return this.redraw();
    const decile = Math.floor(a.fraction * 10);
    if (decile !== a.lastDecile || msg.phase === 'measuring') this.out.write(`${a.line}\n`);
    a.lastDecile = decile;
  }

  ended(runId: number, outcome: { status: 'done' } | { status: 'failed'; reason: string }): void {
    const a = this.active.get(runId);
    const seconds = a ? (Date.now() - a.startedAt) / 1000 : 0;
    this.active.delete(runId);
    this.finishedSeconds.push(seconds);
    this.finished++;
    const r = this.runs.find((x) => x.id === runId)!;
    const what = outcome.status === 'done' ? 'done' : `FAILED: ${outcome.reason}`;
    this.say(`run ${runId} (${this.models ? `${r.run.model} ` : ''}${r.run.spec.task} ${r.run.spec.method} lr=${r.run.spec.learningRate} seed=${r.run.spec.seed}) ${what} after ${fmtDuration(seconds)}`);
  }

  totalSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Time left: what the runs in flight still need plus the runs not started, shared by the workers. */
  private experimentEta(currentRunSeconds: number): number {
    const perRun = this.finishedSeconds.length ? this.finishedSeconds.reduce((x, y) => x + y) / this.finishedSeconds.length : currentRunSeconds;
    const inFlight = [...this.active.values()].reduce((s, a) => s + (Number.isFinite(a.runEta) ? a.runEta : perRun), 0);
    const notStarted = Math.max(0, this.total - this.finished - this.active.size);
    return (inFlight + notStarted * perRun) / Math.max(1, Math.min(this.workers, this.active.size || 1));
  }

  /** A line above the bars (terminal) or in the log. */
  private say(line: string): void {
    if (!this.out.isTTY) return void this.out.write(`${line}\n`);
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const width = this.out.columns ?? 160;
    const lines = [...this.active.values()].filter((a) => a.line).map((a) => a.line.slice(0, width - 1));
    if (lines.length) this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
