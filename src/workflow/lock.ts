/**
 * One coordinator step at a time per workflow on this machine: writing the host
 * directories, and each decide-and-submit step, hold `<state dir>/coordinate.lock` (the
 * writer's lock file: pid and host; a lock whose process died is taken over), so two
 * coordinators of one workflow take turns and the second always decides from what the
 * first submitted. Nothing is kept in it: a kill -9 leaves a lock the next step takes over.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError } from '../diagnostics/index.js';
import { sleep } from '../util/abort.js';
import { acquireLock, statePaths } from '../write/state.js';
import { stateDir } from './bundles.js';
import { WORKFLOW_CODES as C } from './codes.js';
import type { WorkflowEvent, WorkflowSpec } from './types.js';

/** How long a step waits for another coordinator's step. */
export const LOCK_WAIT_MS = 15 * 60_000;

export async function holdLock<T>(spec: Pick<WorkflowSpec, 'path'>, signal: AbortSignal | undefined, emit: (e: WorkflowEvent) => void, fn: () => Promise<T>): Promise<T> {
  const dir = stateDir(spec);
  await mkdir(dir, { recursive: true });
  // Derived state, rebuilt from the spec and the hosts: out of git (written once, never over a file of the user's).
  await writeFile(path.join(dir, '..', '.gitignore'), '# eegen workflow: state derived from the workflow files and the hosts\n*\n', { flag: 'wx' }).catch(() => undefined);
  const paths = { ...statePaths(dir), lock: path.join(dir, 'coordinate.lock') };
  const until = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    const lock = await acquireLock(paths, [], false);
    if (lock) {
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    }
    if (Date.now() > until) throw new DiagnosticError(diag(C.locked, `Another eegen workflow command has held ${paths.lock} for ${LOCK_WAIT_MS / 60_000} minutes.`, undefined, 'If no other eegen workflow command of this workflow is running, delete that file.'));
    if (!told) emit({ type: 'waiting', lock: paths.lock });
    told = true;
    await sleep(20 + Math.random() * 60, signal);
  }
}
