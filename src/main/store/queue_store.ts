// The queue's tables (migration 4): items in their order with their device and status, the
// paused flag, and the links from a retried run to the failed run it repeats.
import type Database from 'better-sqlite3';
import { parseDevice, type QueueDevice, type QueueItem, type QueueItemStatus } from '../../shared/queue_ipc';

type SqlValue = number | string | null;
type Row = Record<string, SqlValue>;

/** An item as stored, with what it will train. */
export interface StoredQueueItem extends QueueItem {
  payload: unknown;
}

export interface NewQueueItem {
  kind: QueueItem['kind'];
  name: string;
  payload: unknown;
  device: QueueDevice;
  runs: number;
  estimateSeconds: number | null;
  experimentId?: number | null;
}

const now = (): string => new Date().toISOString();
const text_or_null = (v: SqlValue): string | null => (v === null ? null : String(v));

function to_item(row: Row): StoredQueueItem {
  const payload = JSON.parse(String(row.payload)) as { runs?: number } & Record<string, unknown>;
  return {
    id: Number(row.id),
    kind: row.kind as QueueItem['kind'],
    name: String(row.name),
    device: parseDevice(String(row.device)),
    status: row.status as QueueItemStatus,
    experimentId: row.experiment_id === null ? null : Number(row.experiment_id),
    runs: Number(payload.runs ?? 0),
    estimateSeconds: row.estimate_seconds === null ? null : Number(row.estimate_seconds),
    reason: text_or_null(row.reason),
    createdAt: String(row.created_at),
    startedAt: text_or_null(row.started_at),
    finishedAt: text_or_null(row.finished_at),
    payload: payload.what,
  };
}

export class QueueStore {
  constructor(
    private readonly sql: (text: string) => Database.Statement,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {}

  /** Appends an item at the end of the queue. */
  add(item: NewQueueItem): number {
    const position = Number((this.sql('SELECT COALESCE(MAX(position), -1) + 1 AS p FROM queue_items').get() as Row).p);
    const info = this.sql(`
      INSERT INTO queue_items (position, kind, name, payload, device, status, experiment_id, estimate_seconds, created_at)
      VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)`).run(
      position, item.kind, item.name, JSON.stringify({ runs: item.runs, what: item.payload }), String(item.device),
      item.experimentId ?? null, item.estimateSeconds, now(),
    );
    return Number(info.lastInsertRowid);
  }

  get(id: number): StoredQueueItem | null {
    const row = this.sql('SELECT * FROM queue_items WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? null : to_item(row);
  }

  /** Every item: waiting ones in queue order, then the others from the newest. */
  list(): StoredQueueItem[] {
    const rows = this.sql(`
      SELECT * FROM queue_items
      ORDER BY status = 'queued' DESC, status = 'running' DESC,
        CASE WHEN status IN ('queued', 'running') THEN position END, COALESCE(finished_at, created_at) DESC, id DESC`).all() as Row[];
    return rows.map(to_item);
  }

  /** Gives the waiting items the order of `ids` (every waiting item, each once). */
  reorder(ids: number[]): void {
    const update = this.sql(`UPDATE queue_items SET position = ? WHERE id = ? AND status = 'queued'`);
    this.transaction(() => ids.forEach((id, i) => update.run(i, id)));
  }

  setDevice(id: number, device: QueueDevice): void {
    this.sql('UPDATE queue_items SET device = ? WHERE id = ?').run(String(device), id);
  }

  started(id: number, experimentId: number): void {
    this.sql(`UPDATE queue_items SET status = 'running', experiment_id = ?, started_at = ?, reason = NULL WHERE id = ?`)
      .run(experimentId, now(), id);
  }

  /** Marks an item as ended (done, failed, cancelled or interrupted). */
  ended(id: number, status: Exclude<QueueItemStatus, 'queued' | 'running'>, reason: string | null = null): void {
    this.sql('UPDATE queue_items SET status = ?, reason = ?, finished_at = ? WHERE id = ?').run(status, reason, now(), id);
  }

  /** Items left running by a previous session of the app (which ended while they trained). */
  interruptLeftovers(reason: string): number {
    return this.sql(`UPDATE queue_items SET status = 'interrupted', reason = ?, finished_at = ? WHERE status = 'running'`)
      .run(reason, now()).changes;
  }

  paused(): boolean {
    return Number((this.sql('SELECT paused FROM queue_state WHERE id = 1').get() as Row).paused) === 1;
  }

  setPaused(paused: boolean): void {
    this.sql('UPDATE queue_state SET paused = ? WHERE id = 1').run(paused ? 1 : 0);
  }

  /** Records that run `runId` repeats the failed run `retryOf`, for queue item `itemId`. */
  linkAttempt(runId: number, retryOf: number, itemId: number | null): void {
    this.sql('INSERT INTO run_attempts (run_id, retry_of, queue_item_id) VALUES (?, ?, ?)').run(runId, retryOf, itemId);
  }

  /** Runs of an experiment already repeated by a retry (so a second retry skips them). */
  retriedRuns(experimentId: number): Set<number> {
    const rows = this.sql(`
      SELECT a.retry_of AS id FROM run_attempts a JOIN runs r ON r.id = a.retry_of WHERE r.experiment_id = ?`).all(experimentId) as Row[];
    return new Set(rows.map((r) => Number(r.id)));
  }

  /** The attempt number of a run: 1 for a first run, 2 for its first retry, and so on. */
  attempt(runId: number): number {
    let n = 1;
    let id: number | undefined = runId;
    while (id !== undefined) {
      const row = this.sql('SELECT retry_of FROM run_attempts WHERE run_id = ?').get(id) as Row | undefined;
      id = row === undefined ? undefined : Number(row.retry_of);
      if (id !== undefined) n++;
    }
    return n;
  }
}
