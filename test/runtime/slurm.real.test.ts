import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../support/env.js';
import { alive, eventsText, makeBundle, readPid, readRun, removeTemps, waitFor } from './helpers.js';

afterAll(removeTemps);

const HEADER = '#!/bin/bash\n#SBATCH -J eegen-wrapper-test\n#SBATCH -t 2\n';

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** sbatch from the bundle dir, as the Slurm launcher does (default output: slurm-<id>.out there). */
function sbatch(dir: string, extra: string[] = []): string {
  return sh('sbatch', ['--parsable', ...extra, 'job.sh'], dir).split(';')[0]!;
}

/** JobState and ExitCode once the controller calls the job final. */
async function finalState(jobId: string): Promise<{ state: string; exitCode: string }> {
  return waitFor(
    `job ${jobId} final`,
    () => {
      const out = sh('scontrol', ['show', 'job', '-o', jobId]);
      const state = /JobState=(\S+)/.exec(out)?.[1] ?? '';
      const exitCode = /ExitCode=(\S+)/.exec(out)?.[1] ?? '';
      return /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL)$/.test(state) ? { state, exitCode } : undefined;
    },
    20_000,
    200,
  );
}

const countEnds = (dir: string) => eventsText(dir).split('\n').filter((l) => l.includes('"event":"end"')).length;

describe.skipIf(skipWithout('slurm')).concurrent('eegen-run.sh under real Slurm (sbatch of the hooked script)', () => {
  it('records the Slurm job id and the exit code; output goes to the job output file', async () => {
    const dir = makeBundle('echo "hello from $EEGEN_BUNDLE_ID"\nexit 3', { header: HEADER });
    const id = sbatch(dir);
    await waitFor('end event', () => countEnds(dir) === 1, 20_000, 100);
    const { summary, raw } = readRun(dir);
    expect(summary).toMatchObject({ jobId: id, exitCode: 3, signal: null, attempts: 1 });
    expect(raw.find((e) => e.event === 'start')).toMatchObject({ scheduler: 'slurm' });
    expect(await finalState(id)).toEqual({ state: 'FAILED', exitCode: '3:0' });
    expect(readFileSync(path.join(dir, `slurm-${id}.out`), 'utf8')).toBe('hello from bundle-1\n');
  });

  it('scancel of a running job: end with signal TERM within KillWait, state CANCELLED, the script gone', async () => {
    const dir = makeBundle('echo $$ > child.pid\nsleep 60', { header: HEADER });
    const id = sbatch(dir);
    await waitFor('start', () => existsSync(path.join(dir, 'child.pid')) && eventsText(dir).includes('"event":"start"'), 20_000, 100);
    const pid = readPid(path.join(dir, 'child.pid'));
    const t0 = Date.now();
    sh('scancel', [id]);
    await waitFor('end event', () => countEnds(dir) === 1, 10_000, 20);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(readRun(dir).summary).toMatchObject({ jobId: id, exitCode: 143, signal: 'TERM' });
    expect((await finalState(id)).state).toBe('CANCELLED');
    await waitFor('script gone', () => !alive(pid), 5000, 100);
  });

  it('array tasks record `<array job>_<task>`', async () => {
    const dir = makeBundle('echo task $SLURM_ARRAY_TASK_ID', { header: HEADER });
    const id = sbatch(dir, ['--array=1-2']);
    await waitFor('two ends', () => countEnds(dir) === 2, 20_000, 100);
    const { raw } = readRun(dir);
    expect(raw.filter((e) => e.event === 'start').map((e) => e.jobId).sort()).toEqual([`${id}_1`, `${id}_2`]);
    expect(raw.filter((e) => e.event === 'end').map((e) => e.exitCode)).toEqual([0, 0]);
  });
});
