// Smoke tests for the single-node Slurm cluster from scripts/setup-slurm.sh.
// They pin down the behaviour eegen's submit/status/collect relies on.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../support/env.js';
import { cmd, jobcompLines, sbatch, showJob, waitDone, waitJob } from './slurm-helpers.js';

describe.skipIf(skipWithout('slurm')).concurrent('slurm (real, single node)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eegen-infra-slurm-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a batch job; output, COMPLETED and ExitCode=0:0 are visible in scontrol and the jobcomp log', async () => {
    const id = await sbatch(dir, 'hello', `echo "hello from job $SLURM_JOB_ID" > ${dir}/hello.txt`);
    const [rec] = await waitDone(id);
    expect(rec).toMatchObject({ JobId: id, JobState: 'COMPLETED', ExitCode: '0:0' });
    expect(await readFile(join(dir, 'hello.txt'), 'utf8')).toBe(`hello from job ${id}\n`);
    const lines = await jobcompLines(id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^JobId=${id} .*JobState=COMPLETED .*ExitCode=0:0`));
  });

  it('reports a job that exits 3 as FAILED with exit code 3', async () => {
    const id = await sbatch(dir, 'fail', 'echo about to fail\nexit 3');
    const [rec] = await waitDone(id);
    expect(rec).toMatchObject({ JobState: 'FAILED', ExitCode: '3:0' });
    const lines = await jobcompLines(id);
    expect(lines[0]).toMatch(/JobState=FAILED .*ExitCode=3:0/);
  });

  it('scancel of a running job ends it as CANCELLED', async () => {
    const id = await sbatch(dir, 'sleeper', 'sleep 300');
    await waitJob(id, ([r]) => r?.JobState === 'RUNNING', 30_000);
    const c = await cmd('scancel', [id]);
    expect(c.code).toBe(0);
    const [rec] = await waitDone(id, 30_000);
    expect(rec?.JobState).toBe('CANCELLED');
    expect((await jobcompLines(id))[0]).toMatch(/JobState=CANCELLED/);
  });

  it('runs a throttled job array --array=0-4%2 to completion', async () => {
    const id = await sbatch(dir, 'arr', `echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID" > ${dir}/arr-$SLURM_ARRAY_TASK_ID.txt`, [
      '--array=0-4%2',
    ]);
    const recs = await waitDone(id);
    expect(recs).toHaveLength(5);
    expect(recs.map((r) => r.ArrayTaskId).sort()).toEqual(['0', '1', '2', '3', '4']);
    for (const r of recs) {
      expect(r).toMatchObject({ ArrayJobId: id, JobState: 'COMPLETED', ExitCode: '0:0', ArrayTaskThrottle: '2' });
      expect(await readFile(join(dir, `arr-${r.ArrayTaskId}.txt`), 'utf8')).toBe(`task ${r.ArrayTaskId} of ${id}\n`);
    }
    expect(await jobcompLines(id)).toHaveLength(5);
  });

  it('MaxArraySize=101: index 100 is accepted, --array=0-200 is rejected', async () => {
    const conf = await cmd('scontrol', ['show', 'config']);
    expect(conf.stdout).toMatch(/^MaxArraySize\s*=\s*101$/m);

    const rejected = await cmd('sbatch', ['--parsable', '--array=0-200', '--output=/dev/null', '--wrap', 'true'], { cwd: dir });
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(/Batch job submission failed: Invalid job array specification/);

    // The largest accepted index is MaxArraySize-1. Held, so nothing runs.
    const ok = await cmd('sbatch', ['--parsable', '--hold', '--array=0-100', '--output=/dev/null', '--wrap', 'true'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const id = ok.stdout.trim().split(';')[0]!;
    try {
      const [rec] = await showJob(id);
      expect(rec?.ArrayTaskId).toBe('0-100');
    } finally {
      await cmd('scancel', [id]);
    }
  });
});
