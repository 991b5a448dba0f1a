/**
 * The coordinator: a loop that asks every host what its nodes are doing (one status round
 * trip per host, through the dispatcher), derives each node's state, and submits the nodes
 * that can start (through the dispatcher's submit). It keeps nothing it cannot rebuild from
 * the hosts: kill -9 it at any moment and a new run continues where things stand, because a
 * node's run is recorded on its host the moment it is submitted (the dispatcher's claim and
 * job id). Two coordinators of one workflow on this machine take turns (a lock around each
 * decide-and-submit step, so the second sees what the first submitted); on different
 * machines the hosts' claims keep a node from starting twice.
 *
 * The rules for a node's state are derive.ts's; what is submitted at a poll and how,
 * plan.ts's; what the hosts are asked, observe.ts's; waking between polls, wake.ts's.
 */
import { ACTIVE_STATES, cancel as cancelBundles, type BundleStatus, type CancelResult } from '../dispatch/index.js';
import { diag, DiagnosticError } from '../diagnostics/index.js';
import { nearest } from '../diagnostics/suggest.js';
import { throwIfAborted } from '../util/abort.js';
import { runsInPlace } from '../dispatch/transport.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import path from 'node:path';
import { writeHostDirs } from './bundles.js';
import { chainAfter } from './chain.js';
import { derive, diff } from './derive.js';
import { buildExperiments, cancelExperiment, collectExperiment } from './experiment.js';
import { WORKFLOW_CODES as C } from './codes.js';
import { holdLock } from './lock.js';
import { contextFor, hostsOf, observe, type Observation } from './observe.js';
import { carryOut, plan, prepareInputs } from './plan.js';
import { RunWatch } from './wake.js';
import { NODE_ACTIVE, NODE_FAILED, NODE_FINAL, nodeOf, type NodeStatus, type RunWorkflowOptions, type WorkflowCallOptions, type WorkflowEvent, type WorkflowResult, type WorkflowSpec } from './types.js';

export type { RunWorkflowOptions, WorkflowCallOptions, WorkflowResult } from './types.js';
// What the tests of the rules call directly.
export { derive } from './derive.js';
export { hostLimit } from './plan.js';

function checkNames(spec: WorkflowSpec, names: readonly string[]): void {
  const known = spec.nodes.filter((n) => !n.virtual).map((n) => n.name);
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length) {
    throw new DiagnosticError(bad.map((n) => {
      const near = nearest(n, known);
      return diag(C.rerunUnknown, `--rerun ${n}: the workflow has no node "${n}" that runs something.`, undefined, `${near ? `Did you mean "${near}"? ` : ''}Nodes: ${known.join(', ')}.`);
    }));
  }
}

/**
 * Run the workflow to its end: every node done, failed (no retries left) or blocked.
 * Resolves with every node's state (ok: all done); rejects only with AbortError (signal)
 * or a DiagnosticError (an unknown --rerun node, the lock held too long).
 */
