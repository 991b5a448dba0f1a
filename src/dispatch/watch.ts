/**
 * `watch()`: status polled until every bundle has finished, as an async iterator — one
 * update per poll, with the bundles whose state changed since the previous one. The
 * `--watch` of `eegen status` and the waiting step of `eegen run` are this loop.
 */
import { isAbortError, sleep } from './abort.js';
import type { HostError } from './codes.js';
import { contextFor } from './context.js';
import { status, type StatusOptions } from './index.js';
import type { BundleStatus } from './status.js';
import { FINAL_STATES, type BundleState } from './types.js';

export interface WatchOptions extends StatusOptions {
  /** Time between the end of one poll and the start of the next (default 2,000 ms; at least 200). */
  intervalMs?: number;
  /** When to stop (default: every bundle has finished, or was never submitted: `built`, `synced`). */
  until?: (bundles: readonly BundleStatus[]) => boolean;
}

export interface StateChange {
  id: string;
  host?: string;
  /** Absent when the bundle was not in the previous poll. */
  from?: BundleState;
  to: BundleState;
  bundle: BundleStatus;
}

export interface WatchUpdate {
  /** 1, 2, ...: which poll this is. */
  poll: number;
  bundles: BundleStatus[];
  hostErrors: HostError[];
  /** Bundles whose state differs from the previous poll's (none on the first). */
  changes: StateChange[];
  /** True on the last update: `until` holds. */
  done: boolean;
}

/** Finished, or never submitted: nothing more will happen without another submit. */
export const settled = (bs: readonly BundleStatus[]): boolean => bs.every((b) => FINAL_STATES.has(b.state) || b.state === 'built' || b.state === 'synced');

/**
 * Poll `status` until `until` holds (the last update has `done: true`), yielding every
 * poll. Emits `status` once per poll and `state` for each changed bundle. On abort the
 * iteration ends promptly (the status query in flight is killed; no error is thrown);
 * breaking out of a `for await` ends it too.
 */
export async function* watch(opts: WatchOptions): AsyncGenerator<WatchUpdate, void, undefined> {
  const ctx = contextFor(opts);
  const interval = Math.max(200, opts.intervalMs ?? 2000);
  const until = opts.until ?? settled;
  const { intervalMs: _i, until: _u, ...statusOpts } = opts;
  let previous: Map<string, BundleStatus> | undefined;
  for (let poll = 1; ; poll++) {
    if (opts.signal?.aborted) return;
    let r;
    try {
      r = await status({ ...statusOpts, context: ctx });
    } catch (e) {
      if (isAbortError(e)) return;
      throw e;
    }
    // Every bundle is a change on the first poll (`from` absent), as the event type says:
    // a bundle already done by then must still be reported as done.
    const changes: StateChange[] = [];
    for (const b of r.bundles) {
      const was = previous?.get(b.id);
      if (was?.state === b.state) continue;
      const change: StateChange = { id: b.id, to: b.state, bundle: b, ...(b.host ? { host: b.host } : {}), ...(was ? { from: was.state } : {}) };
      changes.push(change);
      opts.onEvent?.({ type: 'state', ...change });
    }
    previous = new Map(r.bundles.map((b) => [b.id, b]));
    const done = until(r.bundles);
    yield { poll, bundles: r.bundles, hostErrors: r.hostErrors, changes, done };
    if (done) return;
    try {
      await sleep(interval, opts.signal);
    } catch (e) {
      if (isAbortError(e)) return;
      throw e;
    }
  }
}
