/**
 * `eegen submit`: per host, three round trips whatever the number of bundles —
 * ask what the host already has (status), copy what is missing (one rsync with an
 * explicit file list), then verify checksums and submit in one detached script.
 * Hosts proceed in parallel and independently: an unreachable host is reported and
 * the others go on. The host records each job id before anything else, so a rerun
 * (even with the ledger gone) submits nothing twice.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readlink, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import { LAYOUT } from '../types.js';
import { acquireLock, statePaths } from '../write/state.js';
import { AbortError, isAbortError, sleep, throwIfAborted } from './abort.js';
import { DISPATCH_CODES, hostError, type HostError } from './codes.js';
import { contextFor, hostScheduler, type DispatchContext } from './context.js';
import { arrayDriverScript, arrayLogPattern, planArrays } from '../scheduler/arrays.js';
import type { HostEntry } from '../inventory/hosts.js';
import { appendLedger, ledgerHosts, type LedgerEntry } from './ledger.js';
import { readIndex, selectBundles, type IndexedBundle } from './outdir.js';
import { DryRunner, type Command, type Runner } from './process.js';
import { parseAnswers, submitScript, type ArraySubmit, type SubmitItem } from './remote.js';
import { askHost, combine, answerError, type BundleStatus, type HostAnswer } from './status.js';
import { maxArraySize } from './schedulers.js';
import { FINAL_STATES, type BundleState, type DispatchCallOptions } from './types.js';
import { execCommand, hostWorkdir, needsCopy, pushCommand, pushRoot, remoteDirName, viewOf } from './transport.js';

export interface SubmitOptions extends DispatchCallOptions {
  /** The output directory of a build. */
  out: string;
  /** Where to submit; the sweep is split between them in sweep order. */
  hosts: HostEntry[];
  /** Other hosts to ask before submitting (e.g. from the inventory), so nothing runs twice. */
  alsoAsk?: HostEntry[];
  only?: string[];
  /** Resubmit bundles that ended failed, killed, cancelled, timeout, oom or lost. */
  retryFailed?: boolean;
  /**
   * Run bundles again that already ran: `failed` (as retryFailed), `changed` (rebuilt
   * since they were submitted: their content differs from the run's), `all` (every bundle
   * whose run ended, done ones included: a second series). The earlier run is kept beside
   * the new one on the host (eegen-run.attempt-N, with what it wrote) and in collect's
   * results-all table; running and queued bundles are never started twice.
   */
  retry?: readonly RetryWhat[];
  /** Submit as job arrays on slurm/lsf hosts (also per host: `array: true`). */
  array?: boolean;
  /**
   * Hold what is submitted until these jobs ended well (recorded job ids, `slurm:123`,
   * `slurm:123_4`, of the hosts' own scheduler): a scheduler dependency (the adapter's
   * `dependsOn`), recorded with each job id as `after`. A host whose scheduler has none,
   * or an id that is not one of its job ids, fails before anything is sent to it.
   */
  after?: readonly string[];
  /** Record the commands instead of running them. */
  dryRun?: boolean;
  /**
   * The selected bundles' status on `hosts`, as a status() call just gave it (a caller that
   * polls anyway: the workflow coordinator): submit then decides from it and asks no host
   * first (one round trip less). A bundle not in it counts as never submitted. The hosts'
   * claims still keep a bundle that is there from being submitted twice.
   */
  asked?: readonly BundleStatus[];
}

export interface HostSubmitReport {
  host: string;
  ok: boolean;
  /** Why the host failed, in words (as the CLI prints it)... */
  error?: string;
  /** ...and as a diagnostic with code (EG6010-EG6013) and hint. */
  diagnostic?: Diagnostic;
  submitted: { id: string; jobId: string }[];
  skipped: { id: string; jobId: string }[];
  failed: { id: string; error: string }[];
}

export interface SubmitResult {
  hosts: HostSubmitReport[];
  /** Already queued, running or done somewhere: not submitted again. */
  alreadyThere: BundleStatus[];
  /** Bundles whose content changed after they were submitted. */
  changedSinceSubmit: string[];
  commands: Command[];
}

const FAILED_STATES = new Set(['failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost']);

