/**
 * Glue between the status protocol and the scheduler adapters (scheduler/): parse what a
 * host printed about its jobs, look a job up, ask for MaxArraySize. Only this runs
 * processes; the adapters are data.
 */
import type { HostEntry } from '../inventory/hosts.js';
import { DEFAULT_SCHEDULERS, schedulerNamed, schedulerOfJob, type SchedulerRegistry } from '../scheduler/registry.js';
import { hostScheduler } from './context.js';
import { realRunner, type Runner } from './process.js';
import { execCommand } from './transport.js';
import type { SchedulerJob } from './types.js';

/** Jobs from a status answer of scheduler `name` (its `SCHED` line): `query` is the live view, `comp` the record of finished jobs (older; the live view wins). */
export function parseSchedulerAnswer(name: string, query: string, comp: string, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerJob[] {
  return schedulerNamed(name, reg)?.parseStatus?.(query, comp) ?? [];
}

/** The scheduler's report for a recorded job id (`slurm:123`, `slurm:123_4`, `lsf:456[2]`). */
export function findJob(jobs: readonly SchedulerJob[], recorded: string, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerJob | undefined {
  const a = schedulerOfJob(recorded, reg);
  const bare = recorded.replace(/^[a-z][a-z0-9_-]*:/, '');
  const key = a ? a.jobKey(bare) : bare;
  return a?.findJob ? a.findJob(jobs, key) : jobs.find((j) => j.jobId === key);
}

/**
 * The cluster's MaxArraySize (one round trip, remembered in `cache`: a DispatchContext's, so
 * it lasts as long as the caller keeps that context and is never shared with another one).
 * Undefined for a scheduler that cannot be asked.
 */
export async function maxArraySize(h: HostEntry, runner: Runner = realRunner, cache: Map<string, number> = new Map(), signal?: AbortSignal, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): Promise<number | undefined> {
  const probe = hostScheduler(h, reg).maxArraySize;
  if (!probe) return undefined;
  const known = cache.get(h.name);
  if (known !== undefined) return known;
  const res = await runner.run(execCommand(h, probe.command, `ask ${h.name} for MaxArraySize`), { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  const n = res.code === 0 ? probe.parse(res.stdout) : undefined;
  // Only an answer is remembered: a dry run or a failed query must not stick.
  if (n !== undefined) cache.set(h.name, n);
  return n;
}
