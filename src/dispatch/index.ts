/**
 * The dispatcher's library API: submit, status, cancel, collect. Each takes an output
 * directory and hosts from the inventory; the CLI only parses arguments and prints.
 */
import type { HostEntry, Inventory } from './hosts.js';
import { readLedger } from './ledger.js';
import { readIndex, selectBundles } from './outdir.js';
import { realRunner, type Runner } from './process.js';
import { cancelScript, parseAnswers } from './remote.js';
import { askHost, combine, type BundleStatus } from './status.js';
import { execCommand, workdirOf } from './transport.js';

export { submit, RETRY_WHAT, type RetryWhat, type SubmitOptions, type SubmitResult, type HostSubmitReport } from './submit.js';
export { collect, type CollectOptions, type CollectResult, type Row } from './collect.js';
export { loadInventory, findHostsFile, pickHosts, LOCAL_HOST, type HostEntry, type Inventory } from './hosts.js';
export type { BundleStatus } from './status.js';
export type { BundleState } from './types.js';

/**
 * Which hosts to ask about an output directory: the ones named, else every host the
 * ledger mentions, else (no ledger: it may have been deleted) every host in the inventory.
 */
export async function hostsToAsk(out: string, inv: Inventory, named: readonly HostEntry[]): Promise<HostEntry[]> {
  if (named.length) return [...named];
  const fromLedger = [...new Set((await readLedger(out)).map((e) => e.host))].map((n) => inv.hosts.get(n)).filter((h): h is HostEntry => h !== undefined);
  return fromLedger.length ? fromLedger : [...inv.hosts.values()];
}

export interface StatusOptions {
  out: string;
  hosts: HostEntry[];
  only?: string[];
  runner?: Runner;
}

export interface StatusResult {
  bundles: BundleStatus[];
  hostErrors: { host: string; error: string }[];
}

/** One round trip per host, in parallel. */
export async function status(opts: StatusOptions): Promise<StatusResult> {
  const runner = opts.runner ?? realRunner;
  const index = await readIndex(opts.out);
  const selected = selectBundles(index.bundles, opts.only);
  const ids = selected.map((b) => b.id);
  const answers = await Promise.all(opts.hosts.map((h) => askHost(runner, h, opts.out, ids)));
  return { bundles: combine(selected, answers), hostErrors: answers.filter((a) => !a.ok).map((a) => ({ host: a.host.name, error: a.error ?? 'unreachable' })) };
}

export interface CancelResult {
  cancelled: { id: string; host: string; jobId: string }[];
  failed: { id: string; host: string; error: string }[];
  hostErrors: { host: string; error: string }[];
}

/** Cancel the selected bundles that are submitted, queued or running, wherever they are. */
export async function cancel(opts: StatusOptions): Promise<CancelResult> {
  const runner = opts.runner ?? realRunner;
  const { bundles, hostErrors } = await status({ ...opts, runner });
  const active = bundles.filter((b) => b.host && (b.state === 'submitted' || b.state === 'queued' || b.state === 'running'));
  const result: CancelResult = { cancelled: [], failed: [], hostErrors };
  await Promise.all(
    opts.hosts.map(async (h) => {
      const ids = active.filter((b) => b.host === h.name).map((b) => b.id);
      if (!ids.length) return;
      const res = await runner.run(execCommand(h, cancelScript(h, workdirOf(h, opts.out), ids), `cancel ${ids.length} bundles on ${h.name}`), { timeoutMs: 120_000 });
      for (const a of parseAnswers(res.stdout)) {
        if (a.tag === 'OK') result.cancelled.push({ id: a.fields[0]!, host: h.name, jobId: a.fields[1] ?? '' });
        if (a.tag === 'FAIL') result.failed.push({ id: a.fields[0]!, host: h.name, error: a.fields[1] ?? '' });
      }
      if (res.code !== 0 && !parseAnswers(res.stdout).some((a) => a.tag === 'END')) result.hostErrors.push({ host: h.name, error: res.stderr.trim().split('\n').pop() ?? `exit ${res.code}` });
    }),
  );
  return result;
}