export async function runWorkflow(spec: WorkflowSpec, opts: RunWorkflowOptions = {}): Promise<WorkflowResult> {
  const ctx = contextFor(opts);
  const emit = (e: WorkflowEvent): void => opts.onEvent?.(e);
  const signal = opts.signal;
  checkNames(spec, opts.rerun ?? []);
  const wanted = { rerun: new Set(opts.rerun ?? []), rerunFailed: opts.rerunFailed ? new Set(spec.nodes.map((n) => n.name)) : undefined };
  const pollMs = Math.max(20, opts.pollMs ?? 1000);
  let previous = new Map<string, NodeStatus>();
  let first = true;
  const collected = new Set<string>();
  const fetched = new Set<string>();
  const outs = await holdLock(spec, signal, emit, async () => {
    await buildExperiments(spec, signal);
    return writeHostDirs(spec);
  });
  // Between looks at the hosts: woken early by the run records of local nodes (wake.ts).
  const watch = new RunWatch();
  // What each node's host said last, and the nodes to ask about again however they stood
  // (submitted, rerun or cancelled since). The first look asks about every node; after it,
  // a node that ended (and that this run has not started again) is not asked about again:
  // 1,000 ended nodes cost the hosts and this process nothing on later polls.
  let known = new Map<string, BundleStatus>();
  const touched = new Set<string>();
  let full = true;
  for (;;) {
    if (signal?.aborted) watch.close();
    throwIfAborted(signal);
    const tick = await holdLock(spec, signal, emit, async () => {
      const ask = full ? undefined : new Set(spec.nodes.filter((n) => !settled(n.name)).map((n) => n.name));
      for (const n of ask ?? spec.nodes.map((x) => x.name)) touched.delete(n);
      const obs = await observe(spec, outs, ctx, signal, ask, ask ? known : undefined);
      known = obs.bundles;
      let nodes = derive(spec, obs, previous, opts);
      // An experiment that is done has its merged results collected (once per coordinator run)
      // before anything after it starts: the next node may read them.
      for (const s of nodes) {
        const node = nodeOf(spec, s.name)!;
        if (!node.experiment || s.state !== 'done' || collected.has(s.name)) continue;
        const c = await collectExperiment(spec, node, ctx, signal);
        for (const error of c.hostErrors) emit({ type: 'host-error', error });
        if (!c.hostErrors.length) collected.add(s.name);
      }
      const missing = await prepareInputs(spec, nodes, outs, fetched, ctx, emit, signal);
      if (missing.size) nodes = derive(spec, obs, previous, opts, missing);
      if (first) {
        // Reruns are of runs that had ended when the run began: a node still running is not
        // started again when it ends, one that never ran simply runs.
        const ended = new Set(nodes.filter((s) => NODE_FINAL.has(s.state) && s.jobId).map((s) => s.name));
        for (const n of wanted.rerun) if (!ended.has(n)) wanted.rerun.delete(n);
        if (wanted.rerunFailed) wanted.rerunFailed = new Set(nodes.filter((s) => NODE_FAILED.has(s.state) && s.jobId).map((s) => s.name));
        first = false;
      }
      // Jobs in a queue that are not the run their node stands on (a chained run held for a
      // need that failed, or waiting for a replaced run): cancelled, so none sits there.
      const dangling = nodes.filter((s) => {
        if (nodeOf(spec, s.name)!.experiment) {
          const r = obs.experiments?.get(s.name);
          return !!r && NODE_ACTIVE.has(r.state) && !NODE_ACTIVE.has(s.state);
        }
        const b = obs.bundles.get(s.name);
        return !!b?.jobId && ACTIVE_STATES.has(b.state) && !NODE_ACTIVE.has(s.state);
      });
      const p = plan(spec, nodes, wanted, new Set([...(obs.experiments ?? [])].filter(([, r]) => r.incomplete).map(([n]) => n)), { busy: new Set(dangling.map((s) => s.name)), after: (node, byName) => chainAfter(spec, node, byName, ctx, obs.experiments) });
      for (const e of obs.hostErrors) emit({ type: 'host-error', error: e });
      diff(previous, nodes, p.retrying, emit);
      emit({ type: 'status', nodes, hostErrors: obs.hostErrors });
      await carryOut(spec, p, dangling, obs, outs, ctx, { wanted, touched }, emit, signal);
      return { nodes, obs, submitted: p.submit.size > 0 || p.experiments.length > 0 || dangling.length > 0 };
    }).catch((e: unknown) => {
      watch.close();
      throw e;
    });
    previous = new Map(tick.nodes.map((s) => [s.name, s]));
    const finished = !tick.submitted && tick.obs.unknownHosts.size === 0 && tick.nodes.every((s) => NODE_FINAL.has(s.state));
    if (finished) {
      watch.close();
      const ok = tick.nodes.every((s) => s.state === 'done');
      emit({ type: 'finished', ok, nodes: tick.nodes });
      return { ok, nodes: tick.nodes, hostErrors: tick.obs.hostErrors };
    }
    // A host that could not be asked is asked about everything next time.
    full = tick.obs.unknownHosts.size > 0;
    // The nodes running or just submitted that this machine runs in place: their run
    // directories wake the wait. Just submitted to a host it cannot watch: look again soon
    // (the run records appear within moments).
    const live = tick.nodes.filter((s) => s.host && (NODE_ACTIVE.has(s.state) || touched.has(s.name))).map((s) => localRunDir(spec, outs, s.name));
    watch.watch(live.filter((d): d is string => d !== undefined));
    const elsewhere = tick.submitted && live.some((d) => d === undefined);
    await watch.wait(elsewhere ? Math.min(pollMs, 200) : pollMs, signal);
  }

  /** A node whose run ended (or that cannot run) and that nothing done since may have changed: not asked about. */
  function settled(name: string): boolean {
    const p = previous.get(name);
    const b = known.get(name);
    return !!p && NODE_FINAL.has(p.state) && !touched.has(name) && !(b && ACTIVE_STATES.has(b.state)) && !nodeOf(spec, name)!.experiment;
  }
}

