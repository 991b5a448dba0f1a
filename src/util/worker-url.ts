/**
 * Where the compiled script of a worker thread is. Worker threads need JavaScript: from
 * dist/ that is the file beside the caller; from the TypeScript sources (the test runner
 * imports src/) it is the compiled copy under dist/, when one was built. Without one the
 * caller does the work on its own thread.
 */
import { existsSync } from 'node:fs';

/** `file` (e.g. './worker.js') next to the module at `moduleUrl`, compiled. */
export function compiledWorker(moduleUrl: string, file: string): URL | undefined {
  if (moduleUrl.endsWith('.js')) return new URL(file, moduleUrl);
  const i = moduleUrl.lastIndexOf('/src/');
  if (i < 0) return undefined;
  const built = new URL(file, `${moduleUrl.slice(0, i)}/dist/${moduleUrl.slice(i + '/src/'.length)}`);
  return existsSync(built) ? built : undefined;
}
