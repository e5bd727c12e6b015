// Score-against-cost scatter plots: one dataset per method with vertical error bars (the
// 95% interval over seeds), the Pareto frontier drawn as a line through its points, and the
// study's published rows as an optional overlay. Datasets are replaced and redrawn in place.
import {
  Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip,
  type ChartDataset, type Plugin,
} from 'chart.js';

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend);

export interface ScatterPoint {
  x: number;
  y: number;
  /** Half-width of the interval on y (0 or NaN: none drawn). */
  ci: number;
  label: string;
}

export interface ScatterSeries {
  label: string;
  points: ScatterPoint[];
  colour: string;
  /** Published figures: drawn hollow, in this point style. */
  published?: 'triangle' | 'rect' | 'rectRot';
}

export interface ScatterSpec {
  xTitle: string;
  log: boolean;
  tick: (value: number) => string;
}

type DS = ChartDataset<'scatter', ScatterPoint[]>;

const METHOD_COLOURS = ['#2f6fdb', '#d9480f', '#2b8a3e', '#9c36b5', '#e67700', '#0b7285', '#c2255c', '#5c940d', '#495057', '#862e9c'];

export function colourOf(method: string, methods: string[]): string {
  return METHOD_COLOURS[Math.max(0, methods.indexOf(method)) % METHOD_COLOURS.length];
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/** Error bars after the datasets are drawn, and an opaque background so a PNG reads in either theme. */
const decorations: Plugin<'scatter'> = {
  id: 'decorations',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = cssVar('--surface');
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
  afterDatasetsDraw(chart) {
    const { ctx, scales, chartArea: area } = chart;
    chart.data.datasets.forEach((ds, i) => {
      if (!chart.isDatasetVisible(i)) return;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.strokeStyle = String(ds.borderColor ?? '#888');
      ctx.lineWidth = 1;
      for (const p of ds.data as ScatterPoint[]) {
        if (!(p.ci > 0)) continue;
        const x = scales.x.getPixelForValue(p.x);
        const [lo, hi] = [scales.y.getPixelForValue(p.y - p.ci), scales.y.getPixelForValue(p.y + p.ci)];
        ctx.beginPath();
        ctx.moveTo(x, lo);
        ctx.lineTo(x, hi);
        ctx.moveTo(x - 3, lo);
        ctx.lineTo(x + 3, lo);
        ctx.moveTo(x - 3, hi);
        ctx.lineTo(x + 3, hi);
        ctx.stroke();
      }
      ctx.restore();
    });
  },
};

export class ScatterPanel {
  private readonly chart: Chart<'scatter', ScatterPoint[]>;

  constructor(canvas: HTMLCanvasElement, spec: ScatterSpec) {
    this.chart = new Chart<'scatter', ScatterPoint[]>(canvas, {
      type: 'scatter',
      data: { datasets: [] },
      plugins: [decorations],
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 8, usePointStyle: true, font: { size: 11 } } },
          tooltip: { callbacks: { label: (item) => tooltip(item.raw as ScatterPoint, spec) } },
        },
        scales: {
          x: { type: spec.log ? 'logarithmic' : 'linear', title: { display: true, text: spec.xTitle }, ticks: { callback: (v) => spec.tick(Number(v)), maxTicksLimit: 8 } },
          y: { type: 'linear', title: { display: true, text: 'score (%)' } },
        },
      },
    });
    this.applyTheme();
  }

  /** Replaces the series and the frontier, then redraws without animation. */
  set(series: ScatterSeries[], frontier: ScatterPoint[]): void {
    const datasets: DS[] = series.map((s) => ({
      label: s.label, data: s.points, borderColor: s.colour, backgroundColor: s.published ? 'transparent' : s.colour,
      pointStyle: s.published ?? 'circle', pointRadius: s.published ? 5 : 4, pointBorderWidth: s.published ? 1.5 : 1,
    }));
    if (frontier.length) {
      datasets.push({
        label: 'Pareto frontier', data: frontier, showLine: true, borderColor: cssVar('--text'),
        backgroundColor: 'transparent', borderWidth: 1.5, borderDash: [5, 4], pointRadius: 7, pointStyle: 'circle', pointBorderWidth: 1.5, order: -1,
      });
    }
    this.chart.data.datasets = datasets;
    this.chart.update('none');
  }

  /** Reads the theme's colours (after the page switched theme). */
  applyTheme(): void {
    const text = cssVar('--muted');
    const grid = cssVar('--border');
    for (const axis of ['x', 'y'] as const) {
      const scale = this.chart.options.scales![axis]!;
      scale.ticks = { ...scale.ticks, color: text };
      scale.grid = { ...scale.grid, color: grid };
      if ('title' in scale && scale.title) scale.title.color = text;
    }
    this.chart.options.plugins!.legend!.labels!.color = text;
    this.chart.update('none');
  }

  /** How many points are drawn, frontier included (the browser test reads it). */
  pointCount(): number {
    return this.chart.data.datasets.reduce((n, d) => n + d.data.length, 0);
  }

  png(): string {
    return this.chart.toBase64Image('image/png');
  }

  destroy(): void {
    this.chart.destroy();
  }
}

function tooltip(p: ScatterPoint, spec: ScatterSpec): string {
  const ci = p.ci > 0 ? ` ± ${p.ci.toFixed(2)}` : '';
  return `${p.label}: ${p.y.toFixed(2)}${ci} at ${spec.tick(p.x)}`;
}
