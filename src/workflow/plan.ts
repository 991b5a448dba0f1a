/**
 * What to do at a poll, and doing it: which nodes to submit (new ones, retries, reruns,
 * chained ones the scheduler will hold), their inputs copied into their bundles first,
 * and then the submits and the cancels of jobs no node stands on, through the dispatcher.
 * Ready nodes start in dependency order, up to the host's `slots` at once (local and ssh
 * hosts; default 1, local: one per CPU), without limit on Slurm and LSF unless `slots` is
 * set; a failed run is started again while its node has retries left.
 */
import { cancel as cancelBundles, collect, submit as submitBundles, type DispatchContext, type RetryWhat } from '../dispatch/index.js';
import type { HostEntry } from '../inventory/hosts.js';
import { inputFiles, writeHostDirs } from './bundles.js';
import { retriable } from './derive.js';
import { buildExperiment, cancelExperiment, submitExperiment } from './experiment.js';
import { hostsOf, type Observation } from './observe.js';
import { NODE_ACTIVE, NODE_FAILED, NODE_FINAL, nodeOf, type NodeStatus, type WorkflowEvent, type WorkflowNode, type WorkflowSpec } from './types.js';

/** How many nodes may be active at once on a host. */
export function hostLimit(h: HostEntry): number {
  if (h.slots !== undefined) return h.slots;
  return h.kind === 'slurm' || h.kind === 'lsf' ? Infinity : 1;
}

export interface Plan {
  /**
   * Per host: nodes to submit (new ones and retries of failed runs), reruns of any ended
   * run, and nodes submitted now to wait for runs of that host (`after`: their job ids).
   */
  submit: Map<string, { start: string[]; rerun: string[]; chained: { node: string; after: string[] }[] }>;
  /** Experiment nodes to submit (their own sweeps: no host limit of the coordinator's), held for `after` when chained. */
  experiments: { node: WorkflowNode; retry: RetryWhat[]; after?: string[] }[];
  retrying: Set<string>;
}

export function plan(spec: WorkflowSpec, nodes: readonly NodeStatus[], wanted: { rerun: Set<string>; rerunFailed: Set<string> | undefined }, incomplete: ReadonlySet<string> = new Set(), chain: { busy: ReadonlySet<string>; after: (node: WorkflowNode, byName: ReadonlyMap<string, NodeStatus>) => string[] | undefined } = { busy: new Set(), after: () => undefined }): Plan {
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
export async function prepareInputs(spec: WorkflowSpec, nodes: readonly NodeStatus[], outs: ReadonlyMap<string, string>, fetched: Set<string>, ctx: DispatchContext, emit: (e: WorkflowEvent) => void, signal?: AbortSignal): Promise<Map<string, string[]>> {
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

/**
 * Carry out a plan: each host's submits (new and retried runs, reruns, one submit per set
 * of job ids chained runs wait for; the host was just asked, `obs`), the cancels of
 * `dangling` jobs (in a queue, but not the run their node stands on), and the experiment
 * nodes' sweeps. What was submitted leaves `wanted` (a rerun is done once); what was
 * submitted or cancelled is `touched` (asked about again next poll).
 */
export async function carryOut(spec: WorkflowSpec, p: Plan, dangling: readonly NodeStatus[], obs: Observation, outs: ReadonlyMap<string, string>, ctx: DispatchContext, state: { wanted: { rerun: Set<string>; rerunFailed: Set<string> | undefined }; touched: Set<string> }, emit: (e: WorkflowEvent) => void, signal?: AbortSignal): Promise<void> {
  const { wanted, touched } = state;
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
}
