// One asynchronous form action (export, import): whether it is running, the error it raised and
// the result it returned, as reactive state a dialog reads.

import { errorMessage } from './api';

export class FormAction<T> {
  busy = $state(false);
  error = $state<string | null>(null);
  result = $state.raw<T | null>(null);

  /** Runs `work` with the form marked busy; its result or its error's message ends up here. */
  async run(work: () => Promise<T>): Promise<T | null> {
    this.busy = true;
    this.error = null;
    this.result = null;
    try {
      this.result = await work();
      return this.result;
    } catch (caught) {
      this.error = errorMessage(caught);
      return null;
    } finally {
      this.busy = false;
    }
  }
}
