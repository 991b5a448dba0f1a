/** Small helpers for the Slurm smoke tests (real sbatch/scontrol/scancel). */
import { execFile } from 'node:child_process';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';

export const JOBCOMP_LOG = '/var/log/slurm/jobcomp.log';
const TERMINAL = new Set([
  'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED',
]);

export interface CmdResult { code: number; stdout: string; stderr: string }

export function cmd(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code = typeof err.code === 'number' ? err.code : 1; // spawn errors/timeouts have no exit code
      resolve({ code, stdout, stderr: stderr || err.message });
    });
  });
}

/** Write `body` as a batch script in `dir` and submit it; returns the job id. */
export async function sbatch(dir: string, name: string, body: string, extraArgs: string[] = []): Promise<string> {
  const script = join(dir, `${name}.sh`);
  await writeFile(script, `#!/bin/bash\n${body}\n`);
  await chmod(script, 0o755);
  const r = await cmd('sbatch', ['--parsable', `--job-name=${name}`, `--output=${join(dir, `${name}-%A_%a.out`)}`, ...extraArgs, script], { cwd: dir });
  if (r.code !== 0) throw new Error(`sbatch failed (${r.code}): ${r.stderr}`);
  const id = r.stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new Error(`unexpected sbatch output: ${r.stdout}`);
  return id;
}

export type JobRecord = Record<string, string>;

/** `scontrol -o show job ID`: one record per job (one per task for arrays). */
export async function showJob(id: string): Promise<JobRecord[]> {
  const r = await cmd('scontrol', ['-o', 'show', 'job', id]);
  if (r.code !== 0) throw new Error(`scontrol show job ${id} failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const rec: JobRecord = {};
      for (const m of line.matchAll(/(\w+)=(\S*)/g)) rec[m[1]!] = m[2]!;
      return rec;
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `pred(records)` holds; returns the records. */
export async function waitJob(id: string, pred: (recs: JobRecord[]) => boolean, timeoutMs = 60_000): Promise<JobRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let recs: JobRecord[] = [];
  while (Date.now() < deadline) {
    recs = await showJob(id);
    if (recs.length > 0 && pred(recs)) return recs;
    await sleep(250);
  }
  throw new Error(`job ${id}: timed out after ${timeoutMs} ms; last state:\n${JSON.stringify(recs, null, 1)}`);
}

/** Wait until every record of the job (all array tasks) is in a terminal state. */
export function waitDone(id: string, timeoutMs = 60_000): Promise<JobRecord[]> {
  return waitJob(
    id,
    (recs) => recs.every((r) => TERMINAL.has(r.JobState ?? '') && !/[-,]/.test(r.ArrayTaskId ?? '')),
    timeoutMs,
  );
}

/** Lines of the jobcomp log for job `id` (JobId=id, or ArrayJobId=id for array tasks). */
export async function jobcompLines(id: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(JOBCOMP_LOG, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((l) => new RegExp(`(^|\\s)(JobId|ArrayJobId)=${id}\\s`).test(l));
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await sleep(200);
  }
}
