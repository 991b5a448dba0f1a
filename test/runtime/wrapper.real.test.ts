import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { insertHook, WRAPPER_HOOK, wrapperText } from '../../src/bundle/wrapper.js';
import { RUN_LAYOUT } from '../../src/dispatch/types.js';
import { parseFingerprint } from '../../src/results/index.js';
import {
  alive,
  eventsText,
  exited,
  fakeBin,
  makeBundle,
  plainStatus,
  readPid,
  readRun,
  removeTemps,
  ROOT,
  runJob,
  startWrapper,
  waitFor,
} from './helpers.js';

afterAll(removeTemps);

describe('insertHook / WRAPPER_HOOK / wrapperText', () => {
  it('is the exact hook line', () => {
    expect(WRAPPER_HOOK).toBe(
      '[ -n "${EEGEN_WRAPPED:-}" ] || exec bash "${SLURM_SUBMIT_DIR:-${LS_SUBCWD:-$(cd "$(dirname "$0")" && pwd)}}/eegen-run.sh" "$0" "$@"',
    );
  });

  it('goes after shebang, comments, blank lines and directives, before the first command', () => {
    const script = '#!/bin/bash\n#SBATCH -J x\n#SBATCH -t 5\n\n  # note\n#BSUB -q normal\nset -euo pipefail\necho hi\n';
    expect(insertHook(script)).toBe(
      `#!/bin/bash\n#SBATCH -J x\n#SBATCH -t 5\n\n  # note\n#BSUB -q normal\n${WRAPPER_HOOK}\nset -euo pipefail\necho hi\n`,
    );
  });

  it('is idempotent, appends to a script without a command, keeps CRLF', () => {
    const once = insertHook('#!/bin/sh\necho a\n');
    expect(insertHook(once)).toBe(once);
    expect(insertHook('#!/bin/sh\n# only comments')).toBe(`#!/bin/sh\n# only comments\n${WRAPPER_HOOK}\n`);
    expect(insertHook('')).toBe(`${WRAPPER_HOOK}\n`);
    expect(insertHook('#!/bin/sh\r\necho a\r\n')).toBe(`#!/bin/sh\r\n${WRAPPER_HOOK}\r\necho a\r\n`);
    expect(insertHook('echo first\n')).toBe(`${WRAPPER_HOOK}\necho first\n`);
  });

  it('reads runtime/eegen-run.sh', () => {
    expect(wrapperText()).toBe(readFileSync(path.join(ROOT, 'runtime', RUN_LAYOUT.wrapper), 'utf8'));
    expect(wrapperText().startsWith('#!/usr/bin/env bash\n')).toBe(true);
  });
});

