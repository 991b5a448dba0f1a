import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expandArrayTasks,
  findSlurmJob,
  idRanges,
  maxArraySizeCommand,
  parseExitCode,
  parseJobcomp,
  parseMaxArraySize,
  parseSbatch,
  parseSlurmJobs,
  parseSlurmQuery,
  slurmCancelCommand,
  slurmQueryCommand,
  slurmState,
} from '../../../src/scheduler/slurm.js';
import type { SchedulerJob } from '../../../src/dispatch/types.js';
import { skipWithout } from '../../support/env.js';
import { fixture, GARBAGE, sh, until } from './helpers.js';

const byId = (jobs: SchedulerJob[]): Record<string, SchedulerJob> => Object.fromEntries(jobs.map((j) => [j.jobId, j]));

describe('parseSbatch (recorded output)', () => {
  it('reads --parsable and plain output', () => {
    expect(parseSbatch(fixture('slurm', 'sbatch-parsable.txt'))).toEqual({ ok: true, jobId: fixture('slurm', 'sbatch-parsable.txt').trim() });
    expect(parseSbatch(fixture('slurm', 'sbatch-plain.txt'))).toMatchObject({ ok: true, jobId: /^\d+$/ });
    expect(parseSbatch('123;eegen\n')).toEqual({ ok: true, jobId: '123', cluster: 'eegen' });
    expect(parseSbatch('Submitted batch job 77 on cluster big\n')).toEqual({ ok: true, jobId: '77', cluster: 'big' });
    expect(parseSbatch('sbatch: warning: something\n4242\n')).toEqual({ ok: true, jobId: '4242' });
  });

  it('turns error text into a typed failure', () => {
    expect(parseSbatch('', fixture('slurm', 'sbatch-invalid-array.txt'))).toMatchObject({ ok: false, kind: 'array-spec', message: /Invalid job array specification/ });
    expect(parseSbatch('', fixture('slurm', 'sbatch-bad-partition.txt'))).toMatchObject({ ok: false, kind: 'partition' });
    expect(parseSbatch('', 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)')).toMatchObject({
      ok: false,
      kind: 'unreachable',
    });
    expect(parseSbatch('', 'sbatch: error: Batch job submission failed: Requested node configuration is not available')).toMatchObject({ kind: 'resources' });
    expect(parseSbatch('hello world')).toMatchObject({ ok: false, kind: 'unparsable' });
    expect(parseSbatch('')).toMatchObject({ ok: false, kind: 'unparsable', message: '(no output)' });
  });
});

describe('Slurm states and fields', () => {
  it('maps every Slurm state word', () => {
    const cases: [string, string][] = [
      ['PENDING', 'queued'], ['CONFIGURING', 'queued'], ['REQUEUED', 'queued'], ['RESV_DEL_HOLD', 'queued'], ['SUSPENDED', 'queued'],
      ['RUNNING', 'running'], ['COMPLETING', 'running'], ['COMPLETED', 'done'], ['FAILED', 'failed'], ['CANCELLED', 'cancelled'],
      ['CANCELLED by 0', 'cancelled'], ['TIMEOUT', 'timeout'], ['DEADLINE', 'timeout'], ['OUT_OF_MEMORY', 'oom'],
      ['NODE_FAIL', 'failed'], ['BOOT_FAIL', 'failed'], ['PREEMPTED', 'failed'], ['PD', 'queued'], ['CG', 'running'], ['OOM', 'oom'],
      ['WHATEVER', 'submitted'], ['', 'submitted'],
    ];
    for (const [raw, state] of cases) expect([raw, slurmState(raw)]).toEqual([raw, state]);
  });

  it('splits ExitCode into exit code and signal', () => {
    expect(parseExitCode('3:0')).toEqual({ exitCode: 3 });
    expect(parseExitCode('0:15')).toEqual({ exitCode: 0, signal: 15 });
    expect(parseExitCode('garbage')).toEqual({});
  });

  it('expands array task lists', () => {
    expect(expandArrayTasks('5-9%2')).toEqual([5, 6, 7, 8, 9]);
    expect(expandArrayTasks('0,4,6,8%2')).toEqual([0, 4, 6, 8]);
    expect(expandArrayTasks('1-9:4')).toEqual([1, 5, 9]);
    expect(expandArrayTasks('7')).toEqual([7]);
    expect(expandArrayTasks('x')).toBeUndefined();
    expect(expandArrayTasks('0-4294967294')).toBeUndefined();
  });

  it('compresses ids to ranges', () => {
    expect(idRanges(['5', '1', '2', '3', '3_7', '9', '10', 'junk', '12_[1-3]'])).toBe('1-3,5,9-10,12');
    expect(idRanges([])).toBe('');
  });
});

