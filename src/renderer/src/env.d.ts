/// <reference types="svelte" />
/// <reference types="vite/client" />

import type { Api } from '../../shared/ipc';

declare global {
  interface Window {
    /** Exposed by src/preload/index.ts; absent when the page is opened without the preload. */
    api: Api | undefined;
  }
}

export {};