describe.concurrent('eegen-run.sh (real bash runs)', () => {
  it('success: start + end exitCode 0; `bash job.sh` ends up wrapped, output and args pass through', () => {
    const dir = makeBundle('echo "out $EEGEN_WRAPPED $EEGEN_BUNDLE_ID $# $1|$2"; echo err >&2; echo "$EEGEN_EVENTS|$EEGEN_RUN_DIR|$EEGEN_BUNDLE" > env.txt');
    const r = runJob(dir, {}, ['a b', 'c']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('out 1 bundle-1 2 a b|c\n');
    expect(r.stderr).toBe('err\n');
    expect(readFileSync(path.join(dir, 'env.txt'), 'utf8').trim()).toBe(
      `${path.join(dir, RUN_LAYOUT.events)}|${path.join(dir, RUN_LAYOUT.dir)}|${dir}`,
    );
    const { summary, raw } = readRun(dir);
    expect(summary).toMatchObject({ attempts: 1, exitCode: 0, signal: null, host: expect.any(String) as string });
    expect(summary.jobId).toMatch(/^local:\d+$/);
    expect(summary.jobId).toBe(`local:${summary.pid}`);
    expect(summary.started).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(summary.ended).toMatch(/Z$/);
    const start = raw.find((e) => e.event === 'start');
    expect(start).toMatchObject({ scheduler: 'local', bundle: 'bundle-1' });
  });

  it('runs from another directory (bash /abs/job.sh) and takes the id from manifest.json', () => {
    const dir = makeBundle('pwd > cwd.txt');
    writeFileSync(path.join(dir, 'manifest.json'), '{\n  "manifestVersion": 1,\n  "id": "epoch-1_gpu-a100",\n  "index": 0\n}\n');
    const r = spawnSync('bash', [path.join(dir, 'job.sh')], { cwd: '/', encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'cwd.txt'), 'utf8').trim()).toBe(dir);
    expect(readRun(dir).raw.find((e) => e.event === 'start')).toMatchObject({ bundle: 'epoch-1_gpu-a100' });
  });

  it('exit 3 -> exitCode 3, and the wrapper exits 3', () => {
    const dir = makeBundle('echo before\nexit 3\necho never');
    const r = runJob(dir);
    expect(r.status).toBe(3);
    expect(readRun(dir).summary).toMatchObject({ exitCode: 3, signal: null });
  });

  it("a script's own `trap 'exit 0' EXIT` with a set -e failure: the record is the child's real status", () => {
    const dir = makeBundle("set -e\ntrap 'exit 0' EXIT\nfalse\necho not reached");
    const real = plainStatus(dir);
    const r = runJob(dir);
    expect(r.status).toBe(real);
    expect(readRun(dir).summary.exitCode).toBe(real);
    // And without the trap, set -e failures are recorded as failures.
    const dir2 = makeBundle('set -e\nfalse\necho not reached');
    expect(runJob(dir2).status).toBe(1);
    expect(readRun(dir2).summary.exitCode).toBe(1);
  });

  it('a script killed by a signal: exitCode 128+n and the signal name', () => {
    const dir = makeBundle('kill -KILL $$');
    expect(runJob(dir).status).toBe(137);
    expect(readRun(dir).summary).toMatchObject({ exitCode: 137, signal: 'KILL' });
  });

  it('a missing script is recorded as a failure (127)', () => {
    const dir = makeBundle('true');
    const child = startWrapper(dir, {}, ['no-such-script.sh']);
    return exited(child).then(({ code }) => {
      expect(code).toBe(127);
      expect(readRun(dir).summary).toMatchObject({ exitCode: 127, signal: null });
    });
  });

  it('eegen_progress lands as progress events', () => {
    const dir = makeBundle('set -euo pipefail\neegen_progress 50 "half way"\neegen_progress 75.5\neegen_progress "" only a message\neegen_progress 100%');
    expect(runJob(dir).status).toBe(0);
    const { events, summary } = readRun(dir);
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.map((e) => [e.progress, e.msg])).toEqual([
      [50, 'half way'],
      [75.5, undefined],
      [undefined, 'only a message'],
      [100, undefined],
    ]);
    expect(summary).toMatchObject({ progress: 100, lastMsg: 'only a message' });
  });

  it('host names and messages with quotes, backslashes and control characters give valid JSON', () => {
    const bin = fakeBin({ hostname: '#!/bin/sh\nprintf \'%s\\n\' \'we"ird\\host\'\n' });
    const dir = makeBundle(`eegen_progress 10 'say "hi" \\ back'$'\\n''line2\\ttab'$'\\001'`);
    expect(runJob(dir, { PATH: `${bin}:${process.env.PATH}` }).status).toBe(0);
    const { summary, events } = readRun(dir); // readRun JSON.parses every line
    expect(summary.host).toBe('we"ird\\host');
    expect(events.find((e) => e.event === 'progress')?.msg).toBe('say "hi" \\ back\nline2\\ttab');
  });

  it('job ids: Slurm, Slurm array, LSF, LSF array, launcher', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ SLURM_JOB_ID: '41' }, '41', 'slurm'],
      [{ SLURM_JOB_ID: '43', SLURM_ARRAY_JOB_ID: '42', SLURM_ARRAY_TASK_ID: '3' }, '42_3', 'slurm'],
      [{ LSB_JOBID: '77', LSB_JOBINDEX: '0' }, '77', 'lsf'],
      [{ LSB_JOBID: '78', LSB_JOBINDEX: '5' }, '78[5]', 'lsf'],
      [{ EEGEN_JOB_ID: 'local:999' }, 'local:999', 'local'],
    ];
    const clean = { SLURM_JOB_ID: '', SLURM_ARRAY_JOB_ID: '', SLURM_ARRAY_TASK_ID: '', LSB_JOBID: '', LSB_JOBINDEX: '', EEGEN_JOB_ID: '' };
    await Promise.all(
      cases.map(async ([env, jobId, scheduler]) => {
        const dir = makeBundle('true');
        await exited(startWrapper(dir, { ...clean, ...env }));
        expect(readRun(dir).raw.find((e) => e.event === 'start')).toMatchObject({ jobId, scheduler });
      }),
    );
  });

  it('writes a fingerprint parseFingerprint reads without problems', () => {
    const dir = makeBundle('true');
    expect(runJob(dir).status).toBe(0);
    const { value, problems } = parseFingerprint(readFileSync(path.join(dir, RUN_LAYOUT.fingerprint), 'utf8'));
    expect(problems).toEqual([]);
    expect(value.cpu?.cores).toBeGreaterThan(0);
    expect(value.os?.kernel).toBeTruthy();
    expect(value.ts).toMatch(/Z$/);
    expect(readRun(dir).events.some((e) => e.event === 'fingerprint')).toBe(true);
  });

  it.each([
    ['SIGTERM', 'TERM', 143],
    ['SIGINT', 'INT', 130],
    ['SIGHUP', 'HUP', 129],
  ] as const)('%s to the wrapper: forwarded, end with that signal within 2 s, the script and its children gone', async (sig, name, code) => {
    const dir = makeBundle('echo $$ > child.pid\nsleep 30 & echo $! > sleep.pid\nwait');
    const child = startWrapper(dir);
    const done = exited(child);
    const pids = await waitFor('child pids', () =>
      existsSync(path.join(dir, 'sleep.pid')) && readFileSync(path.join(dir, 'sleep.pid'), 'utf8').endsWith('\n')
        ? [readPid(path.join(dir, 'child.pid')), readPid(path.join(dir, 'sleep.pid'))]
        : undefined,
    );
    const t0 = Date.now();
    child.kill(sig);
    const result = await done;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.code).toBe(code);
    expect(readRun(dir).summary).toMatchObject({ exitCode: code, signal: name });
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('a script that ignores TERM is killed after EEGEN_KILL_AFTER; end is written first', async () => {
    const dir = makeBundle("trap '' TERM\necho $$ > child.pid\nwhile :; do sleep 0.1; done");
    const child = startWrapper(dir, { EEGEN_KILL_AFTER: '1' });
    const done = exited(child);
    const pid = await waitFor('child pid', () => (existsSync(path.join(dir, 'child.pid')) ? readPid(path.join(dir, 'child.pid')) : undefined));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const endAt = await waitFor('end event', () => (eventsText(dir).includes('"event":"end"') ? Date.now() : undefined), 5000, 20);
    expect(endAt - t0).toBeLessThan(3000);
    const { code } = await done;
    expect(code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(alive(pid)).toBe(false);
    expect(readRun(dir).summary).toMatchObject({ exitCode: 143, signal: 'TERM' });
  });

  it('USR1 is passed on to the script, which goes on running', () => {
    const dir = makeBundle("trap 'echo got > usr1.txt' USR1\nkill -USR1 $PPID\nfor i in 1 2 3 4 5 6 7 8 9 10; do [ -e usr1.txt ] && break; sleep 0.1; done\nexit 4");
    expect(runJob(dir).status).toBe(4);
    expect(readFileSync(path.join(dir, 'usr1.txt'), 'utf8')).toBe('got\n');
    expect(readRun(dir).summary).toMatchObject({ exitCode: 4, signal: null });
  });
});