export type RetryWhat = 'failed' | 'changed' | 'all';
export const RETRY_WHAT: readonly RetryWhat[] = ['failed', 'changed', 'all'];

/** Whether `--retry` runs this bundle again. Never one still queued or running. */
function rerun(st: BundleStatus, what: ReadonlySet<RetryWhat>): boolean {
  if (!st.jobId || !FINAL_STATES.has(st.state as BundleState)) return false;
  if (what.has('all')) return true;
  if (what.has('failed') && FAILED_STATES.has(st.state)) return true;
  return what.has('changed') && !!st.changedSinceSubmit;
}

/** A bundle's files as the push lists them: `<id>-<hash12>/<file>` below pushRoot. */
async function bundleFiles(outDir: string, b: IndexedBundle): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(outDir, b.dir, LAYOUT.manifest), 'utf8')) as { files: Record<string, string> };
  return [...Object.keys(manifest.files), LAYOUT.manifest, LAYOUT.checksums].map((f) => `${remoteDirName(b)}/${f}`);
}

/** pushRoot/<id>-<hash12> -> the bundle in OUT (replaced when it points elsewhere). */
async function linkForPush(root: string, outDir: string, b: IndexedBundle): Promise<void> {
  const link = path.join(root, remoteDirName(b));
  const target = path.relative(root, path.join(path.resolve(outDir), b.dir));
  const now = await readlink(link).catch(() => undefined);
  if (now === target) return;
  if (now !== undefined) await unlink(link);
  await symlink(target, link);
}

interface Plan {
  host: HostEntry;
  items: (SubmitItem & { bundle: IndexedBundle })[];
}

function assign(statuses: BundleStatus[], index: Map<string, IndexedBundle>, hosts: HostEntry[], okHosts: Set<string>, what: ReadonlySet<RetryWhat>): { plans: Plan[]; alreadyThere: BundleStatus[] } {
  const plans = hosts.map((host) => ({ host, items: [] as Plan['items'] }));
  const usable = plans.filter((p) => okHosts.has(p.host.name));
  const alreadyThere: BundleStatus[] = [];
  let next = 0;
  for (const st of statuses) {
    const bundle = index.get(st.id)!;
    const retry = rerun(st, what);
    if (st.jobId && !retry) {
      alreadyThere.push(st);
      continue;
    }
    // A retry goes back to the host that has the bundle's history, if we may use it.
    const home = retry ? usable.find((p) => p.host.name === st.host) : undefined;
    const target = home ?? usable[next++ % Math.max(1, usable.length)];
    if (!target) continue;
    target.items.push({ id: st.id, script: bundle.script, hash: bundle.hash, retry: retry && home !== undefined, ...(retry && home && st.jobId ? { retryOf: st.jobId } : {}), bundle });
  }
  return { plans, alreadyThere };
}

/** A dependency on recorded job ids as this host's scheduler writes it (its submit arguments), or why there is none. */
export function dependencyArgs(h: HostEntry, after: readonly string[], ctx: Pick<DispatchContext, 'schedulers'>): { args: string[]; after: string[] } | { error: string } {
  const sched = hostScheduler(h, ctx.schedulers);
  if (!sched.dependsOn) return { error: `the ${sched.name} scheduler of ${h.name} cannot hold a job until another ended` };
  const keys: string[] = [];
  for (const id of after) {
    const prefix = `${sched.jobIdPrefix}:`;
    if (typeof id !== 'string' || !id.startsWith(prefix)) return { error: `not a ${sched.name} job id: ${JSON.stringify(id)}` };
    keys.push(sched.jobKey(id.slice(prefix.length)));
  }
  try {
    return { args: sched.dependsOn(keys), after: [...new Set(after)] };
  } catch (e) {
    return { error: `${(e as Error).message} (of ${JSON.stringify(after)})` };
  }
}

type Dependency = { args: string[]; after: string[] } | undefined;

