/**
 * What the real-tier workflow tests on Slurm share: the controller's view of a job, the
 * queue, waiting for a condition, and `eegen workflow run` as a child process to kill -9.
 * (Real tier only: it runs scontrol and squeue.)
 */
import { execFileSync, spawn } from 'node:child_process';
import { parseKeyValues } from '../../src/scheduler/slurm.js';
import type { WorkflowEvent } from '../../src/workflow/types.js';
import { BIN } from '../support/cli.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the Slurm controller says of a job (scontrol -o show job; jobs stay MinJobAge, an hour here). */
export function slurmJob(jobId: string): Record<string, string> {
  const id = jobId.replace(/^slurm:/, '');
  return parseKeyValues(execFileSync('scontrol', ['-o', 'show', 'job', id], { encoding: 'utf8' }));
}

/** The jobs squeue still lists, of these ids: `ID STATE REASON` lines. */
export function squeue(jobIds: readonly string[]): string[] {
  const out = execFileSync('squeue', ['-h', '-o', '%i %T %r', '-j', jobIds.map((j) => j.replace(/^slurm:/, '')).join(',')], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

export async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** `eegen workflow run FILE --json` as a child process; its events, as they come. */
export function cliRun(dir: string): { child: ReturnType<typeof spawn>; events: () => WorkflowEvent[]; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'workflow', 'run', 'wf.yaml', '--poll', '0.1', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  const events = (): WorkflowEvent[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WorkflowEvent);
  return { child, events, output: () => out, exited };
}

/** Wait until the coordinator reported both nodes started (handed to Slurm), then kill -9 it. */
export async function bothSubmitted(run: ReturnType<typeof cliRun>, n = 2): Promise<void> {
  try {
    await until('both nodes submitted', () => startedIds(run.events()).size === n, 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${run.output()}`);
  } finally {
    run.child.kill('SIGKILL');
    await run.exited;
  }
}

export const startedIds = (events: readonly WorkflowEvent[]): Map<string, string> => new Map(events.flatMap((e) => (e.type === 'started' && e.jobId ? [[e.node, e.jobId] as [string, string]] : [])));

/** Every record the controller has of a job: one per task of a job array (`scontrol -o show job ARRAY`). */
export function slurmTasks(jobId: string): Record<string, string>[] {
  const id = jobId.replace(/^slurm:/, '').replace(/_\d+$/, '');
  return execFileSync('scontrol', ['-o', 'show', 'job', id], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => parseKeyValues(l));
}
