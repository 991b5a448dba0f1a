/**
 * Chains the scheduler carries: a node on a Slurm or LSF host whose needs run on that same
 * host is submitted as soon as they are submitted (not finished), held by a scheduler
 * dependency on their job ids (`sbatch --dependency=afterok:...`, `bsub -w 'done(...)'`),
 * so the chain advances while no coordinator runs. The coordinator only moves work across
 * hosts.
 *
 * A node is chained when, at a poll:
 *   - its host's scheduler has dependencies (SchedulerAdapter.dependsOn), it has no
 *     `inputs:` (those the coordinator copies into its bundle once their producer ended:
 *     a sweep's merged results.csv is collected on this machine first), and, an
 *     experiment node, its sweep runs on that one host (every bundle, or the job array,
 *     is held);
 *   - each node it needs is done, or runs on the same host, submitted, queued or running,
 *     in its last try (no retries left: a retry is the coordinator's decision, and a job
 *     held for the failed try would wait for ever): a script node (its job), or an
 *     experiment node whose whole sweep is submitted to that one host (every job of it:
 *     each job array as a whole while no bundle was retried, else each bundle's job).
 * The job ids come from the needs' run records on the host (the dispatcher's status), and
 * the dependent's record keeps them (`after`), so a restarted coordinator sees what each
 * chained run waits for and submits nothing twice (the dispatcher's claim). A node that
 * would be chained but for its inputs or a need's retries says so (`why`, unchainedWhy).
 *
 * A sweep with `allow_failed: N` is waited for with the same `afterok` (`done()`): the
 * scheduler cannot count failed tasks. When every bundle succeeds the chain advances
 * without the coordinator; when some fail, the held job is ended by the scheduler (or
 * cancelled by the coordinator) without having run, and then: more than N failed, the
 * node is blocked like after any failed need; at most N (the sweep is done), the held
 * run counts as none (`tolerated`) and the coordinator submits the node again, as it
 * would have without a chain. The node never runs after a sweep that failed.
 *
 * A chained run that has not started is judged by its needs:
 *   - one of them ended badly (or is blocked): the node is `blocked`; its job, which can
 *     never start (Slurm: DependencyNeverSatisfied), is cancelled (Slurm does it itself
 *     with --kill-on-invalid-dep=yes; the coordinator cancels what is left in a queue);
 *   - it waits for a run that is no longer its need's run (that need was run again):
 *     the run is stale; the node is as if it had not run, its job is cancelled, and it is
 *     submitted again (a retry of that run: the host keeps it as an earlier attempt);
 *   - every need is done, but one is a sweep some of whose bundles failed (within its
 *     allow_failed): the dependency can never be met; `tolerated`, treated as stale.
 */
import type { BundleStatus, DispatchContext } from '../dispatch/index.js';
import type { HostEntry } from '../inventory/hosts.js';
import { schedulerForKind } from '../scheduler/registry.js';
import { DEPENDENCY_ID } from '../scheduler/types.js';
import { NODE_ACTIVE, nodeOf, type NodeStatus, type WorkflowNode, type WorkflowSpec } from './types.js';

/** What chaining needs to know of an experiment node's sweep as the hosts report it (experiment.ts's RunSummary). */
export interface SweepJobs {
  jobId: string;
  jobs: readonly string[];
  incomplete?: boolean;
  failed: number;
}

/** Whether the scheduler of `h` can hold a job for these recorded job ids (each one of its own, a plain job id). */
export function canDependOn(h: HostEntry, jobIds: readonly string[], ctx: Pick<DispatchContext, 'schedulers'>): boolean {
  const sched = schedulerForKind(h.kind, ctx.schedulers);
  if (!sched?.dependsOn || !jobIds.length) return false;
  const prefix = `${sched.jobIdPrefix}:`;
  return jobIds.every((id) => id.startsWith(prefix) && DEPENDENCY_ID.test(sched.jobKey(id.slice(prefix.length))));
}

/** The job ids a need's run stands on now: a script node's job; every job of a sweep (when it is the sweep seen). */
export function currentJobs(need: NodeStatus, sweeps: ReadonlyMap<string, SweepJobs>): string[] {
  if (!need.jobId) return [];
  const sweep = sweeps.get(need.name);
  return sweep && sweep.jobId === need.jobId ? [...sweep.jobs] : [need.jobId];
}

