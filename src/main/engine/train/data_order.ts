// The order in which training examples are seen: endless microbatches, each epoch a fresh
// seeded shuffle, the tail that does not fill a microbatch dropped. Its state (the generator's
// 32 bits and the microbatches left in the epoch) goes into checkpoints, so a resumed run sees
// exactly the examples an uninterrupted one would.
import { StatefulRng, shuffled } from '../util/rng';

export interface DataOrderState {
  rngState: number;
  /** Example indices of the microbatches left in the current epoch, in order. */
  queue: number[][];
}

export class DataOrder {
  private readonly rng: StatefulRng;
  private queue: number[][] = [];

  constructor(
    private readonly size: number,
    private readonly microBatch: number,
    seed: number,
  ) {
    if (size < microBatch) throw new Error(`the training split has ${size} examples, fewer than one microbatch of ${microBatch}`);
    this.rng = new StatefulRng(seed);
  }

  /** Indices of the next microbatch. */
  next(): number[] {
    if (!this.queue.length) {
      const order = shuffled(Array.from({ length: this.size }, (_, i) => i), () => this.rng.next());
      for (let i = 0; i + this.microBatch <= order.length; i += this.microBatch) this.queue.push(order.slice(i, i + this.microBatch));
    }
    return this.queue.shift()!;
  }

  get state(): DataOrderState {
    return { rngState: this.rng.state, queue: this.queue.map((mb) => mb.slice()) };
  }

  set state(s: DataOrderState) {
    const bad = !Number.isInteger(s?.rngState) || !Array.isArray(s.queue) ||
      s.queue.some((mb) => !Array.isArray(mb) || mb.length !== this.microBatch || mb.some((i) => !Number.isInteger(i) || i < 0 || i >= this.size));
    if (bad) throw new Error(`data position does not fit ${this.size} examples in microbatches of ${this.microBatch}`);
    this.rng.state = s.rngState;
    this.queue = s.queue.map((mb) => mb.slice());
  }
}