async function prepareArrays(outDir: string, plan: Plan, ctx: DispatchContext, dep: Dependency, signal?: AbortSignal): Promise<{ arrays: ArraySubmit[]; files: string[]; single: Plan['items'] }> {
  const h = plan.host;
  const single = plan.items.filter((i) => i.retry);
  const candidates = plan.items.filter((i) => !i.retry);
  const bundles = await Promise.all(candidates.map(async (i) => ({ id: i.id, dir: needsCopy(h, outDir) ? i.id : i.bundle.dir, script: i.script, scriptText: await readFile(path.join(outDir, i.bundle.dir, i.script), 'utf8') })));
  const scheduler = hostScheduler(h, ctx.schedulers);
  const support = scheduler.arrays!;
  const groups = planArrays(bundles, { maxArraySize: h.max_array_size ?? (await maxArraySize(h, ctx.runner, ctx.maxArraySize, signal, ctx.schedulers)) ?? 1001, scheduler, ...(h.slots ? { throttle: h.slots } : {}) });
  // Relative to where the submit script runs (the output directory's view on copy hosts),
  // and named by their content, so a pending array never reads another submit's list.
  const dir = path.join(LAYOUT.stateDir, 'arrays', h.name);
  const copy = needsCopy(h, outDir);
  const local = copy ? path.join(pushRoot(h, outDir), viewOf(outDir)) : outDir;
  await mkdir(path.join(local, dir), { recursive: true });
  const arrays: ArraySubmit[] = [];
  const files: string[] = [];
  const hashes = new Map(candidates.map((c) => [c.id, c.hash]));
  for (const g of groups) {
    const listText = g.members.map((m) => `${m.dir}\t${m.script}\n`).join('');
    const name = `${g.name}-${createHash('sha256').update(`${listText}\0${g.spec}\0${g.directives.join('\n')}`).digest('hex').slice(0, 12)}`;
    const driver = `${dir}/${name}.sh`;
    const list = `${dir}/${name}.list`;
    await writeFile(path.join(local, list), listText);
    await writeFile(path.join(local, driver), arrayDriverScript(g, { listFile: list, adapter: scheduler }), { mode: 0o755 });
    files.push(...(copy ? [driver, list].map((f) => `${viewOf(outDir)}/${f}`) : [driver, list]));
    arrays.push({ driver, list, args: [...support.submitArgs(g.spec), ...(dep?.args ?? [])], log: arrayLogPattern(g, list, scheduler), members: g.members.map((m) => ({ id: m.id, index: m.index, hash: hashes.get(m.id) ?? '' })), ...(dep ? { after: dep.after } : {}) });
  }
  return { arrays, files, single };
}

function failedReport(report: HostSubmitReport, e: HostError): HostSubmitReport {
  return { ...report, ok: false, error: e.error, diagnostic: e.diagnostic };
}

