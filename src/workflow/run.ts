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
 * The rules, in the order derive() applies them to a node:
 *   1. start/end without a command: done when every node it needs is done.
 *   2. a node with a run on its host has the state of that run (a run stopped by the
 *      node's timeout is `timeout`);
 *   3. else, if a node it needs ended badly or is blocked: `blocked` (not started);
 *   4. else, if every node it needs is done: `ready`, else `waiting`.
 * A failed run (not a cancelled one) is started again while the node has retries left
 * (`run` counts the node's runs on its host). Ready nodes start in dependency order, up
 * to the host's `slots` at once (local and ssh hosts; default 1, local: one per CPU),
 * without limit on Slurm and LSF unless `slots` is set.
 */
import { ACTIVE_STATES, cancel as cancelBundles, collect, createContext, status as bundleStatus, submit as submitBundles, type BundleStatus, type CancelResult, type DispatchContext, type HostError, type RetryWhat, type Runner } from '../dispatch/index.js';
import { diag, DiagnosticError } from '../diagnostics/index.js';
import { nearest } from '../diagnostics/suggest.js';
import type { HostEntry } from '../inventory/hosts.js';
import { DEFAULT_SCHEDULERS } from '../scheduler/registry.js';
import { throwIfAborted } from '../util/abort.js';
import { runsInPlace } from '../dispatch/transport.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import path from 'node:path';
import { experimentOut, inputFiles, nodesByHost, TIMEOUT_EXIT, TIMEOUT_MARK, writeHostDirs } from './bundles.js';
import { chainAfter, pendingChain, unchainedWhy } from './chain.js';
import { buildExperiment, buildExperiments, cancelExperiment, collectExperiment, observeExperiment, submitExperiment, type RunSummary } from './experiment.js';
import { WORKFLOW_CODES as C } from './codes.js';
import { renderLabel } from './labels.js';
import { holdLock } from './lock.js';
import { RunWatch } from './wake.js';
import { NODE_ACTIVE, NODE_FAILED, NODE_FINAL, nodeOf, type NodeState, type NodeStatus, type WorkflowEvent, type WorkflowNode, type WorkflowSpec } from './types.js';

export interface WorkflowCallOptions {
  onEvent?: (e: WorkflowEvent) => void;
  /** Abort: the call rejects with AbortError; what runs on the hosts goes on (as after kill -9). */
  signal?: AbortSignal;
  /** The dispatcher's context (runner, caches) for every call. */
  context?: DispatchContext;
  runner?: Runner;
  /** Time zone labels show times in (IANA; default UTC). */
  timeZone?: string;
  /** `{os.VAR}` of labels, after the host's profile `env` (default: none). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock (labels' `{now}`, `{dt0}`). */
  now?: () => Date;
}

export interface RunWorkflowOptions extends WorkflowCallOptions {
  /** Between two polls of the hosts (default 1000 ms). */
  pollMs?: number;
  /** Run these nodes again although they ended (done ones too); never one that is still running. */
  rerun?: readonly string[];
  /** Run every node again that ended badly (also out of retries, also cancelled). */
  rerunFailed?: boolean;
}

export interface WorkflowResult {
  ok: boolean;
  nodes: NodeStatus[];
  hostErrors: HostError[];
}

interface Observation {
  bundles: Map<string, BundleStatus>;
  /** Experiment nodes that have run (others have not), and those whose hosts could not all be asked. */
  experiments?: Map<string, RunSummary>;
  unknownExperiments?: Set<string>;
  hostErrors: HostError[];
  /** Hosts that could not be asked: their nodes keep the state last seen. */
  unknownHosts: Set<string>;
}

function contextFor(opts: WorkflowCallOptions): DispatchContext {
  if (opts.context) return opts.runner ? { ...opts.context, runner: opts.runner } : opts.context;
  return createContext(opts.runner ? { runner: opts.runner } : {});
}

const hostsOf = (spec: WorkflowSpec): HostEntry[] => {
  const seen = new Map<string, HostEntry>();
  for (const n of spec.nodes) if (n.host && !n.virtual && !n.experiment) seen.set(n.host.name, n.host);
  return [...seen.values()];
};

/**
 * What the hosts say now: one status round trip per host. With `ask`, only about those
 * nodes (a host none of them is on is not asked); the others keep what `known` holds.
 */
async function observe(spec: WorkflowSpec, outs: Map<string, string>, ctx: DispatchContext, signal?: AbortSignal, ask?: ReadonlySet<string>, known?: ReadonlyMap<string, BundleStatus>): Promise<Observation> {
  const bundles = new Map<string, BundleStatus>(known ?? []);
  const hostErrors: HostError[] = [];
  const unknownHosts = new Set<string>();
  const onHost = ask ? nodesByHost(spec) : undefined;
  await Promise.all(
    hostsOf(spec).map(async (h) => {
      const only = onHost?.get(h.name)?.map((n) => n.name).filter((n) => ask!.has(n));
      if (only && !only.length) return;
      const r = await bundleStatus({ out: outs.get(h.name)!, hosts: [h], context: ctx, ...(only ? { only } : {}), ...(signal ? { signal } : {}) });
      for (const e of r.hostErrors) {
        hostErrors.push(e);
        unknownHosts.add(h.name);
      }
      for (const b of r.bundles) bundles.set(b.id, b);
    }),
  );
  const experiments = new Map<string, RunSummary>();
  const unknownExperiments = new Set<string>();
  await Promise.all(
    spec.nodes
      .filter((n) => n.experiment)
      .map(async (n) => {
        const r = await observeExperiment(spec, n, ctx, signal);
        hostErrors.push(...r.hostErrors);
        if (r.hostErrors.length) unknownExperiments.add(n.name);
        if (r.run) experiments.set(n.name, r.run);
      }),
  );
  return { bundles, hostErrors, unknownHosts, experiments, unknownExperiments };
}

function runState(node: WorkflowNode, b: BundleStatus): NodeState {
  if (b.state === 'built' || b.state === 'synced') return 'ready';
  if (b.state === 'failed' && node.timeoutS !== undefined && b.exitCode === TIMEOUT_EXIT && (b.msg ?? '').startsWith(TIMEOUT_MARK)) return 'timeout';
  return b.state;
}

const ms = (iso?: string): number | undefined => (iso ? Date.parse(iso) : undefined);

/** Every node's state from what the hosts said (see the module doc for the rules). */
export function derive(spec: WorkflowSpec, obs: Observation, previous: ReadonlyMap<string, NodeStatus>, opts: WorkflowCallOptions, missing: ReadonlyMap<string, string[]> = new Map()): NodeStatus[] {
  const byName = new Map<string, NodeStatus>();
  const out: NodeStatus[] = [];
  const sweeps = obs.experiments ?? new Map<string, RunSummary>();
  const schedulers = { schedulers: opts.context?.schedulers ?? DEFAULT_SCHEDULERS };
  for (const node of spec.nodes) {
    const needs = node.needs.map((n) => byName.get(n)!);
    const bad = needs.filter((s) => (NODE_FAILED.has(s.state) && !retriable(spec, s)) || s.state === 'blocked').map((s) => s.name);
    const allDone = needs.every((s) => s.state === 'done');
    let st: Omit<NodeStatus, 'label'>;
    const seen = obs.bundles.get(node.name);
    const chain = seen ? pendingChain(seen, needs, sweeps) : undefined;
    // A chained run waiting for a replaced run, for a try that will be retried, or for every
    // job of a sweep that was done with failed bundles (allow_failed), counts as none: its
    // job is cancelled and the node submitted again (chain.ts).
    const b = chain === 'stale' || chain === 'tolerated' || (chain === 'held' && needs.some((s) => retriable(spec, s))) ? undefined : seen;
    if (node.virtual) {
      const ends = needs.map((s) => ms(s.ended)).filter((t): t is number => t !== undefined);
      const at = ends.length ? new Date(Math.max(...ends)).toISOString() : undefined;
      st = { name: node.name, kind: node.kind, state: bad.length ? 'blocked' : allDone ? 'done' : 'waiting', ...(allDone && at ? { started: at, ended: at } : {}), ...(allDone ? { progress: 100 } : {}), ...(bad.length ? { blockedBy: bad } : {}) };
    } else if (node.experiment) {
      const seenRun = obs.experiments?.get(node.name);
      const held = seenRun ? pendingChain(seenRun, needs, sweeps) : undefined;
      // As for a node's run (below): a held sweep waiting for a replaced run, a try that will be retried, or a tolerated sweep, is none.
      const r = held === 'stale' || held === 'tolerated' || (held === 'held' && needs.some((s) => retriable(spec, s))) ? undefined : seenRun;
      const prev = previous.get(node.name);
      const hosts = node.experiment.hosts.map((h) => h.name).join(',');
      if (obs.unknownExperiments?.has(node.name)) st = prev ? { ...prev } : { name: node.name, kind: node.kind, host: hosts, state: 'waiting' };
      else if (r && held === 'held' && bad.length) st = { name: node.name, kind: node.kind, host: hosts, state: 'blocked', blockedBy: bad, jobId: r.jobId, ...(r.run !== undefined ? { run: r.run } : {}), ...(r.bundles ? { bundles: r.bundles } : {}), why: `held for ${bad.join(', ')}, which did not succeed`, ...(r.after ? { after: r.after } : {}) };
      else if (r) {
        const { incomplete: _, jobs: _j, failed: _f, ...run } = r;
        st = { name: node.name, kind: node.kind, ...run, ...(r.state === 'done' ? { results: path.join(experimentOut(spec, node.name), 'results.csv') } : {}) };
      } else st = { name: node.name, kind: node.kind, host: hosts, state: bad.length ? 'blocked' : allDone ? 'ready' : 'waiting', ...(bad.length ? { blockedBy: bad } : {}) };
    } else if (node.host && obs.unknownHosts.has(node.host.name)) {
      const prev = previous.get(node.name);
      st = prev ? { ...prev } : { name: node.name, kind: node.kind, host: node.host.name, state: 'waiting' };
    } else if (b && b.jobId && chain === 'held' && bad.length) {
      // Held by the scheduler for a need that ended badly: it can never start (Slurm:
      // DependencyNeverSatisfied); its job is cancelled, the node is blocked like any other.
      st = { name: node.name, kind: node.kind, host: node.host!.name, state: 'blocked', blockedBy: bad, jobId: b.jobId, ...(b.run !== undefined ? { run: b.run } : { run: 1 }), why: `held for ${bad.join(', ')}, which did not succeed${b.reason ? ` (${b.reason})` : ''}`, ...(b.after ? { after: b.after } : {}) };
    } else if (b && b.jobId) {
      st = {
        name: node.name,
        kind: node.kind,
        host: node.host!.name,
        state: runState(node, b),
        ...(b.progress !== undefined ? { progress: b.progress } : {}),
        ...(b.msg !== undefined ? { msg: b.msg } : {}),
        ...(b.started ? { started: b.started } : {}),
        ...(b.ended ? { ended: b.ended } : {}),
        jobId: b.jobId,
        ...(b.run !== undefined ? { run: b.run } : { run: 1 }),
        ...(b.exitCode !== undefined ? { exitCode: b.exitCode } : {}),
        ...(b.why ? { why: b.why } : {}),
        ...(b.changedSinceSubmit ? { changed: true } : {}),
        ...(b.after ? { after: b.after } : {}),
      };
      if (st.state === 'timeout') st.why = `stopped at its timeout (${node.timeoutS} s)`;
      // A run that ended well is complete, whatever it last said of its progress.
      if (st.state === 'done') st.progress = 100;
    } else {
      st = { name: node.name, kind: node.kind, host: node.host!.name, state: bad.length ? 'blocked' : allDone ? 'ready' : 'waiting', ...(bad.length ? { blockedBy: bad } : {}) };
    }
    // Ready (a script node, or a sweep not submitted yet), but a file it reads from a node before it is not there: it cannot start.
    const lacking = st.state === 'ready' ? missing.get(node.name) : undefined;
    if (lacking?.length) Object.assign(st, { state: 'blocked', blockedBy: [...new Set(lacking.map((m) => m.split('/')[0]!))], why: `input${lacking.length > 1 ? 's' : ''} missing: ${lacking.join(', ')}` });
    // Waiting although a need is active on its own cluster: why the scheduler does not carry it.
    if (st.state === 'waiting' && !node.virtual) {
      const why = unchainedWhy(spec, node, byName, schedulers, sweeps);
      if (why) st.why = why;
    }
    const full: NodeStatus = { ...st, label: '' } as NodeStatus;
    byName.set(node.name, full);
    out.push(full);
  }
  const times = workflowTimes(out);
  for (const s of out) s.label = labelOf(spec, s, times, opts);
  return out;
}

/** The workflow's start (first node start) and, once every node has finished, its end. */
function workflowTimes(all: readonly NodeStatus[]): { t0?: Date; t1?: Date } {
  let first = Infinity;
  let last = -Infinity;
  let complete = true;
  for (const x of all) {
    const a = ms(x.started);
    const b = ms(x.ended);
    if (a !== undefined && a < first) first = a;
    if (b !== undefined && b > last) last = b;
    if (!NODE_FINAL.has(x.state)) complete = false;
  }
  return { ...(first < Infinity ? { t0: new Date(first) } : {}), ...(complete && last > -Infinity ? { t1: new Date(last) } : {}) };
}

function labelOf(spec: WorkflowSpec, s: NodeStatus, times: { t0?: Date; t1?: Date }, opts: WorkflowCallOptions): string {
  const node = nodeOf(spec, s.name)!;
  const date = (iso?: string): Date | undefined => (iso ? new Date(iso) : undefined);
  const { t0, t1 } = times;
  const modified = date(s.ended) ?? date(s.started);
  const env = { ...(opts.env ?? {}), ...(node.host?.user ? { USER: node.host.user } : {}), ...(node.host?.home ? { HOME: node.host.home } : {}), ...(node.host?.env ?? {}) };
  return renderLabel(node.labelParts, {
    name: s.name,
    ...(s.host ? { host: s.host } : {}),
    kind: s.kind,
    ...(node.user ? { user: node.user } : {}),
    state: s.state,
    ...(s.progress !== undefined ? { progress: s.progress } : s.state === 'done' ? { progress: 100 } : {}),
    attributes: node.attributes,
    now: (opts.now ?? (() => new Date()))(),
    ...(spec.created ? { created: spec.created } : {}),
    ...(t0 ? { t0 } : {}),
    ...(t1 ? { t1 } : {}),
    ...(date(s.started) ? { tstart: date(s.started)! } : {}),
    ...(date(s.ended) ? { tend: date(s.ended)! } : {}),
    ...(modified ? { modified } : {}),
    env,
    timeZone: opts.timeZone ?? 'UTC',
  });
}

/** A failed run that will be started again (its node has retries left; a cancelled run is never retried). */
function retriable(spec: WorkflowSpec, s: NodeStatus): boolean {
  const node = nodeOf(spec, s.name)!;
  return NODE_FAILED.has(s.state) && s.state !== 'cancelled' && !!s.jobId && (s.run ?? 1) < 1 + node.retries;
}

/** How many nodes may be active at once on a host. */
export function hostLimit(h: HostEntry): number {
  if (h.slots !== undefined) return h.slots;
  return h.kind === 'slurm' || h.kind === 'lsf' ? Infinity : 1;
}

interface Plan {
  /**
   * Per host: nodes to submit (new ones and retries of failed runs), reruns of any ended
   * run, and nodes submitted now to wait for runs of that host (`after`: their job ids).
   */
  submit: Map<string, { start: string[]; rerun: string[]; chained: { node: string; after: string[] }[] }>;
  /** Experiment nodes to submit (their own sweeps: no host limit of the coordinator's), held for `after` when chained. */
  experiments: { node: WorkflowNode; retry: RetryWhat[]; after?: string[] }[];
  retrying: Set<string>;
}

function plan(spec: WorkflowSpec, nodes: readonly NodeStatus[], wanted: { rerun: Set<string>; rerunFailed: Set<string> | undefined }, incomplete: ReadonlySet<string> = new Set(), chain: { busy: ReadonlySet<string>; after: (node: WorkflowNode, byName: ReadonlyMap<string, NodeStatus>) => string[] | undefined } = { busy: new Set(), after: () => undefined }): Plan {
  const submit: Plan['submit'] = new Map();
  const experiments: Plan['experiments'] = [];
  const retrying = new Set<string>();
  const active = new Map<string, number>();
  const byName = new Map(nodes.map((s) => [s.name, s]));
  for (const s of nodes) if (s.host && (NODE_ACTIVE.has(s.state) || chain.busy.has(s.name))) active.set(s.host, (active.get(s.host) ?? 0) + 1);
  for (const s of nodes) {
    const node = nodeOf(spec, s.name)!;
    // A job still in a queue that is no longer the node's run is being cancelled: next poll.
    if (node.virtual || !node.host || chain.busy.has(s.name)) continue;
    const h = node.host;
    let how: 'start' | 'rerun' | 'chained' | undefined;
    let after: string[] | undefined;
    if (wanted.rerun.has(s.name) && NODE_FINAL.has(s.state) && s.state !== 'blocked' && s.jobId) how = 'rerun';
    else if (s.state === 'ready') how = 'start';
    else if (s.state === 'waiting' && (after = chain.after(node, byName))) how = 'chained';
    else if (NODE_FAILED.has(s.state) && s.jobId) {
      if (retriable(spec, s) || wanted.rerunFailed?.has(s.name)) how = 'start';
      if (how) retrying.add(s.name);
    }
    // The rest of a sweep only partly submitted; held for what its first part waits for.
    if (node.experiment && !how && incomplete.has(s.name)) {
      how = 'start';
      if (s.after?.length) after = s.after;
    }
    if (!how) continue;
    if (node.experiment) {
      experiments.push({ node, retry: how === 'rerun' ? ['all'] : ['failed'], ...(after ? { after } : {}) });
      continue;
    }
    const n = active.get(h.name) ?? 0;
    if (n >= hostLimit(h)) continue;
    active.set(h.name, n + 1);
    const entry = submit.get(h.name) ?? { start: [], rerun: [], chained: [] };
    if (how === 'chained') entry.chained.push({ node: s.name, after: after! });
    else entry[how].push(s.name);
    submit.set(h.name, entry);
  }
  return { submit, experiments, retrying };
}

/**
 * The inputs of the nodes about to start, into their bundles: a producer's file not here
 * yet (its run was on another host, or not in place) is brought back first (collect of
 * that one node, once per coordinator run), then the consumer's host directory is written
 * again with inputs/FROM/PATH in its bundle (an experiment node: its sweep is built again
 * with them in every bundle). Returns the files still missing, per node.
 */
async function prepareInputs(spec: WorkflowSpec, nodes: readonly NodeStatus[], outs: ReadonlyMap<string, string>, fetched: Set<string>, ctx: DispatchContext, emit: (e: WorkflowEvent) => void, signal?: AbortSignal): Promise<Map<string, string[]>> {
  const missing = new Map<string, string[]>();
  const rewrite = new Set<string>();
  const sweeps: WorkflowNode[] = [];
  for (const s of nodes) {
    const node = nodeOf(spec, s.name)!;
    if (s.state !== 'ready' || !node.inputs.length || !node.host) continue;
    let lacking = inputFiles(spec, node).missing;
    for (const from of new Set(lacking.map((m) => m.split('/')[0]!))) {
      const producer = nodeOf(spec, from);
      if (!producer?.host || producer.experiment || fetched.has(from)) continue;
      fetched.add(from);
      const r = await collect({ out: outs.get(producer.host.name)!, hosts: [producer.host], only: [from], context: ctx, ...(signal ? { signal } : {}) });
      for (const error of r.hostErrors) emit({ type: 'host-error', error });
    }
    lacking = inputFiles(spec, node).missing;
    if (lacking.length) missing.set(node.name, lacking);
    else if (node.experiment) sweeps.push(node);
    else rewrite.add(node.host.name);
  }
  if (rewrite.size) await writeHostDirs(spec, rewrite);
  for (const node of sweeps) await buildExperiment(spec, node, signal);
  return missing;
}

/** Events for what changed since `prev` (all of it on the first poll). */
function diff(prev: ReadonlyMap<string, NodeStatus>, now: readonly NodeStatus[], retrying: ReadonlySet<string>, emit: (e: WorkflowEvent) => void): void {
  for (const s of now) {
    const p = prev.get(s.name);
    const moved = !p || p.state !== s.state || p.run !== s.run;
    if (moved) {
      // A run not seen before is reported as started, also when it ended between two polls.
      const newRun = s.jobId !== undefined && s.state !== 'blocked' && (!p || p.jobId !== s.jobId || p.run !== s.run || !(NODE_ACTIVE.has(p.state) || NODE_FINAL.has(p.state)));
      if (newRun) emit({ type: 'started', node: s.name, ...(s.host ? { host: s.host } : {}), jobId: s.jobId!, ...(s.run !== undefined ? { run: s.run } : {}) });
      if (s.state === 'ready') emit({ type: 'queued', node: s.name, ...(s.host ? { host: s.host } : {}) });
      else if (s.state === 'done') emit({ type: 'done', node: s.name });
      else if (NODE_FAILED.has(s.state)) emit({ type: 'failed', node: s.name, state: s.state, ...(s.why ? { why: s.why } : {}), retry: retrying.has(s.name) });
      else if (s.state === 'blocked') emit({ type: 'blocked', node: s.name, by: s.blockedBy ?? [] });
    }
    if (NODE_ACTIVE.has(s.state) && (s.progress !== p?.progress || s.msg !== p?.msg) && (s.progress !== undefined || s.msg !== undefined)) emit({ type: 'progress', node: s.name, ...(s.progress !== undefined ? { progress: s.progress } : {}), ...(s.msg !== undefined ? { msg: s.msg } : {}) });
    if (s.changed && !p?.changed) emit({ type: 'changed', node: s.name });
  }
}

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
      await Promise.all(
        [...p.submit].map(async ([hostName, what]) => {
          const h = spec.inventory.hosts.get(hostName) ?? spec.nodes.find((n) => n.host?.name === hostName)!.host!;
          const calls: { only: string[]; retry: RetryWhat[]; after?: string[] }[] = [];
          if (what.start.length) calls.push({ only: what.start, retry: ['failed'] });
          if (what.rerun.length) calls.push({ only: what.rerun, retry: ['all'] });
          // One submit per set of job ids waited for (a chain is one node per poll and link).
          const byAfter = new Map<string, { only: string[]; retry: RetryWhat[]; after: string[] }>();
          for (const c of what.chained) {
            const key = c.after.join(' ');
            const call = byAfter.get(key) ?? { only: [], retry: ['failed'], after: c.after };
            call.only.push(c.node);
            byAfter.set(key, call);
          }
          calls.push(...byAfter.values());
          for (const c of calls) {
            for (const id of c.only) touched.add(id);
            // The host was just asked about these nodes (under this same lock): submit need not ask it again.
            const asked = c.only.map((id) => obs.bundles.get(id) ?? { id, state: 'built' as const });
            const r = await submitBundles({ out: outs.get(hostName)!, hosts: [h], only: c.only, retry: c.retry, asked, ...(c.after ? { after: c.after } : {}), context: ctx, ...(signal ? { signal } : {}) });
            for (const rep of r.hosts) if (rep.diagnostic) emit({ type: 'host-error', error: { host: rep.host, error: rep.error ?? '', diagnostic: rep.diagnostic } });
            for (const id of c.only) {
              wanted.rerun.delete(id);
              wanted.rerunFailed?.delete(id);
            }
          }
        }),
      );
      await Promise.all(
        hostsOf(spec).map(async (h) => {
          const ids = dangling.filter((s) => s.host === h.name && !nodeOf(spec, s.name)!.experiment).map((s) => s.name);
          if (!ids.length) return;
          for (const id of ids) touched.add(id);
          const r = await cancelBundles({ out: outs.get(h.name)!, hosts: [h], only: ids, context: ctx, ...(signal ? { signal } : {}) });
          for (const error of r.hostErrors) emit({ type: 'host-error', error });
        }),
      );
      for (const s of dangling.filter((x) => nodeOf(spec, x.name)!.experiment)) {
        const r = await cancelExperiment(spec, nodeOf(spec, s.name)!, ctx, signal);
        for (const error of r.hostErrors) emit({ type: 'host-error', error });
      }
      for (const x of p.experiments) {
        for (const error of await submitExperiment(spec, x.node, x.retry, ctx, signal, x.after)) emit({ type: 'host-error', error });
        wanted.rerun.delete(x.node.name);
        wanted.rerunFailed?.delete(x.node.name);
      }
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
