// Types used by more than one process: the engine, the CLI, the store and the renderer.

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  /** The backend the engine runs on. */
  name: BackendName;
  /** Why each better backend was not used (empty when the first choice worked). */
  skipped: { name: BackendName; reason: string }[];
  /** True when the user forced it with --backend. */
  forced: boolean;
}

export interface GpuInfo {
  name: string;
  driver: string;
  memoryTotalBytes: number;
}

/** Where and with what a run ran; stored with every run. */
export interface EnvironmentSnapshot {
  backend: BackendChoice;
  /** 'cpu: <model> x<cores>' or the GPU's name. */
  device: string;
  gpu: GpuInfo | null;
  versions: Record<string, string>;
  platform: string;
  totalMemoryBytes: number;
  hostname: string;
}

/** accuracy (classification), exact_match, token_f1 (SQuAD's), rouge_l (rouge-score, no stemming), rouge_l_stem (with Porter stemming). */
export type TaskMetric = 'accuracy' | 'exact_match' | 'token_f1' | 'rouge_l' | 'rouge_l_stem';

/** A sweep run tries one learning rate on the first seed; a seed run repeats the chosen rate on another seed. */
export type RunRole = 'sweep' | 'seed';

/** One run's settings after defaults are applied: everything needed to repeat it. */
export interface RunSpec {
  modelDir: string;
  task: string;
  method: string;
  methodOptions: Record<string, number | string | boolean | string[]>;
  learningRate: number;
  seed: number;
  microBatch: number;
  effectiveBatch: number;
  /** Optimiser updates; each is effectiveBatch / microBatch microbatches. */
  steps: number;
  warmupRatio: number;
  weightDecay: number;
  maxInputTokens: number;
  maxTargetTokens: number;
  evalEvery: number;
  /** Examples from the validation split scored at each evaluation (0 = all). */
  evalExamples: number;
  /** Examples from the test split scored at the end (0 = all). */
  testExamples: number;
  /** Updates between checkpoints (0 = none); absent in runs stored before checkpoints existed, read as 0. */
  checkpointEvery?: number;
}

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'interrupted';

/** The five dimensions of the study for one run, plus the counts behind them. */
export interface RunResult {
  totalParams: number;
  trainableParams: number;
  changedParams: number;
  /** Bytes of the saved delta (what one would ship for this task). */
  storageBytes: number;
  /** Highest tf.memory().numBytes seen during training steps. */
  peakTensorBytes: number;
  /** Highest resident set size of the process during training. */
  peakRssBytes: number;
  /** Highest device memory used as reported by nvidia-smi, or null without a GPU. */
  peakGpuBytes: number | null;
  /** Input tokens per second over timed training steps (warm-up excluded). */
  trainTokensPerSec: number;
  /** Input tokens per second of teacher-forced inference with the adapter unmerged. */
  inferTokensPerSecUnmerged: number;
  /** The same with the delta merged into the base weights, or null when the method cannot merge. */
  inferTokensPerSecMerged: number | null;
  metric: TaskMetric;
  /** Test score in [0, 1]. */
  score: number;
  /** Best validation score in [0, 1] seen at the periodic evaluations. */
  validationScore: number;
  finalLoss: number;
  trainSeconds: number;
}

export interface MetricPoint {
  step: number;
  /** e.g. 'loss', 'lr', 'tokens_per_sec', 'tensor_bytes', 'rss_bytes', 'val_score'. */
  name: string;
  value: number;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface ExperimentRecord {
  id: number;
  name: string;
  createdAt: string;
  /** The comparison config as the user gave it, after defaults. */
  config: unknown;
  status: 'running' | 'done' | 'failed' | 'interrupted';
}

export interface RunRecord {
  id: number;
  experimentId: number;
  /** The model's name in its experiment (built-in name, the cache's org/name, or the folder's name); its folder is spec.modelDir. */
  model: string;
  task: string;
  method: string;
  learningRate: number;
  seed: number;
  role: RunRole;
  spec: RunSpec;
  env: EnvironmentSnapshot | null;
  status: RunStatus;
  reason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  result: RunResult | null;
  /** When start-up found the run left 'running' by a process that had ended (null if never). */
  interruptedAt?: string | null;
  /** Times the run was continued from its checkpoint. */
  resumes?: number;
}

/** The learning rate a sweep chose for one model, task and method of an experiment. */
export interface LrChoice {
  model: string;
  task: string;
  method: string;
  learningRate: number;
  /** Best validation score of the sweep run at that rate, in [0, 1]. */
  validationScore: number;
  /** How many rates were swept. */
  candidates: number;
  chosenAt: string;
}

/** One model × task × method row of the comparison table the app shows: the chosen rate's seeds, averaged. */
export interface ResultRow {
  model: string;
  task: string;
  method: string;
  learningRate: number;
  seeds: number;
  /** Mean test score and the half-width of its 95% Student-t interval over seeds (0 with one seed). */
  score: number;
  scoreCi: number;
  trainableParams: number;
  totalParams: number;
  changedParams: number;
  storageBytes: number;
  peakTensorBytes: number;
  peakRssBytes: number;
  peakGpuBytes: number | null;
  trainTokensPerSec: number;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
}
