/**
 * The dispatcher's library API: submit, status, watch, cancel, collect, runSweep. Each
 * takes an output directory and hosts from the inventory, `onEvent` for progress, `signal`
 * to abort, and `context` for state that outlives one call (none is kept in module
 * globals); the CLI only parses arguments and prints.
 */
import path from 'node:path';
import { throwIfAborted } from './abort.js';
import { DISPATCH_CODES, hostError, type HostError } from './codes.js';
import { contextFor } from './context.js';
import type { HostEntry, Inventory } from '../inventory/hosts.js';
import { ledgerHosts } from './ledger.js';
import { readIndex, selectBundles } from './outdir.js';
import { cancelScript, parseAnswers } from './remote.js';
import { answerError, askHost, combine, type BundleStatus } from './status.js';
import { execCommand, workdirOf } from './transport.js';
import type { DispatchCallOptions } from './types.js';

export { submit, RETRY_WHAT, type RetryWhat, type SubmitOptions, type SubmitResult, type HostSubmitReport } from './submit.js';
export { collect, type CollectOptions, type CollectResult, type Row, type Pending } from './collect.js';
export { loadInventory, findHostsFile, pickHosts, LOCAL_HOST, type HostEntry, type HostKind, type Inventory } from '../inventory/hosts.js';
export { watch, type WatchOptions, type WatchUpdate, type StateChange } from './watch.js';
export { runSweep, type RunSweepOptions, type RunSweepResult, type EegenEvent } from './run.js';
export { createContext, type DispatchContext } from './context.js';
export { DEFAULT_SCHEDULERS, withSchedulers, type SchedulerRegistry } from '../scheduler/registry.js';
export type { SchedulerAdapter } from '../scheduler/types.js';
export { AbortError, isAbortError } from './abort.js';
export { DISPATCH_CODES, type HostError, type DispatchCode } from './codes.js';
export { realRunner, DryRunner, commandLine, type Runner, type RunOptions, type Command, type ExecResult } from './process.js';
export type { BundleStatus } from './status.js';
export { FINAL_STATES, ACTIVE_STATES, type BundleState, type DispatchEvent, type DispatchCallOptions } from './types.js';

/**
 * Which hosts to ask about an output directory: the ones named, else every host the
 * ledger names. Submit writes a host into the ledger before it sends it anything, so a
 * host the ledger never names holds nothing of this output directory: when nothing was
 * submitted, nobody is asked (the bundles are `built`). A deleted ledger forgets which
 * hosts those were: name them (`--host`) and they are asked.
 */
export async function hostsToAsk(out: string, inv: Inventory, named: readonly HostEntry[]): Promise<HostEntry[]> {
  if (named.length) return [...named];
  return (await ledgerHosts(out)).map((n) => inv.hosts.get(n)).filter((h): h is HostEntry => h !== undefined);
}

export interface StatusOptions extends DispatchCallOptions {
  /** The output directory of a build. */
  out: string;
  /** Hosts to ask (see hostsToAsk); none: every bundle is reported as built, no round trip. */
  hosts: HostEntry[];
  /** Bundle id globs; none: all. */
  only?: string[];
}

export interface StatusResult {
  bundles: BundleStatus[];
  /** Hosts that could not be asked (EG6010); their bundles are reported from the others' answers. */
  hostErrors: HostError[];
}

/** One round trip per host, in parallel; none when `hosts` is empty. */
export async function status(opts: StatusOptions): Promise<StatusResult> {
  const ctx = contextFor(opts);
  const out = ctx.cwd ? path.resolve(ctx.cwd, opts.out) : opts.out;
  throwIfAborted(opts.signal);
  const index = await readIndex(out);
  const selected = selectBundles(index.bundles, opts.only, opts.out);
  const ids = selected.map((b) => b.id);
  const answers = await Promise.all(
    opts.hosts.map(async (h) => {
      const a = await askHost(ctx.runner, h, out, ids, opts.signal, ctx.schedulers);
      opts.onEvent?.({ type: 'asked', host: h.name, ok: a.ok, ...(a.ok ? {} : { error: answerError(a) }) });
      return a;
    }),
  );
  const hostErrors = answers.filter((a) => !a.ok).map(answerError);
  for (const error of hostErrors) opts.onEvent?.({ type: 'host-error', error });
  const result = { bundles: combine(selected, answers, out, ctx.schedulers), hostErrors };
  opts.onEvent?.({ type: 'status', bundles: result.bundles, hostErrors });
  return result;
}

export interface CancelResult {
  cancelled: { id: string; host: string; jobId: string }[];
  failed: { id: string; host: string; error: string }[];
  hostErrors: HostError[];
}

/** Cancel the selected bundles that are submitted, queued or running, wherever they are. */
export async function cancel(opts: StatusOptions): Promise<CancelResult> {
  const ctx = contextFor(opts);
  const out = ctx.cwd ? path.resolve(ctx.cwd, opts.out) : opts.out;
  const { bundles, hostErrors } = await status({ ...opts, out, context: ctx });
  const active = bundles.filter((b) => b.host && (b.state === 'submitted' || b.state === 'queued' || b.state === 'running'));
  const result: CancelResult = { cancelled: [], failed: [], hostErrors };
  throwIfAborted(opts.signal);
  await Promise.all(
    opts.hosts.map(async (h) => {
      const ids = active.filter((b) => b.host === h.name).map((b) => b.id);
      if (!ids.length) return;
      const res = await ctx.runner.run(execCommand(h, cancelScript(h, workdirOf(h, out), ids, ctx.schedulers), `cancel ${ids.length} bundles on ${h.name}`), { timeoutMs: 120_000, ...(opts.signal ? { signal: opts.signal } : {}) });
      const mine = { cancelled: [] as { id: string; jobId: string }[], failed: [] as { id: string; error: string }[] };
      for (const a of parseAnswers(res.stdout)) {
        if (a.tag === 'OK') mine.cancelled.push({ id: a.fields[0]!, jobId: a.fields[1] ?? '' });
        if (a.tag === 'FAIL') mine.failed.push({ id: a.fields[0]!, error: a.fields[1] ?? '' });
      }
      result.cancelled.push(...mine.cancelled.map((c) => ({ ...c, host: h.name })));
      result.failed.push(...mine.failed.map((f) => ({ ...f, host: h.name })));
      if (res.code !== 0 && !parseAnswers(res.stdout).some((a) => a.tag === 'END')) {
        const error = hostError(DISPATCH_CODES.cancelUnfinished, h.name, res.stderr.trim().split('\n').pop() ?? `exit ${res.code}`);
        result.hostErrors.push(error);
        opts.onEvent?.({ type: 'host-error', error });
      }
      opts.onEvent?.({ type: 'cancelled', host: h.name, ...mine });
    }),
  );
  return result;
}
