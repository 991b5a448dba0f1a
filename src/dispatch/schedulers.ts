/**
 * Glue between the status protocol and the scheduler adapters (slurm.ts, lsf.ts):
 * parse what a host printed about its jobs, look a job up, ask for MaxArraySize.
 */
import type { HostEntry } from '../inventory/hosts.js';
import { parseBjobs } from './lsf.js';
import { realRunner, type Runner } from './process.js';
import { findSlurmJob, maxArraySizeCommand, parseMaxArraySize, parseSlurmJobs } from './slurm.js';
import { execCommand } from './transport.js';
import type { SchedulerJob } from './types.js';

/** Jobs from a status answer: `query` is the live view, `comp` the record of finished jobs (older; the live view wins). */
export function parseSchedulerAnswer(kind: string, query: string, comp: string): SchedulerJob[] {
  if (kind === 'slurm') return parseSlurmJobs(`${comp}\n${query}`);
  if (kind === 'lsf') return parseBjobs(query);
  return [];
}

/** The scheduler's report for an eegen job id (`123`, `123_4`, `456[2]`). */
export function findJob(jobs: readonly SchedulerJob[], id: string): SchedulerJob | undefined {
  return findSlurmJob(jobs, id) ?? jobs.find((j) => j.jobId === id);
}

/**
 * The cluster's MaxArraySize (one round trip, remembered in `cache`: a DispatchContext's, so
 * it lasts as long as the caller keeps that context and is never shared with another one).
 */
export async function maxArraySize(h: HostEntry, runner: Runner = realRunner, cache: Map<string, number> = new Map(), signal?: AbortSignal): Promise<number | undefined> {
  if (h.kind !== 'slurm') return undefined;
  const known = cache.get(h.name);
  if (known !== undefined) return known;
  const res = await runner.run(execCommand(h, maxArraySizeCommand(), `ask ${h.name} for MaxArraySize`), { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  const n = res.code === 0 ? parseMaxArraySize(res.stdout) : undefined;
  // Only an answer is remembered: a dry run or a failed query must not stick.
  if (n !== undefined) cache.set(h.name, n);
  return n;
}