describe('parseSlurmJobs (recorded scontrol -o output)', () => {
  it('reads final states with exit codes and signals', () => {
    expect(parseSlurmJobs(fixture('slurm', 'scontrol-success.txt'))).toEqual([expect.objectContaining({ state: 'done', rawState: 'COMPLETED', exitCode: 0 })]);
    const [fail] = parseSlurmJobs(fixture('slurm', 'scontrol-exit3.txt'));
    expect(fail).toMatchObject({ state: 'failed', rawState: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode' });
    expect(fail?.signal).toBeUndefined();
    expect(parseSlurmJobs(fixture('slurm', 'scontrol-signal.txt'))[0]).toMatchObject({ state: 'failed', exitCode: 0, signal: 9 });
    expect(parseSlurmJobs(fixture('slurm', 'scontrol-cancelled.txt'))[0]).toMatchObject({ state: 'cancelled', exitCode: 0, signal: 15 });
    expect(parseSlurmJobs(fixture('slurm', 'scontrol-timeout.txt'))[0]).toMatchObject({ state: 'timeout', rawState: 'TIMEOUT', signal: 15, reason: 'TimeLimit' });
  });

  it('reads running and pending jobs without exit codes', () => {
    const [run] = parseSlurmJobs(fixture('slurm', 'scontrol-running.txt'));
    expect(run).toMatchObject({ state: 'running', rawState: 'RUNNING' });
    expect(run?.exitCode).toBeUndefined();
    expect(parseSlurmJobs(fixture('slurm', 'scontrol-pending-held.txt'))).toEqual([
      { jobId: expect.stringMatching(/^\d+$/), state: 'queued', rawState: 'PENDING', reason: 'JobHeldUser' },
    ]);
  });

  it('names array tasks ARRAY_TASK and expands the pending throttled record', () => {
    const jobs = parseSlurmJobs(fixture('slurm', 'scontrol-array-throttled.txt'));
    const a = /ArrayJobId=(\d+)/.exec(fixture('slurm', 'scontrol-array-throttled.txt'))![1]!;
    const m = byId(jobs);
    expect(Object.keys(m).sort()).toEqual([...Array(10).keys()].map((i) => `${a}_${i}`).sort());
    expect(m[`${a}_0`]).toMatchObject({ state: 'running' });
    expect(m[`${a}_1`]).toMatchObject({ state: 'running' });
    for (let i = 2; i <= 9; i++) expect(m[`${a}_${i}`]).toMatchObject({ state: 'queued', reason: 'JobArrayTaskLimit' });
    // After scancel of the whole array: the remainder record is CANCELLED as well.
    const done = byId(parseSlurmJobs(fixture('slurm', 'scontrol-array-cancelled.txt')));
    expect(Object.values(done).every((j) => j.state === 'cancelled')).toBe(true);
    expect(Object.keys(done)).toHaveLength(10);
  });

  it('maps OUT_OF_MEMORY to oom (recorded output: OOM cannot be provoked here)', () => {
    expect(parseSlurmJobs(fixture('slurm', 'scontrol-oom.txt'))).toEqual([
      { jobId: '4711', state: 'oom', rawState: 'OUT_OF_MEMORY', exitCode: 0, signal: 125, reason: 'OutOfMemory' },
    ]);
    expect(parseJobcomp(fixture('slurm', 'jobcomp-oom.txt'))).toEqual([{ jobId: '4711', state: 'oom', rawState: 'OUT_OF_MEMORY', exitCode: 0, signal: 125 }]);
  });

  it('never throws on garbage', () => {
    for (const g of GARBAGE) {
      expect(() => parseSlurmJobs(g as string)).not.toThrow();
      expect(() => parseJobcomp(g as string)).not.toThrow();
      expect(() => parseSbatch(g as string, g as string)).not.toThrow();
      expect(() => parseMaxArraySize(g as string)).not.toThrow();
    }
    expect(parseSlurmJobs('JobId=1 ArrayJobId=1 ArrayTaskId=0-4294967294 JobState=PENDING')).toEqual([
      { jobId: '1_[0-4294967294]', state: 'queued', rawState: 'PENDING' },
    ]);
    expect(parseSlurmJobs(`noise\n${fixture('slurm', 'scontrol-success.txt')}\nmore noise`)).toHaveLength(1);
  });
});

describe('parseJobcomp (recorded jobcomp/filetxt lines)', () => {
  it('reads each recorded case', () => {
    const one = (f: string): SchedulerJob => parseJobcomp(fixture('slurm', f))[0]!;
    expect(one('jobcomp-success.txt')).toMatchObject({ state: 'done', exitCode: 0 });
    expect(one('jobcomp-exit3.txt')).toMatchObject({ state: 'failed', exitCode: 3 }); // not DerivedExitCode
    expect(one('jobcomp-signal.txt')).toMatchObject({ state: 'failed', signal: 9 });
    expect(one('jobcomp-cancelled.txt')).toMatchObject({ state: 'cancelled' });
    expect(one('jobcomp-timeout.txt')).toMatchObject({ state: 'timeout', rawState: 'TIMEOUT' });
  });

  it('cancelled pending array tasks: one line under the array id; findSlurmJob falls back to it', () => {
    const text = fixture('slurm', 'jobcomp-array-cancelled.txt');
    const a = /ArrayJobId=(\d+)/.exec(text)![1]!;
    const jobs = parseJobcomp(text);
    expect(jobs.map((j) => j.jobId).sort()).toEqual([a, `${a}_0`, `${a}_1`].sort());
    expect(findSlurmJob(jobs, `${a}_0`)).toMatchObject({ jobId: `${a}_0`, state: 'cancelled' });
    expect(findSlurmJob(jobs, `${a}_7`)).toMatchObject({ jobId: `${a}_7`, state: 'cancelled' });
    expect(findSlurmJob(jobs, '99999_1')).toBeUndefined();
  });

  it('the last line of a requeued job wins', () => {
    const lines = [
      'JobId=9 UserId=u(1) Name=x JobState=NODE_FAIL Partition=p DerivedExitCode=0:0 ExitCode=0:0',
      'JobId=9 UserId=u(1) Name=x JobState=COMPLETED Partition=p DerivedExitCode=0:0 ExitCode=0:0',
    ].join('\n');
    expect(parseJobcomp(lines)).toEqual([{ jobId: '9', state: 'done', rawState: 'COMPLETED', exitCode: 0 }]);
    expect(parseJobcomp(lines.split('\n')[0]!)).toEqual([{ jobId: '9', state: 'failed', rawState: 'NODE_FAIL', exitCode: 0, reason: 'NODE_FAIL' }]);
  });
});

describe('MaxArraySize and cancel', () => {
  it('parses scontrol show config (recorded)', () => {
    expect(maxArraySizeCommand()).toBe('scontrol show config');
    expect(parseMaxArraySize(fixture('slurm', 'show-config.txt'))).toBe(101);
    expect(parseMaxArraySize('MaxJobCount = 5\n')).toBeUndefined();
  });

  it('builds scancel lines from valid ids only, chunked', () => {
    expect(slurmCancelCommand(['12', '13_4', '12', '$(reboot)', '1;rm', ' 14 '])).toBe('scancel 12 13_4 14');
    expect(slurmCancelCommand([])).toBe('true');
    const many = slurmCancelCommand([...Array(1200).keys()].map(String));
    expect(many.split('; ')).toHaveLength(3);
  });
});

// ------------------------------------------------------------- the query command, with fakes

describe('slurmQueryCommand against fake scontrol/sacct (sources the test cluster cannot show)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eegen-fake-slurm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  const write = (name: string, text: string, mode = 0o644): void => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), mode);
  };
  const fake = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const setup = (opts: { jobs: string; jobcomp?: string; jobcompType?: string; acct?: string; sacct?: string; scontrolRc?: number }): NodeJS.ProcessEnv => {
    mkdirSync(bin, { recursive: true });
    write('jobs.txt', opts.jobs);
    write('jobcomp.log', opts.jobcomp ?? '');
    write('config.txt', [
      'Configuration data as of 2026-11-25T16:00:00',
      `AccountingStorageType   = ${opts.acct ?? 'accounting_storage/none'}`,
      `JobCompLoc              = ${join(dir, 'jobcomp.log')}`,
      `JobCompType             = ${opts.jobcompType ?? 'jobcomp/filetxt'}`,
      'MaxArraySize            = 101',
      '',
    ].join('\n'));
    write('sacct.txt', opts.sacct ?? '');
    fake(
      'scontrol',
      [
        'echo "$*" >> "$FAKE/calls"',
        'case "$*" in',
        `  "-a -o show job") cat "$FAKE/jobs.txt"; exit ${opts.scontrolRc ?? 0};;`,
        '  "show config") cat "$FAKE/config.txt";;',
        '  *) echo "fake scontrol: $*" >&2; exit 1;;',
        'esac',
      ].join('\n'),
    );
    fake('sacct', 'echo "sacct $*" >> "$FAKE/calls"; cat "$FAKE/sacct.txt"');
    write('calls', '');
    return { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE: dir };
  };

  const success = fixture('slurm', 'scontrol-success.txt').trim();
  const exit3 = fixture('slurm', 'scontrol-exit3.txt').trim();
  const idOf = (line: string): string => /^JobId=(\d+)/.exec(line)![1]!;

  it('prints only the requested jobs; unknown ids do not break it', async () => {
    const env = setup({ jobs: `${success}\n${exit3}\n` });
    const r = await sh(slurmQueryCommand([idOf(success), '987654', '987655_3']), { env });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`JobId=${idOf(success)} JobState=COMPLETED Reason=None ExitCode=0:0`);
    const q = parseSlurmQuery(r.stdout);
    expect(q.jobs).toEqual([expect.objectContaining({ jobId: idOf(success), state: 'done' })]);
    expect(q.unknown).toEqual(['987654', '987655']);
    expect(q.warnings).toEqual([]);
  });

  it('falls back to the jobcomp log for jobs scontrol no longer knows', async () => {
    const env = setup({
      jobs: 'No jobs in the system\n',
      jobcomp: `${fixture('slurm', 'jobcomp-timeout.txt')}${fixture('slurm', 'jobcomp-array-cancelled.txt')}JobId=5 UserId=x Name=y JobState=COMPLETED ExitCode=0:0\n`,
    });
    const t = idOf(fixture('slurm', 'jobcomp-timeout.txt'));
    const a = /ArrayJobId=(\d+)/.exec(fixture('slurm', 'jobcomp-array-cancelled.txt'))![1]!;
    const r = await sh(slurmQueryCommand([t, `${a}_0`, `${a}_5`, '77777']), { env });
    expect(r.code, r.stderr).toBe(0);
    const q = parseSlurmQuery(r.stdout);
    expect(findSlurmJob(q.jobs, t)).toMatchObject({ state: 'timeout' });
    expect(findSlurmJob(q.jobs, `${a}_0`)).toMatchObject({ state: 'cancelled' });
    expect(findSlurmJob(q.jobs, `${a}_5`)).toMatchObject({ state: 'cancelled' });
    expect(q.jobs.find((j) => j.jobId === '5')).toBeUndefined(); // not asked for
    expect(q.unknown).toEqual(['77777']);
  });

  it('does not read jobcomp for jobs scontrol still knows, and warns about an unreadable log', async () => {
    const env = setup({ jobs: `${success}\n`, jobcomp: 'JobId=1 JobState=FAILED ExitCode=1:0\n' });
    await sh(`chmod 000 '${join(dir, 'jobcomp.log')}'`);
    const env2 = { ...env };
    const r = await sh(`${slurmQueryCommand([idOf(success)])}`, { env: env2 });
    expect(parseSlurmQuery(r.stdout).jobs).toHaveLength(1);
    expect(await sh(`cat '${join(dir, 'calls')}'`).then((x) => x.stdout)).not.toMatch(/show config/); // nothing missing: no config lookup
    // A missing id with an unreadable (here: absent) log: warning + unknown, not an error.
    rmSync(join(dir, 'jobcomp.log'), { force: true });
    const r2 = await sh(slurmQueryCommand(['424242']), { env: env2 });
    const q = parseSlurmQuery(r2.stdout);
    expect(r2.code).toBe(0);
    expect(q.warnings.join('\n')).toMatch(/jobcomp log .* is not readable/);
    expect(q.unknown).toEqual(['424242']);
  });

  it('uses sacct when accounting is configured', async () => {
    const env = setup({
      jobs: '',
      jobcompType: 'jobcomp/none',
      acct: 'accounting_storage/slurmdbd',
      sacct: '500|COMPLETED|0:0|None\n501_3|CANCELLED by 0|0:15|None\n501_[4-6%2]|PENDING|0:0|JobArrayTaskLimit\n',
    });
    const r = await sh(slurmQueryCommand(['500', '501_3', '501_5']), { env });
    expect(r.code, r.stderr).toBe(0);
    const m = byId(parseSlurmQuery(r.stdout).jobs);
    expect(m['500']).toMatchObject({ state: 'done', exitCode: 0 });
    expect(m['501_3']).toMatchObject({ state: 'cancelled', rawState: 'CANCELLED', signal: 15 });
    expect(m['501_5']).toMatchObject({ state: 'queued', reason: 'JobArrayTaskLimit' });
    expect(await sh(`cat '${join(dir, 'calls')}'`).then((x) => x.stdout)).toMatch(/sacct -n -P -X -o JobID,State,ExitCode,Reason -j (500,501|501,500)/);
  });

  it('exits 3 when scontrol itself fails (nothing may be concluded)', async () => {
    const env = setup({ jobs: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', scontrolRc: 1 });
    const r = await sh(slurmQueryCommand(['1', '2']), { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/scontrol -o show job failed \(status 1\): .*Unable to contact slurm controller/);
    expect(r.stdout).toBe('');
  });

  it('handles thousands of scattered ids in one short command line', async () => {
    const ids = [...Array(5000).keys()].map((i) => String(100_000 + i * 3));
    const cmd = slurmQueryCommand(ids);
    expect(cmd.length).toBeLessThan(60_000);
    const lines = ids.slice(0, 3000).map((id) => `JobId=${id} JobName=x JobState=COMPLETED Reason=None ExitCode=0:0`);
    const env = setup({ jobs: `${lines.join('\n')}\nJobId=1 JobState=RUNNING\n` });
    const t0 = Date.now();
    const r = await sh(cmd, { env });
    expect(r.code, r.stderr).toBe(0);
    const q = parseSlurmQuery(r.stdout);
    expect(q.jobs).toHaveLength(3000);
    expect(q.unknown).toHaveLength(2000);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('is one awk call with a single-quoted program that holds no quote of its own', () => {
    const cmd = slurmQueryCommand(['1']);
    expect(cmd).toMatch(/^awk -v ids=1 '[^']+' <\/dev\/null$/);
    expect(cmd).not.toMatch(/\n/);
    expect(slurmQueryCommand(['junk'])).toBe('true');
  });
});


// ------------------------------------------------------------- the real cluster

describe.skipIf(skipWithout('slurm'))('Slurm adapter on the real test cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eegen-slurm-adapter-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const submit = async (args: string): Promise<string> => {
    const r = await sh(`sbatch --parsable --output=/dev/null ${args}`, { cwd: dir });
    const p = parseSbatch(r.stdout, r.stderr);
    if (!p.ok) throw new Error(`sbatch failed: ${p.kind}: ${p.message}`);
    return p.jobId;
  };
  const query = async (ids: string[]): Promise<SchedulerJob[]> => {
    const r = await sh(slurmQueryCommand(ids));
    if (r.code !== 0) throw new Error(`query failed (${r.code}): ${r.stderr}`);
    return parseSlurmJobs(r.stdout);
  };
  const FINAL = new Set(['done', 'failed', 'cancelled', 'timeout', 'oom']);

  it('submits, queries (with unknown ids mixed in) and reads real done / failed / cancelled jobs', async () => {
    const ok = await submit(`--job-name=adapter-ok --wrap 'echo hi'`);
    const bad = await submit(`--job-name=adapter-bad --wrap 'exit 3'`);
    const long = await submit(`--job-name=adapter-long --wrap 'sleep 300'`);
    const arr = await submit(`--job-name=adapter-arr --array=0-2 --wrap 'exit $SLURM_ARRAY_TASK_ID'`);
    const ids = [ok, bad, long, `${arr}_0`, `${arr}_1`, `${arr}_2`, '99999999', '99999998_1'];

    await until('the long job to run', async () => ((await query([long]))[0]?.state === 'running' ? true : undefined), 30_000);
    const c = await sh(slurmCancelCommand([long, '99999999']));
    expect(c.code, c.stderr).toBe(0); // an unknown id in the list does not stop scancel (it says nothing without -v)

    const jobs = await until(
      'all jobs to end',
      async () => {
        const j = await query(ids);
        return j.length === 6 && j.every((x) => FINAL.has(x.state)) ? j : undefined;
      },
      45_000,
    );
    const m = byId(jobs);
    expect(m[ok]).toMatchObject({ state: 'done', exitCode: 0 });
    expect(m[bad]).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(m[long]).toMatchObject({ state: 'cancelled' });
    expect(m[`${arr}_0`]).toMatchObject({ state: 'done' });
    expect(m[`${arr}_1`]).toMatchObject({ state: 'failed', exitCode: 1 });
    expect(m[`${arr}_2`]).toMatchObject({ state: 'failed', exitCode: 2 });

    // The same jobs in the real jobcomp log.
    const conf = await sh(maxArraySizeCommand());
    expect(parseMaxArraySize(conf.stdout)).toBe(101);
    const loc = /^JobCompLoc\s*=\s*(\S+)/m.exec(conf.stdout)![1]!;
    const comp = await until(
      'jobcomp lines',
      async () => {
        const text = (await sh(`cat '${loc}'`)).stdout;
        const j = byId(parseJobcomp(text));
        return j[ok] && j[bad] && j[long] && j[`${arr}_2`] ? j : undefined;
      },
      10_000,
    );
    expect(comp[bad]).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(comp[long]).toMatchObject({ state: 'cancelled' });
    expect(comp[`${arr}_1`]).toMatchObject({ state: 'failed', exitCode: 1 });
  });
});