/**
 * A chained run that has not started, as its needs stand now: `stale` when it waits for a
 * run that is no longer its need's (that need ran again), `tolerated` when every need is
 * done but a sweep among them had failed bundles (its allow_failed let it be done; the
 * dependency on all its jobs can never be met), else `held`. Undefined for any other run
 * (not chained, started, or done).
 */
export function pendingChain(b: Pick<BundleStatus, 'after' | 'started'> & { state: string }, needs: readonly NodeStatus[], sweeps: ReadonlyMap<string, SweepJobs> = new Map()): 'stale' | 'tolerated' | 'held' | undefined {
  if (!b.after?.length || b.started || b.state === 'done') return undefined;
  const current = new Set(needs.flatMap((s) => currentJobs(s, sweeps)));
  if (b.after.some((id) => !current.has(id))) return 'stale';
  if (needs.every((s) => s.state === 'done') && needs.some((s) => (sweeps.get(s.name)?.failed ?? 0) > 0)) return 'tolerated';
  return 'held';
}

type Decision = { after: string[] } | { why: string } | undefined;

function decide(spec: WorkflowSpec, node: WorkflowNode, byName: ReadonlyMap<string, NodeStatus>, ctx: Pick<DispatchContext, 'schedulers'>, sweeps: ReadonlyMap<string, SweepJobs>): Decision {
  // An experiment node's sweep is chained when it runs on that one host (array or not).
  const h = node.experiment ? (node.experiment.hosts.length === 1 ? node.experiment.hosts[0] : undefined) : node.host;
  if (!h || node.virtual || !schedulerForKind(h.kind, ctx.schedulers)?.dependsOn) return undefined;
  const after: string[] = [];
  let why: string | undefined;
  let chainable = true;
  for (const name of node.needs) {
    const s = byName.get(name);
    if (!s) return undefined;
    if (s.state === 'done') continue;
    const need = nodeOf(spec, name)!;
    const sweep = need.experiment ? sweeps.get(name) : undefined;
    const onHost = need.experiment ? need.experiment.hosts.length === 1 && need.experiment.hosts[0]!.name === h.name : need.host?.name === h.name;
    if (need.virtual || !onHost || !NODE_ACTIVE.has(s.state) || !s.jobId) return why ? { why } : undefined;
    if ((s.run ?? 1) < 1 + need.retries) {
      why ??= `not chained to ${name} on ${h.name}: ${name} has retries left (a retry is the coordinator's decision); it starts once ${name} ended`;
      chainable = false;
      continue;
    }
    if (need.experiment) {
      // The rest of a sweep only partly submitted comes next poll: wait for it.
      if (!sweep || sweep.incomplete || sweep.jobId !== s.jobId) return undefined;
      after.push(...sweep.jobs);
    } else after.push(s.jobId);
  }
  if (!after.length && chainable) return undefined;
  if (node.inputs.length) {
    const from = [...new Set(node.inputs.map((i) => i.from))];
    return { why: `not chained on ${h.name}: its inputs from ${from.join(', ')} are copied in by the coordinator once ${from.length > 1 ? 'they' : from[0]} ended${from.some((f) => nodeOf(spec, f)?.experiment) ? ' (a sweep\'s merged results are collected on this machine first)' : ''}` };
  }
  if (!chainable) return why ? { why } : undefined;
  return canDependOn(h, after, ctx) ? { after: [...new Set(after)] } : undefined;
}

/**
 * The recorded job ids a waiting node can be submitted after now (see the module doc),
 * or undefined when the coordinator must wait for its needs to end. `sweeps`: the
 * experiment nodes' sweeps as observed (their jobs).
 */
export function chainAfter(spec: WorkflowSpec, node: WorkflowNode, byName: ReadonlyMap<string, NodeStatus>, ctx: Pick<DispatchContext, 'schedulers'>, sweeps: ReadonlyMap<string, SweepJobs> = new Map()): string[] | undefined {
  const d = decide(spec, node, byName, ctx, sweeps);
  return d && 'after' in d ? d.after : undefined;
}

/**
 * Why a waiting node is not chained although a need of it is active on its own cluster:
 * its inputs (the coordinator copies them in once their producer ended), or a need with
 * retries left. Undefined when it is chained, or chaining does not apply.
 */
export function unchainedWhy(spec: WorkflowSpec, node: WorkflowNode, byName: ReadonlyMap<string, NodeStatus>, ctx: Pick<DispatchContext, 'schedulers'>, sweeps: ReadonlyMap<string, SweepJobs> = new Map()): string | undefined {
  const d = decide(spec, node, byName, ctx, sweeps);
  return d && 'why' in d ? d.why : undefined;
}
