// Live metric charts: one Chart.js chart per panel, one line per run (and per series), fed
// with new points as they arrive and redrawn in place with update('none').

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

export class LiveChart {
  private readonly chart: Chart<'line', Point[]>;
  /** `${runId}/${metric}` → dataset. */
  private readonly datasets = new Map<string, ChartDataset<'line', Point[]>>();

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
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step' } },
          y: { type: 'linear', ticks: { callback: (v) => spec.tick(Number(v)) } },
        },
      },
    });
  }

  /** One line per run and series, labelled; points already shown are kept. */
  setRuns(runs: { id: number; label: string }[]): void {
    const keep = new Set<string>();
    runs.forEach((run, i) => {
      for (const s of this.spec.series) {
        const key = `${run.id}/${s.name}`;
        keep.add(key);
        if (this.datasets.has(key)) continue;
        const colour = COLOURS[i % COLOURS.length];
        const dataset: ChartDataset<'line', Point[]> = {
          label: `${run.label}${s.suffix}`, data: [], borderColor: colour, backgroundColor: colour,
          borderWidth: 1.5, pointRadius: 0, borderDash: s.dash ?? [],
        };
        this.datasets.set(key, dataset);
        this.chart.data.datasets.push(dataset);
      }
    });
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

  /** How many points the panel holds (the browser test reads it). */
  pointCount(): number {
    return this.chart.data.datasets.reduce((n, d) => n + d.data.length, 0);
  }

  destroy(): void {
    this.chart.destroy();
  }
}
