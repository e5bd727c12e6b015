// Live metric charts: one Chart.js chart per panel, one line per run (and per series), fed
// with new points as they arrive and redrawn in place with update('none'). Lines of runs in
// flight are drawn solid; lines of runs that finished stay, faded and marked, until hidden.

import {
  Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartDataset,
} from 'chart.js';
import type { MetricPoint } from '../../../shared/types';
import { formatBytes, formatRate } from './format';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

export interface PanelSpec {
  id: string;
  title: string;
  /** Metric names drawn in this panel, each with the suffix its legend entry gets. */
  series: { name: string; suffix: string; dash?: number[] }[];
  tick: (value: number) => string;
}

export const PANELS: PanelSpec[] = [
  { id: 'loss', title: 'Training loss', series: [{ name: 'loss', suffix: '' }], tick: (v) => v.toFixed(2) },
  {
    id: 'memory', title: 'Memory',
    series: [{ name: 'tensor_bytes', suffix: ' tensors' }, { name: 'rss_bytes', suffix: ' process', dash: [4, 3] }],
    tick: (v) => formatBytes(v),
  },
  { id: 'throughput', title: 'Throughput (input tokens/s)', series: [{ name: 'tokens_per_sec', suffix: '' }], tick: (v) => formatRate(v) },
];

const COLOURS = ['#2f6fdb', '#d9480f', '#2b8a3e', '#9c36b5', '#e67700', '#0b7285', '#c2255c', '#5c940d'];

type Point = { x: number; y: number };

/** How a run's line is drawn: in flight, finished (marked by how it ended), or not at all (queued, cleared). */
export type LineState = 'running' | 'done' | 'failed' | 'interrupted' | 'hidden';

export interface ChartRun {
  id: number;
  label: string;
  state: LineState;
}

const MARK: Record<LineState, string> = { running: '', done: ' ✓ done', failed: ' ✗ failed', interrupted: ' ⏸ interrupted', hidden: '' };

/** '#2f6fdb' at `alpha` as rgba(), for the faded lines of finished runs. */
function faded(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export class LiveChart {
  private readonly chart: Chart<'line', Point[]>;
  /** `${runId}/${metric}` → dataset. Every run gets its datasets when listed, so no point is lost before it shows. */
  private readonly datasets = new Map<string, ChartDataset<'line', Point[]>>();
  /** Run id → colour index, in the order runs were first listed (a line keeps its colour). */
  private readonly colours = new Map<number, number>();
  /** Run id → how its line is drawn now. */
  private states = new Map<number, LineState>();

  constructor(canvas: HTMLCanvasElement, private readonly spec: PanelSpec) {
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: {
            position: 'bottom',
            labels: { boxWidth: 12, font: { size: 11 }, filter: (item, data) => !data.datasets[item.datasetIndex ?? 0]?.hidden },
          },
        },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step' } },
          y: { type: 'linear', ticks: { callback: (v) => spec.tick(Number(v)) } },
        },
      },
    });
  }

  /**
   * One line per run and series, labelled and styled by its state; lines, colours and points
   * already there are kept, and the chart is redrawn in place.
   */
  setRuns(runs: ChartRun[]): void {
    const keep = new Set<string>();
    this.states = new Map(runs.map((r) => [r.id, r.state]));
    for (const run of runs) {
      if (!this.colours.has(run.id)) this.colours.set(run.id, this.colours.size);
      const colour = COLOURS[this.colours.get(run.id)! % COLOURS.length];
      for (const s of this.spec.series) {
        const key = `${run.id}/${s.name}`;
        keep.add(key);
        let dataset = this.datasets.get(key);
        if (!dataset) {
          dataset = { label: '', data: [], pointRadius: 0, borderDash: s.dash ?? [] };
          this.datasets.set(key, dataset);
          this.chart.data.datasets.push(dataset);
        }
        const finished = run.state !== 'running' && run.state !== 'hidden';
        Object.assign(dataset, {
          label: `${run.label}${s.suffix}${MARK[run.state]}`,
          hidden: run.state === 'hidden',
          borderColor: finished ? faded(colour, 0.55) : colour,
          backgroundColor: finished ? faded(colour, 0.55) : colour,
          borderWidth: finished ? 1.25 : 2,
        });
      }
    }
    this.chart.data.datasets = this.chart.data.datasets.filter((d) => [...keep].some((k) => this.datasets.get(k) === d));
    for (const key of [...this.datasets.keys()]) if (!keep.has(key)) this.datasets.delete(key);
    this.chart.update('none');
  }

  /** Appends `points` of run `runId` (those this panel draws) and redraws in place. */
  add(runId: number, points: MetricPoint[]): void {
    let changed = false;
    for (const p of points) {
      const dataset = this.datasets.get(`${runId}/${p.name}`);
      // A step already drawn (history and live events can overlap) is skipped.
      if (!dataset || !Number.isFinite(p.value) || p.step <= (dataset.data.at(-1)?.x ?? -Infinity)) continue;
      dataset.data.push({ x: p.step, y: p.value });
      changed = true;
    }
    if (changed) this.chart.update('none');
  }

  /** How many points the panel draws (the browser test reads it). */
  pointCount(): number {
    return this.chart.data.datasets.reduce((n, d) => n + (d.hidden ? 0 : d.data.length), 0);
  }

  /** Lines drawn: of runs in flight, and of finished runs kept on the chart. */
  lineCount(): { running: number; finished: number } {
    const states = [...this.states.values()];
    return { running: states.filter((s) => s === 'running').length, finished: states.filter((s) => s !== 'running' && s !== 'hidden').length };
  }

  /** Chart.js's id of this chart: the same for the page's life, since the chart is updated, never made again. */
  get id(): string {
    return String(this.chart.id);
  }

  destroy(): void {
    this.chart.destroy();
  }
}
