/**
 * Each node's state, derived from what the hosts said (observe.ts) and nothing else, and
 * the events that tell what changed between two polls. Pure.
 *
 * The rules, in the order derive() applies them to a node:
 *   1. start/end without a command: done when every node it needs is done.
 *   2. a node with a run on its host has the state of that run (a run stopped by the
 *      node's timeout is `timeout`);
 *   3. else, if a node it needs ended badly or is blocked: `blocked` (not started);
 *   4. else, if every node it needs is done: `ready`, else `waiting`.
 * A failed run (not a cancelled one) is started again while the node has retries left
 * (`run` counts the node's runs on its host; plan.ts starts it).
 */
import type { BundleStatus } from '../dispatch/index.js';
import { DEFAULT_SCHEDULERS } from '../scheduler/registry.js';
import path from 'node:path';
import { experimentOut, TIMEOUT_EXIT, TIMEOUT_MARK } from './bundles.js';
import { pendingChain, unchainedWhy } from './chain.js';
import type { RunSummary } from './experiment.js';
import { renderLabel } from './labels.js';
import type { Observation } from './observe.js';
import { NODE_ACTIVE, NODE_FAILED, NODE_FINAL, nodeOf, type NodeState, type NodeStatus, type WorkflowCallOptions, type WorkflowEvent, type WorkflowNode, type WorkflowSpec } from './types.js';

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
export function retriable(spec: WorkflowSpec, s: NodeStatus): boolean {
  const node = nodeOf(spec, s.name)!;
  return NODE_FAILED.has(s.state) && s.state !== 'cancelled' && !!s.jobId && (s.run ?? 1) < 1 + node.retries;
}

/** Events for what changed since `prev` (all of it on the first poll). */
export function diff(prev: ReadonlyMap<string, NodeStatus>, now: readonly NodeStatus[], retrying: ReadonlySet<string>, emit: (e: WorkflowEvent) => void): void {
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
