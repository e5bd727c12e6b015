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
  /** Classification on a generative model: generate the label (the study) or rank the labels; absent = generate. */
  scoring?: ClassificationScoring;
}

export type ClassificationScoring = 'generate' | 'rank';

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'interrupted';

/**
 * The five dimensions of the study for one run, plus the counts behind them. The training
 * dimensions (peak memory, training throughput, loss, time, the validation score seen while
 * training) are null for an imported adapter: it was trained elsewhere, so they were not measured here.
 */
export interface RunResult {
  totalParams: number;
  trainableParams: number;
  changedParams: number;
  /** Bytes of the saved delta (what one would ship for this task). */
  storageBytes: number;
  /** Highest tf.memory().numBytes seen during training steps; null when not trained here. */
  peakTensorBytes: number | null;
  /** Highest resident set size of the process during training; null when not trained here. */
  peakRssBytes: number | null;
  /** Highest device memory used as reported by nvidia-smi, or null without a GPU (or not trained here). */
  peakGpuBytes: number | null;
  /** Input tokens per second over timed training steps (warm-up excluded); null when not trained here. */
  trainTokensPerSec: number | null;
  /** Input tokens per second of teacher-forced inference with the adapter unmerged. */
  inferTokensPerSecUnmerged: number;
  /** The same with the delta merged into the base weights, or null when the method cannot merge. */
  inferTokensPerSecMerged: number | null;
  metric: TaskMetric;
  /** Test score in [0, 1]. */
  score: number;
  /** Best validation score in [0, 1] seen at the periodic evaluations; null when not trained here. */
  validationScore: number | null;
  finalLoss: number | null;
  trainSeconds: number | null;
}

/** Where an imported run's adapter came from: it was trained elsewhere and only scored here. */
export interface ImportedFrom {
  /** The adapter folder it was read from. */
  sourceDir: string;
  /** Hugging Face PEFT's layout (adapter_config.json) or the workbench's own. */
  layout: 'peft' | 'workbench';
  /** adapter_config.json's peft_type; null for the workbench layout. */
  peftType: string | null;
  /** base_model_name_or_path as the adapter recorded it. */
  baseModel: string | null;
  /** What loaded, but not exactly as the adapter says (another base model, peft's own adjustments). */
  warnings: string[];
  importedAt: string;
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
  /** Set when the run is an imported adapter (trained elsewhere, scored here); null for a run trained here. */
  imported?: ImportedFrom | null;
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

/**
 * One model × task × method row of the comparison table the app shows: the chosen rate's seeds,
 * averaged. An imported adapter is a row of its own, named by `label`, with its training dimensions null.
 */
export interface ResultRow {
  model: string;
  task: string;
  method: string;
  /** The row's name: the method id, or "<method> (imported: <folder>)" for an imported adapter. */
  label: string;
  /** The adapter folder of an imported row; null for runs trained here. */
  imported: string | null;
  /** The chosen learning rate; null for an imported adapter (not trained here). */
  learningRate: number | null;
  seeds: number;
  /** Mean test score and the half-width of its 95% Student-t interval over seeds (0 with one seed). */
  score: number;
  scoreCi: number;
  trainableParams: number;
  totalParams: number;
  changedParams: number;
  storageBytes: number;
  peakTensorBytes: number | null;
  peakRssBytes: number | null;
  peakGpuBytes: number | null;
  trainTokensPerSec: number | null;
  inferTokensPerSecUnmerged: number;
  inferTokensPerSecMerged: number | null;
}