async function submitToHost(opts: SubmitOptions, ctx: DispatchContext, plan: Plan): Promise<HostSubmitReport> {
  const h = plan.host;
  const runner = ctx.runner;
  const signal = opts.signal;
  const sig = signal ? { signal } : {};
  const report: HostSubmitReport = { host: h.name, ok: true, submitted: [], skipped: [], failed: [] };
  if (!plan.items.length) return report;
  // A dependency that cannot be written for this host: nothing is sent.
  const dep = opts.after?.length ? dependencyArgs(h, opts.after, ctx) : undefined;
  if (dep && 'error' in dep) return failedReport(report, hostError(DISPATCH_CODES.submitFailed, h.name, `cannot submit with a dependency: ${dep.error}`));
  // Before anything reaches the host: from now on the ledger names it, so status and later
  // submits ask it even if this submit is aborted or killed before it records a job id.
  if (!opts.dryRun) await appendLedger(opts.out, [{ host: h.name, time: new Date().toISOString(), action: 'attempt' }], ctx.ledgerQueues);
  throwIfAborted(signal);
  const useArrays = (opts.array || h.array) && hostScheduler(h, ctx.schedulers).arrays !== undefined;
  const prepared = useArrays ? await prepareArrays(opts.out, plan, ctx, dep, signal) : { arrays: [], files: [], single: plan.items };
  const { arrays, files: arrayFiles } = prepared;
  const single = dep ? prepared.single.map((i) => ({ ...i, args: dep.args, after: dep.after })) : prepared.single;
  throwIfAborted(signal);

  const copy = needsCopy(h, opts.out);
  if (copy) {
    const root = pushRoot(h, opts.out);
    await mkdir(root, { recursive: true });
    for (const i of plan.items) await linkForPush(root, opts.out, i.bundle);
    const files = (await Promise.all(plan.items.map((i) => bundleFiles(opts.out, i.bundle)))).flat().concat(arrayFiles);
    const listFile = path.join(opts.out, LAYOUT.stateDir, `push-${h.name}.list`);
    await mkdir(path.dirname(listFile), { recursive: true });
    await writeFile(listFile, `${files.join('\n')}\n`);
    throwIfAborted(signal);
    const push = await runner.run(pushCommand(h, opts.out, listFile), { timeoutMs: 3_600_000, ...sig });
    if (push.code !== 0) return failedReport(report, hostError(DISPATCH_CODES.pushFailed, h.name, `copying bundles failed: ${push.stderr.trim().split('\n').slice(-2).join(' ') || `rsync exit ${push.code}`}`));
  }
  throwIfAborted(signal);

  const res = await runner.run(execCommand(h, submitScript(h, hostWorkdir(h, opts.out), single, arrays, copy ? { dir: viewOf(opts.out), links: plan.items.map((i) => ({ id: i.id, dir: remoteDirName(i.bundle) })) } : undefined, ctx.schedulers), `verify and submit ${plan.items.length} bundles on ${h.name}`), { timeoutMs: 3_600_000, ...sig });
  const answers = parseAnswers(res.stdout);
  const now = new Date().toISOString();
  const ledger: LedgerEntry[] = [];
  const retried = new Set(plan.items.filter((i) => i.retry).map((i) => i.id));
  const hashOf = new Map(plan.items.map((i) => [i.id, i.hash]));
  for (const a of answers) {
    const [id = '', detail = ''] = a.fields;
    if (a.tag === 'OK') {
      report.submitted.push({ id, jobId: detail });
      ledger.push({ id, host: h.name, bundleHash: hashOf.get(id) ?? '', jobId: detail, time: now, action: retried.has(id) ? 'retried' : 'submitted' });
    } else if (a.tag === 'SKIP') report.skipped.push({ id, jobId: detail });
    else if (a.tag === 'BADSUM') report.failed.push({ id, error: `checksums do not match on the host: ${detail}` });
    else if (a.tag === 'FAIL') report.failed.push({ id, error: detail });
  }
  // The ledger records what the host confirmed, even when the connection broke afterwards.
  if (!opts.dryRun) await appendLedger(opts.out, ledger, ctx.ledgerQueues);
  if (!answers.some((a) => a.tag === 'END')) {
    const e = hostError(DISPATCH_CODES.submitUnfinished, h.name, `the submission did not finish (${res.stderr.trim().split('\n').pop() || `exit ${res.code}`}); run submit again: bundles the host recorded are not submitted twice`);
    return failedReport(report, e);
  }
  return report;
}

/** How long a submit waits for another submit of the same output directory to finish. */
const LOCK_WAIT_MS = 15 * 60_000;

/**
 * One submit of an output directory at a time on this machine: a second `eegen submit OUT`
 * started meanwhile waits, then sees what the first submitted and skips it. (Submits from
 * other machines, with their own copies of OUT, meet at the hosts' claims instead.)
 */
async function holdSubmitLock(out: string, onWait?: (holder: string) => void, signal?: AbortSignal): Promise<() => Promise<void>> {
  const s = statePaths(path.resolve(out));
  await mkdir(s.root, { recursive: true });
  const paths = { ...s, lock: path.join(s.root, 'submit.lock') };
  const until = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    const lock = await acquireLock(paths, [], false);
    if (lock) return lock.release;
    if (Date.now() > until) throw new DiagnosticError(diag(DISPATCH_CODES.submitLocked, `Another eegen submit of ${out} has held ${paths.lock} for ${LOCK_WAIT_MS / 60_000} minutes.`, undefined, 'If no other eegen submit is running, delete that file.'));
    if (!told) onWait?.(paths.lock);
    told = true;
    await sleep(100 + Math.random() * 150, signal);
  }
}

