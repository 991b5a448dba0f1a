/**
 * `runSweep()`: build, submit, watch until every bundle has finished, collect — what
 * `eegen run` does, as one library call reporting every step through one event stream
 * (`EegenEvent`: the build's BuildEvent and the dispatcher's DispatchEvent).
 */
import path from 'node:path';
import type { BuildOptions, BuildResult } from '../build.js';
import type { BuildEvent } from '../types.js';
import { throwIfAborted } from './abort.js';
import { contextFor } from './context.js';
import type { CollectResult } from './collect.js';
import type { HostEntry } from '../inventory/hosts.js';
import type { BundleStatus } from './status.js';
import { submit, type SubmitResult } from './submit.js';
import type { DispatchCallOptions, DispatchEvent } from './types.js';
import { watch } from './watch.js';
import { collect } from './collect.js';

/** Every progress event eegen reports: building, then dispatching. */
export type EegenEvent = BuildEvent | DispatchEvent;

export interface RunSweepOptions extends Omit<DispatchCallOptions, 'onEvent'> {
  /** The experiment config (YAML). */
  config: string;
  template?: string;
  /** Output directory (default `out`). */
  out?: string;
  /** Where to run; the sweep is split between them. */
  hosts: HostEntry[];
  /** Other hosts to ask before submitting, so nothing runs twice (e.g. the whole inventory). */
  alsoAsk?: HostEntry[];
  /** Status poll interval while waiting (default 1,000 ms). */
  intervalMs?: number;
  /** More build options (profiles, workers, ...). */
  build?: Omit<BuildOptions, 'config' | 'template' | 'out' | 'onEvent' | 'signal'>;
  onEvent?: (e: EegenEvent) => void;
}

export interface RunSweepResult {
  /** Built, submitted everywhere, and every bundle's row says done. */
  ok: boolean;
  /** The step that stopped the run when it did not get to the end. */
  stoppedAt?: 'build' | 'submit';
  build: BuildResult;
  submit?: SubmitResult;
  /** The last status before collecting. */
  final?: BundleStatus[];
  collect?: CollectResult;
}

/**
 * Build, submit, wait, collect. A build that fails, or a host that cannot take the
 * bundles, ends the run early (`stoppedAt`). Aborting rejects with AbortError and leaves
 * what kill -9 of `eegen run` would: a build aborted leaves OUT as it was, submitted jobs
 * go on running (status and collect them later).
 */
export async function runSweep(opts: RunSweepOptions): Promise<RunSweepResult> {
  const ctx = contextFor(opts);
  const emit = opts.onEvent;
  const common = { context: ctx, ...(opts.signal ? { signal: opts.signal } : {}), ...(emit ? { onEvent: emit as (e: DispatchEvent) => void } : {}) };
  throwIfAborted(opts.signal);
  const out = opts.out ?? 'out';
  const { build } = await import('../build.js');
  const built = await build({
    ...(opts.build ?? {}),
    config: ctx.cwd ? path.resolve(ctx.cwd, opts.config) : opts.config,
    out: ctx.cwd ? path.resolve(ctx.cwd, out) : out,
    ...(opts.template ? { template: ctx.cwd ? path.resolve(ctx.cwd, opts.template) : opts.template } : {}),
    ...(emit ? { onEvent: emit } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!built.ok || !built.plan) return { ok: false, stoppedAt: 'build', build: built };
  throwIfAborted(opts.signal);
  const sub = await submit({ ...common, out, hosts: opts.hosts, ...(opts.alsoAsk ? { alsoAsk: opts.alsoAsk } : {}) });
  if (!sub.hosts.every((h) => h.ok)) return { ok: false, stoppedAt: 'submit', build: built, submit: sub };
  let final: BundleStatus[] = [];
  for await (const u of watch({ ...common, out, hosts: opts.hosts, intervalMs: opts.intervalMs ?? 1000 })) final = u.bundles;
  throwIfAborted(opts.signal);
  const collected = await collect({ ...common, out, hosts: opts.hosts });
  return { ok: collected.rows.every((r) => r.state === 'done') && collected.hostErrors.length === 0, build: built, submit: sub, final, collect: collected };
}