/** The run directory of a node that runs in place on this machine (its records can be watched), else undefined. */
function localRunDir(spec: WorkflowSpec, outs: ReadonlyMap<string, string>, name: string): string | undefined {
  const node = nodeOf(spec, name);
  const out = node?.host ? outs.get(node.host.name) : undefined;
  if (!node?.host || !out || node.experiment || node.virtual || !runsInPlace(node.host, out)) return undefined;
  return path.join(out, node.name, RUN_LAYOUT.dir);
}

/** Every node's state now: one status round trip per host, nothing started. */
export async function workflowStatus(spec: WorkflowSpec, opts: WorkflowCallOptions = {}): Promise<WorkflowResult> {
  const ctx = contextFor(opts);
  const emit = (e: WorkflowEvent): void => opts.onEvent?.(e);
  const outs = await holdLock(spec, opts.signal, emit, async () => {
    await buildExperiments(spec, opts.signal);
    return writeHostDirs(spec, undefined, { ifChanged: true });
  });
  const obs = await observe(spec, outs, ctx, opts.signal);
  const nodes = derive(spec, obs, new Map(), opts);
  for (const e of obs.hostErrors) emit({ type: 'host-error', error: e });
  emit({ type: 'status', nodes, hostErrors: obs.hostErrors });
  return { ok: nodes.every((s) => s.state === 'done'), nodes, hostErrors: obs.hostErrors };
}

/** The nodes whose queued runs, not started, wait (a scheduler dependency, at any depth) for a run of `nodes`. */
function heldFor(spec: WorkflowSpec, nodes: ReadonlySet<string>, obs: Observation): string[] {
  const jobs = new Set([...nodes].flatMap((n) => obs.experiments?.get(n)?.jobs ?? [obs.bundles.get(n)?.jobId]).filter((j): j is string => !!j));
  const held: string[] = [];
  for (const node of spec.nodes) {
    // A sweep is held as a whole (every bundle waits for the same jobs), and what is held for it waits for all its jobs.
    const r = node.experiment ? obs.experiments?.get(node.name) : undefined;
    if (r && !nodes.has(node.name) && !r.started && NODE_ACTIVE.has(r.state) && r.after?.some((j) => jobs.has(j))) {
      held.push(node.name);
      for (const j of r.jobs) jobs.add(j);
    }
    const b = obs.bundles.get(node.name);
    if (nodes.has(node.name) || !b?.jobId || b.started || !ACTIVE_STATES.has(b.state) || !b.after?.some((j) => jobs.has(j))) continue;
    held.push(node.name);
    jobs.add(b.jobId);
  }
  return held;
}

/** Cancel the workflow's active nodes (or only `nodes`, and the runs held for them), wherever they run. */
export async function cancelWorkflow(spec: WorkflowSpec, opts: WorkflowCallOptions & { nodes?: readonly string[] } = {}): Promise<CancelResult> {
  const ctx = contextFor(opts);
  checkNames(spec, opts.nodes ?? []);
  const emit = (e: WorkflowEvent): void => opts.onEvent?.(e);
  const outs = await holdLock(spec, opts.signal, emit, async () => {
    await buildExperiments(spec, opts.signal);
    return writeHostDirs(spec, undefined, { ifChanged: true });
  });
  const result: CancelResult = { cancelled: [], failed: [], hostErrors: [] };
  const only = opts.nodes?.length ? new Set(opts.nodes) : undefined;
  // Chained runs held for a cancelled node's job could never start: they go with it.
  if (only) for (const n of await heldFor(spec, only, await observe(spec, outs, ctx, opts.signal))) only.add(n);
  for (const n of spec.nodes) {
    if (!n.experiment || (only && !only.has(n.name))) continue;
    const r = await cancelExperiment(spec, n, ctx, opts.signal);
    result.cancelled.push(...r.cancelled);
    result.failed.push(...r.failed);
    result.hostErrors.push(...r.hostErrors);
  }
  await Promise.all(
    hostsOf(spec).map(async (h) => {
      // The host's script nodes (an experiment node's bundles are in its own directory, cancelled above).
      const ids = spec.nodes.filter((n) => n.host?.name === h.name && !n.virtual && !n.experiment && (!only || only.has(n.name))).map((n) => n.name);
      if (!ids.length) return;
      const r = await cancelBundles({ out: outs.get(h.name)!, hosts: [h], only: ids, context: ctx, ...(opts.signal ? { signal: opts.signal } : {}) });
      result.cancelled.push(...r.cancelled);
      result.failed.push(...r.failed);
      result.hostErrors.push(...r.hostErrors);
    }),
  );
  return result;
}
