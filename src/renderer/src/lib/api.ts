// Access to the preload bridge, with errors turned into messages fit for the page.

import type { Api } from '../../../shared/ipc';

/** The typed bridge, or an Error saying why it is missing. */
export function getApi(): Api {
  if (!window.api) {
    throw new Error(
      'The preload bridge (window.api) is missing: open the app with `npm run dev` or `npm start`, not the HTML file directly.',
    );
  }
  return window.api;
}

/** "Error invoking remote method 'runs:get': Error: runs:get: field 'id' ..." -> "runs:get: field 'id' ...". */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, '');
}
