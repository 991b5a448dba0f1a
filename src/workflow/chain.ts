/**
 * Chains the scheduler carries: a node on a Slurm or LSF host whose needs run on that same
 * host is submitted as soon as they are submitted (not finished), held by a scheduler
 * dependency on their job ids (`sbatch --dependency=afterok:...`, `bsub -w 'done(...)'`),
 * so the chain advances while no coordinator runs. The coordinator only moves work across
 * hosts.
 *
 * A node is chained when, at a poll:
 *   - its host's scheduler has dependencies (SchedulerAdapter.dependsOn), it has no
 *     `inputs:` (those the coordinator copies into its bundle once their producer ended),
 *     and, an experiment node, its sweep runs on that one host (every bundle, or the
 *     job array, is held);
 *   - each node it needs is done, or is a script node on the same host (not an experiment:
 *     the coordinator collects its results before what comes after it) whose run is
 *     submitted, queued or running and is its last try (no retries left: a retry is the
 *     coordinator's decision, and a job held for the failed try would wait for ever).
 * The job ids come from the needs' run records on the host (the dispatcher's status), and
 * the dependent's record keeps them (`after`), so a restarted coordinator sees what each
 * chained run waits for and submits nothing twice (the dispatcher's claim).
 *
 * A chained run that has not started is judged by its needs:
 *   - one of them ended badly (or is blocked): the node is `blocked`; its job, which can
 *     never start (Slurm: DependencyNeverSatisfied), is cancelled (Slurm does it itself
 *     with --kill-on-invalid-dep=yes; the coordinator cancels what is left in a queue);
 *   - it waits for a run that is no longer its need's run (that need was run again):
 *     the run is stale; the node is as if it had not run, its job is cancelled, and it is
 *     submitted again (a retry of that run: the host keeps it as an earlier attempt).
 */
import type { BundleStatus, DispatchContext } from '../dispatch/index.js';
import type { HostEntry } from '../inventory/hosts.js';
import { schedulerForKind } from '../scheduler/registry.js';
import { DEPENDENCY_ID } from '../scheduler/types.js';
import { NODE_ACTIVE, nodeOf, type NodeStatus, type WorkflowNode, type WorkflowSpec } from './types.js';

/** Whether the scheduler of `h` can hold a job for these recorded job ids (each one of its own, a plain job id). */
export function canDependOn(h: HostEntry, jobIds: readonly string[], ctx: Pick<DispatchContext, 'schedulers'>): boolean {
  const sched = schedulerForKind(h.kind, ctx.schedulers);
  if (!sched?.dependsOn || !jobIds.length) return false;
  const prefix = `${sched.jobIdPrefix}:`;
  return jobIds.every((id) => id.startsWith(prefix) && DEPENDENCY_ID.test(sched.jobKey(id.slice(prefix.length))));
}

/**
 * A chained run that has not started, as its needs stand now: `stale` when it waits for a
 * run that is no longer its need's (that need ran again), else `held`. Undefined for any
 * other run (not chained, started, or done).
 */
export function pendingChain(b: Pick<BundleStatus, 'after' | 'started'> & { state: string }, needs: readonly NodeStatus[]): 'stale' | 'held' | undefined {
  if (!b.after?.length || b.started || b.state === 'done') return undefined;
  const current = new Set(needs.map((s) => s.jobId).filter((j): j is string => !!j));
  return b.after.some((id) => !current.has(id)) ? 'stale' : 'held';
}

/**
 * The recorded job ids a waiting node can be submitted after now (see the module doc),
 * or undefined when the coordinator must wait for its needs to end.
 */
export function chainAfter(spec: WorkflowSpec, node: WorkflowNode, byName: ReadonlyMap<string, NodeStatus>, ctx: Pick<DispatchContext, 'schedulers'>): string[] | undefined {
  // An experiment node's sweep is chained when it runs on that one host (array or not).
  const h = node.experiment ? (node.experiment.hosts.length === 1 ? node.experiment.hosts[0] : undefined) : node.host;
  if (!h || node.virtual || node.inputs.length) return undefined;
  const after: string[] = [];
  for (const name of node.needs) {
    const s = byName.get(name);
    if (!s) return undefined;
    if (s.state === 'done') continue;
    const need = nodeOf(spec, name)!;
    if (need.virtual || need.experiment || need.host?.name !== h.name) return undefined;
    if (!NODE_ACTIVE.has(s.state) || !s.jobId || (s.run ?? 1) < 1 + need.retries) return undefined;
    after.push(s.jobId);
  }
  return after.length && canDependOn(h, after, ctx) ? after : undefined;
}
