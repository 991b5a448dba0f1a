/**
 * Each scheduler adapter's command lines, run by a real bash with hostile values where
 * values land (bundle directories and scripts with spaces, quotes, `$(...)` and a leading
 * `-`; driver paths and job names; tampered job ids read back from a host). The
 * scheduler's client commands (sbatch, bsub, scancel, bkill) are recording stand-ins on
 * PATH that print the words they were given, so the test sees exactly what would reach
 * the real ones (the real Slurm runs these lines in test/dispatch/*.real.test.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bash } from '../../src/scheduler/bash.js';
import { lsf } from '../../src/scheduler/lsf.js';
import { DEFAULT_SCHEDULERS, schedulerForKind, schedulerNamed, schedulerOfJob, schedulers, withSchedulers } from '../../src/scheduler/registry.js';
import { slurm } from '../../src/scheduler/slurm.js';
import type { SchedulerAdapter } from '../../src/scheduler/types.js';
import { directiveKind } from '../../src/shell/directive.js';
import { quoteLiteral as q } from '../../src/shell/quote.js';
import { tmpDir } from '../support/tree.js';

const HOSTILE = ['a b', "it's", 'say "hi"', '$(touch PWNED)', '`touch PWNED`', '-rf', '--array=9', 'x;touch PWNED', '*'];

/** A directory with recording stand-ins for the scheduler commands: each prints `ARG<TAB>word` per word and a job id. */
function recorders(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tmpDir('eegen-adapter-');
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const rec = `for a in "$@"; do printf 'ARG\\t%s\\n' "$a"; done; printf 'CWD\\t%s\\n' "$PWD"`;
  const tools: Record<string, string> = {
    sbatch: `${rec}; echo "4242;cluster"`,
    bsub: `${rec}; printf 'STDIN\\t%s\\n' "$(head -c 200)"; echo "Job <4343> is submitted to default queue <normal>."`,
    scancel: rec,
    bkill: rec,
  };
  for (const [name, text] of Object.entries(tools)) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${text}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  return { dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

/** The helpers the dispatcher's scripts define (dispatch/remote.ts PRELUDE), then `body`. */
function run(body: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const prelude = `set -u\ntab=$(printf '\\t')\nemit() { local tag=$1; shift; local IFS="$tab"; printf '@@%s\\t%s\\n' "$tag" "$*"; }\noneline() { tr '\\t\\n\\r' '   '; }\n`;
  return execFileSync('bash', ['-c', `${prelude}${body}`], { cwd, env, encoding: 'utf8' });
}

const args = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('ARG\t')).map((l) => l.slice(4));

describe('scheduler adapters: command lines with hostile values (recording stand-ins for the scheduler commands)', () => {
  for (const adapter of [slurm, lsf]) {
    it(`${adapter.name}: submitting one bundle passes its script as one word, from inside its directory; the job id is recorded`, () => {
      const { dir, env } = recorders();
      for (const id of HOSTILE.filter((h) => h !== '*')) {
        const bundle = path.join(dir, id);
        mkdirSync(bundle, { recursive: true });
        const script = `${id}.sh`;
        writeFileSync(path.join(bundle, script), '#!/bin/bash\necho hi\n');
        const out = run(`id=${q(id)}; script=${q(script)}; case $script in -*) script=./$script ;; esac\nf() { local jid; ${adapter.submitLine({ slots: 1 })}\n  printf '%s\\nJID\\t%s\\n' "$out" "$jid"; }\nf`, dir, env);
        expect(out, id).toContain(`CWD\t${bundle}\n`);
        if (adapter === slurm) expect(args(out), id).toEqual(['--parsable', script.startsWith('-') ? `./${script}` : script]);
        else expect(out, id).toContain('STDIN\t#!/bin/bash');
        expect(out).toContain(`JID\t${adapter === slurm ? 'slurm:4242' : 'lsf:4343'}\n`);
      }
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    });

    it(`${adapter.name}: an array's driver path and arguments reach the command as the same words; members get the array's ids`, () => {
      const { dir, env } = recorders();
      const arrays = adapter.arrays!;
      for (const driver of HOSTILE.map((h) => `.eegen/arrays/${h}.sh`).concat(['-x.sh'])) {
        mkdirSync(path.dirname(path.join(dir, driver)), { recursive: true });
        writeFileSync(path.join(dir, driver), '#!/bin/bash\n');
        const extra = arrays.submitArgs(arrays.spec(3, 2));
        const out = run(`out=$(${arrays.submitCommand(driver, extra)} 2>&1) && n=$(printf '%s' "$out" | ${arrays.jobIdFrom}) && [ -n "$n" ] || exit 7\nprintf '%s\\n' "$out"; printf 'MEMBER\\t%s\\n' "${arrays.memberJobId(arrays.firstIndex + 2)}"`, dir, env);
        if (adapter === slurm) expect(args(out), driver).toEqual(['--parsable', '--array=0-2%2', driver.startsWith('-') ? `./${driver}` : driver]);
        else expect(args(out), driver).toEqual([]);
        expect(out).toContain(adapter === slurm ? 'MEMBER\tslurm:4242_2\n' : 'MEMBER\tlsf:4343[3]\n');
      }
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    });

    it(`${adapter.name}: cancel passes only a job id; a tampered record (options, commands, globs) reaches no command`, () => {
      const { dir, env } = recorders();
      const good = adapter === slurm ? ['123', '123_4'] : ['123', '123[4]'];
      for (const id of [...good, ...HOSTILE, '', '-1', '1 2']) {
        const jid = `${adapter.jobIdPrefix}:${id}`;
        const out = run(`jid=${q(jid)}\ncase "$jid" in ${adapter.jobIdPrefix}:*) ${adapter.cancelLine(`"\${jid#${adapter.jobIdPrefix}:}"`)} ;; esac\nprintf 'STATUS\\t%s\\n%s\\n' "$?" "$out"`, dir, env);
        if (good.includes(id)) {
          expect(args(out), id).toEqual([id]);
          expect(out).toContain('STATUS\t0');
        } else {
          expect(args(out), id).toEqual([]);
          expect(out, id).toContain('STATUS\t1');
        }
      }
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    });

    it(`${adapter.name}: the status check hands the query only numeric base ids`, () => {
      const { dir, env } = recorders();
      const recorded = ['slurm:77', 'slurm:78_3', 'lsf:79[2]', 'slurm:$(touch PWNED)', 'lsf:-a', 'slurm:1 2', 'lsf:*', 'slurm:'];
      const out = run(`ids_file=$(mktemp)\nfor jid in ${recorded.map(q).join(' ')}; do ${adapter.statusCheck}; done\ncat "$ids_file"; rm -f "$ids_file"`, dir, env);
      expect(out.trim().split('\n')).toEqual(['77', '78', '79']);
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    });
  }

  it('bash: a bundle starts detached under the run wrapper with the host slots; cancel signals only a real process id', async () => {
    const { dir, env } = recorders();
    const id = "-it's $(touch PWNED)";
    mkdirSync(path.join(dir, id, 'eegen-run'), { recursive: true });
    writeFileSync(path.join(dir, id, 'eegen-run.sh'), 'printf "%s\\n" "$EEGEN_SLOTS" "$EEGEN_SLOTS_DIR" "$@" > argv.txt\n');
    for (const slots of [3, Number.NaN, -1, 2.5]) {
      const out = run(`wd=${q(dir)}; id=${q(id)}; script='-x y.sh'; case $script in -*) script=./$script ;; esac\n${bash.submitLine({ slots })}\nwait; printf 'JID\\t%s\\n' "$jid"`, dir, env);
      expect(out).toMatch(/JID\tlocal:\d+\n/);
      expect(readFileSync(path.join(dir, id, 'argv.txt'), 'utf8')).toBe(`${slots === 3 ? 3 : 1}\n${dir}/.eegen/slots\n./-x y.sh\n`);
    }
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    // Cancel: a real process group is ended; 0, 1, -1 (every process), words and options are refused.
    const child = spawn('setsid', ['sleep', '30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    for (const pid of ['0', '1', '-1', '', '$(touch PWNED)', '1 2', String(child.pid)]) {
      const out = run(`jid=${q(`local:${pid}`)}\ncase "$jid" in local:*) ${bash.cancelLine('"${jid#local:}"')} ;; esac\nprintf 'STATUS\\t%s\\n' "$?"`, dir, env);
      expect(out, pid).toContain(`STATUS\t${pid === String(child.pid) ? 0 : 1}`);
    }
    const code = await new Promise<number | null>((r) => (child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));
    expect(child.signalCode ?? code).toBe('SIGTERM');
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  it('log names: the scheduler placeholders of each adapter are filled for a job or a task; others stay', () => {
    expect(slurm.logName('.eegen/arrays/h/eegen-1-1-abc-%A_%a.out', '123_4')).toBe('.eegen/arrays/h/eegen-1-1-abc-123_4.out');
    expect(slurm.logName('x-%4a-%j-%x-%%A.out', '123_4')).toBe('x-0004-%j-%x-%A.out');
    expect(slurm.logName('slurm-%j.out', '99')).toBe('slurm-99.out');
    expect(slurm.logName('%A_%a', 'garbage')).toBe('%A_%a');
    expect(lsf.logName('eegen-1-1-%J_%I.out', lsf.jobKey('456[2]'))).toBe('eegen-1-1-456_2.out');
    expect(lsf.logName('o-%J.%I', '456')).toBe('o-456.0');
    expect(bash.logName('eegen-run/output.log', '1234')).toBe('eegen-run/output.log');
  });

  it('single-job logs: where the directives put them (the later one wins, --chdir and -cwd count), else the default', () => {
    expect(slurm.logFiles!('#!/bin/bash\n#SBATCH -p x\necho')).toEqual(['slurm-%j.out']);
    expect(slurm.logFiles!('#!/bin/bash\n#SBATCH --output=a-%j.out\n#SBATCH -o "b c-%j.out" -e/abs/e.txt\n')).toEqual(['b c-%j.out', '/abs/e.txt']);
    expect(slurm.logFiles!('#SBATCH --chdir=/scratch/me\n#SBATCH --output x.out\n')).toEqual(['/scratch/me/x.out']);
    expect(slurm.logFiles!('#SBATCH -D sub\n#SBATCH --error=/dev/null\n')).toEqual(['sub/slurm-%j.out']);
    // Below the first command sbatch reads no more directives; an unreadable line names nothing.
    expect(slurm.logFiles!('#!/bin/bash\necho\n#SBATCH --output=late.out\n')).toEqual(['slurm-%j.out']);
    expect(slurm.logFiles!('#SBATCH --output="unclosed\n')).toEqual(['slurm-%j.out']);
    expect(lsf.logFiles!('#BSUB -q normal\n')).toEqual([]);
    expect(lsf.logFiles!('#BSUB -oo "out %J.txt"\n#BSUB -eo err.txt\n#BSUB -cwd /w\n')).toEqual(['/w/out %J.txt', '/w/err.txt']);
    expect(bash.logFiles).toBeUndefined();
  });

  it('directive syntax: each adapter names the prefix and word model shell/directive.ts applies to its lines', () => {
    for (const a of schedulers()) {
      if (!a.directives) continue;
      expect(directiveKind(`${a.directives.prefix} --x=1`), a.name).toBe(a.directives.words);
    }
    expect(slurm.directives!.option('--partition=gpu')).toBe('--partition');
    expect(slurm.directives!.option('-pgpu')).toBe('-p');
    expect(lsf.directives!.option('-oo')).toBe('-oo');
  });
});

describe('the scheduler registry', () => {
  const fake: SchedulerAdapter = { ...bash, name: 'fakeq', hostKinds: ['fakeq'], jobIdPrefix: 'fq' };

  it('looks schedulers up by name, host kind and job id', () => {
    expect(schedulerNamed('slurm')).toBe(slurm);
    expect(schedulerForKind('local')).toBe(bash);
    expect(schedulerForKind('ssh')).toBe(bash);
    expect(schedulerForKind('lsf')).toBe(lsf);
    expect(schedulerForKind('pbs')).toBeUndefined();
    expect(schedulerOfJob('slurm:1_2')).toBe(slurm);
    expect(schedulerOfJob('local:77')).toBe(bash);
    expect(schedulerOfJob('fq:1')).toBeUndefined();
    expect(schedulerOfJob('no prefix')).toBeUndefined();
  });

  it('withSchedulers makes a new registry and leaves the default one as it was', () => {
    const reg = withSchedulers(DEFAULT_SCHEDULERS, fake);
    expect(schedulerForKind('fakeq', reg)).toBe(fake);
    expect(schedulerOfJob('fq:1', reg)).toBe(fake);
    expect(schedulerForKind('fakeq')).toBeUndefined();
    expect(schedulers().map((a) => a.name)).toEqual(['slurm', 'lsf', 'bash']);
    // Replacing one by name drops its old kinds and prefix.
    const again = withSchedulers(reg, { ...fake, hostKinds: ['fakeq2'], jobIdPrefix: 'fq2' });
    expect(schedulerForKind('fakeq', again)).toBeUndefined();
    expect(schedulerOfJob('fq2:1', again)?.hostKinds).toEqual(['fakeq2']);
  });

  it('refuses two schedulers that would read the same job ids or host kind, and names that are not words', () => {
    expect(() => withSchedulers(DEFAULT_SCHEDULERS, { ...fake, jobIdPrefix: 'slurm' })).toThrow(/both record job ids as slurm:/);
    expect(() => withSchedulers(DEFAULT_SCHEDULERS, { ...fake, hostKinds: ['ssh'] })).toThrow(/both claim host kind ssh/);
    expect(() => withSchedulers(DEFAULT_SCHEDULERS, { ...fake, name: 'a b' })).toThrow(/lower-case words/);
    expect(() => withSchedulers(DEFAULT_SCHEDULERS, { ...fake, jobIdPrefix: 'x:y' })).toThrow(/lower-case words/);
  });
});
