// Page state of the experiments view: the experiments, the runs of the selected one, the
// run opened in detail, and the last error to show. Components read it and call its methods.

import type { ExperimentRecord, RunRecord } from '../../../shared/types';
import { errorMessage, getApi } from './api';

export type Page = 'experiments' | 'new' | 'live' | 'results' | 'explorer' | 'methods' | 'queue';

export const PAGES: { id: Page; title: string }[] = [
  { id: 'experiments', title: 'Experiments' },
  { id: 'new', title: 'New comparison' },
  { id: 'live', title: 'Live' },
  { id: 'results', title: 'Results' },
  { id: 'explorer', title: 'Explorer' },
  { id: 'methods', title: 'Methods' },
  { id: 'queue', title: 'Queue' },
];

/** Pages that show every experiment, so they need none selected. */
export const GLOBAL_PAGES: Page[] = ['new', 'explorer', 'methods', 'queue'];

export class Workbench {
  page = $state<Page>('experiments');
  experiments = $state.raw<ExperimentRecord[]>([]);
  runs = $state.raw<RunRecord[]>([]);
  experimentId = $state<number | null>(null);
  runId = $state<number | null>(null);
  /** True until the first listing has answered. */
  loading = $state(true);
  error = $state<string | null>(null);

  experiment = $derived(this.experiments.find((e) => e.id === this.experimentId) ?? null);

  // Answers to superseded requests (the user clicked on) are dropped.
  #runsRequest = 0;

  /** Reloads the experiments, keeps the selection when it still exists, and its runs. */
  async refresh(): Promise<void> {
    try {
      this.experiments = await getApi().listExperiments();
      if (!this.experiments.some((e) => e.id === this.experimentId)) {
        this.experimentId = newest(this.experiments)?.id ?? null;
        this.runId = null;
      }
      await this.loadRuns();
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.loading = false;
    }
  }

  async selectExperiment(id: number): Promise<void> {
    this.experimentId = id;
    this.runId = null;
    try {
      await this.loadRuns();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  openRun(id: number): void {
    this.runId = id;
    this.page = 'experiments';
  }

  go(page: Page): void {
    this.page = page;
    if (page !== 'experiments') this.runId = null;
  }

  /** A comparison just started: select it and watch it live. */
  async started(experimentId: number): Promise<void> {
    this.experimentId = experimentId;
    this.page = 'live';
    await this.refresh();
  }

  closeRun(): void {
    this.runId = null;
  }

  dismissError(): void {
    this.error = null;
  }

  /** Keeps the lists current while runs start and end. Returns the unsubscribe function. */
  listen(): () => void {
    // Status changes are rare (a run starting or ending), so a full reload is cheap.
    const offRun = getApi().onRunStatus(() => void this.refresh());
    const offExperiment = getApi().onExperimentStatus(() => void this.refresh());
    return () => {
      offRun();
      offExperiment();
    };
  }

  private async loadRuns(): Promise<void> {
    const request = ++this.#runsRequest;
    const id = this.experimentId;
    const runs = id === null ? [] : await getApi().listRuns({ experimentId: id });
    if (request === this.#runsRequest) this.runs = runs;
  }
}

function newest(experiments: ExperimentRecord[]): ExperimentRecord | undefined {
  return experiments.reduce<ExperimentRecord | undefined>((best, e) => (!best || e.id > best.id ? e : best), undefined);
}