/**
 * Submit the selected bundles that are not submitted yet (and, with `retry`, ended ones)
 * to `hosts`, splitting the sweep between them. Aborting (`signal`) at any moment leaves
 * every bundle either submitted once (the host's detached script, once started, finishes
 * what it claimed) or untouched, as kill -9 of eegen would; the call rejects with
 * AbortError, and the next submit submits the rest, nothing twice.
 */
export async function submit(opts: SubmitOptions): Promise<SubmitResult> {
  const ctx = contextFor(opts);
  const o = ctx.cwd ? { ...opts, out: path.resolve(ctx.cwd, opts.out) } : opts;
  throwIfAborted(o.signal);
  if (o.dryRun) return submitLocked(o, ctx);
  const release = await holdSubmitLock(o.out, (lock) => o.onEvent?.({ type: 'waiting', lock }), o.signal);
  try {
    return await submitLocked(o, ctx);
  } finally {
    await release();
  }
}

async function submitLocked(opts: SubmitOptions, ctx: DispatchContext): Promise<SubmitResult> {
  const runner = ctx.runner;
  const signal = opts.signal;
  const index = await readIndex(opts.out);
  const selected = selectBundles(index.bundles, opts.only, opts.out);
  const byId = new Map(selected.map((b) => [b.id, b]));
  const known = new Set(await ledgerHosts(opts.out));
  const ask = new Map<string, HostEntry>();
  for (const h of [...opts.hosts, ...(opts.alsoAsk ?? []).filter((h) => known.has(h.name))]) ask.set(h.name, h);
  const ids = selected.map((b) => b.id);
  const asked = opts.asked ? new Map(opts.asked.map((s) => [s.id, s])) : undefined;
  const answers: HostAnswer[] = asked ? [] : await Promise.all(
    [...ask.values()].map(async (h) => {
      const a = await askHost(runner, h, opts.out, ids, signal, ctx.schedulers);
      opts.onEvent?.({ type: 'asked', host: h.name, ok: a.ok, ...(a.ok ? {} : { error: answerError(a) }) });
      return a;
    }),
  );
  throwIfAborted(signal);
  const statuses = asked ? selected.map((b) => asked.get(b.id) ?? { id: b.id, state: 'built' as const }) : combine(selected, answers, undefined, ctx.schedulers);
  const okHosts = new Set(asked ? opts.hosts.map((h) => h.name) : answers.filter((a) => a.ok).map((a) => a.host.name));
  const what = new Set<RetryWhat>([...(opts.retry ?? []), ...(opts.retryFailed ? (['failed'] as const) : [])]);
  const { plans, alreadyThere } = assign(statuses, byId, opts.hosts, okHosts, what);
  // Every host to its end (settled), also when one is aborted: nothing may still write the
  // ledger when submit returns or rejects.
  const settled = await Promise.allSettled(
    plans.map(async (p): Promise<HostSubmitReport> => {
      const ans = answers.find((a) => a.host.name === p.host.name);
      const empty = { host: p.host.name, ok: false, submitted: [], skipped: [], failed: [] };
      let r: HostSubmitReport;
      if (ans && !ans.ok) {
        const e = answerError(ans);
        r = failedReport(empty, { ...e, error: `cannot reach ${p.host.name}: ${e.error}` });
      } else {
        r = await submitToHost(opts, ctx, p).catch((e: unknown) => {
          if (isAbortError(e)) throw e;
          return failedReport(empty, hostError(DISPATCH_CODES.submitFailed, p.host.name, String((e as Error)?.message ?? e)));
        });
      }
      if (r.diagnostic) opts.onEvent?.({ type: 'host-error', error: { host: r.host, error: r.error ?? '', diagnostic: r.diagnostic } });
      opts.onEvent?.({ type: 'submitted', host: p.host.name, report: r });
      return r;
    }),
  );
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw isAbortError(rejected.reason) ? rejected.reason : new AbortError(String(rejected.reason), { cause: rejected.reason });
  const reports = settled.map((s) => (s as PromiseFulfilledResult<HostSubmitReport>).value);
  return {
    hosts: reports,
    alreadyThere,
    changedSinceSubmit: statuses.filter((s) => s.changedSinceSubmit).map((s) => s.id),
    commands: runner instanceof DryRunner ? runner.commands : [],
  };
}

