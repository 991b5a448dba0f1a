import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinTemplate, directiveBlock, loadProfile, loadTemplate, lsfTime, renderTemplate } from '../../src/render/index.js';
import type { HostProfile } from '../../src/types.js';
import { context, runBash, source } from './helpers.js';

async function rivanna(): Promise<HostProfile> {
  const { profile, diagnostics } = await loadProfile('rivanna', []);
  expect(diagnostics).toEqual([]);
  return profile!;
}

describe('cloudmesh placeholders', () => {
  it('an unknown placeholder is an error naming the template file, line and nearest key', () => {
    const t = source('cloudmask.in.slurm', '#!/bin/bash\n#SBATCH --time=10\npython train.py --epochs {experiment.epoc}\n');
    const r = renderTemplate(t, context({ epoch: 30 }));
    expect(r.text).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'EG4002', severity: 'error', file: 'cloudmask.in.slurm', line: 3, hint: 'Did you mean {experiment.epoch}?' });
    expect(r.diagnostics[0]!.message).toContain('{experiment.epoc}');
  });

  it('an unknown top-level section is an error; a typo of a namespace is a warning and left alone', () => {
    const r = renderTemplate(source('a.in.sh', 'echo {data.nosuch}\necho {experimnt.epoch}\n'), context({ epoch: 1 }, { config: { data: { dir: '/d' } } }));
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.line])).toEqual([
      ['EG4002', 'error', 1],
      ['EG4003', 'warning', 2],
    ]);
    expect(r.diagnostics[0]!.hint).toContain('dir');
    const ok = renderTemplate(source('a.in.sh', 'echo {experimnt.epoch}\n'), context({ epoch: 1 }));
    expect(ok.text).toBe('echo {experimnt.epoch}\n');
  });

  it('namespaces: ee/sbatch.identifier, identifier, bundle, host, os', () => {
    const host: HostProfile = { name: 'rivanna', user: 'alice', home: '/home/alice', env: { SCRATCH: '/scratch/alice' } };
    const t = source('a.in.sh', 'echo {ee.identifier} {sbatch.identifier} {identifier} {bundle.index} {host.name} {os.USER} {os.HOME} {os.SCRATCH} {ee.time}\n');
    const r = renderTemplate(t, context({ epoch: 1 }, { host, config: { identifier: 'run_1', sbatch: { time: '10:00' } } }));
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('echo bundle-1 bundle-1 run_1 1 rivanna alice /home/alice /scratch/alice 10:00\n');
  });

  it('unknown {os.NAME} is deferred to run time: "${NAME}" where the shell expands it', () => {
    const t = source('a.in.sh', 'printf "%s\\n" /scratch/{os.USER}/x "{os.USER}" \'{os.USER}\' {data.scratch}\ncat <<EOF\n{os.USER}\nEOF\n');
    // Config values arrive resolved, with the deferred marker inside (resolve/deferred.ts).
    const r = renderTemplate(t, context({}, { config: { data: { scratch: '/scratch/\u0000env:USER\u0000/x' } } }));
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('printf "%s\\n" /scratch/"${USER}"/x "${USER}" \'\'"${USER}"\'\' \'/scratch/\'"${USER}"\'/x\'\ncat <<EOF\n${USER}\nEOF\n');
    expect(runBash(r.text!, { USER: 'bob' }).stdout).toBe('/scratch/bob/x\nbob\nbob\n/scratch/bob/x\nbob\n');
  });

  it('a deferred value cannot go where nothing expands it', () => {
    const r = renderTemplate(source('a.in.slurm', '#SBATCH --output=/scratch/{os.USER}/%j.out\necho\n'), context({}));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4004']);
    expect(r.diagnostics[0]!.message).toContain('${USER}');
  });

  it('a template that ends inside a quote is refused', () => {
    const r = renderTemplate(source('a.in.sh', "echo 'unterminated {experiment.x}\n"), context({ x: 1 }));
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['EG4005', 1]]);
    // Placeholders before the point where the scanner loses track are still safe.
    const before = renderTemplate(source('a.in.sh', "echo {experiment.x}\necho 'unterminated\n"), context({ x: 1 }));
    expect(before.diagnostics).toEqual([]);
  });

  it('a mapping cannot be placed as text', () => {
    const r = renderTemplate(source('a.in.sh', 'echo {data}\n'), context({}, { config: { data: { a: 1 } } }));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4009']);
  });
});

describe('directive blocks', () => {
  it('{slurm.sbatch} for a100 on rivanna comes from profiles/rivanna.yaml', async () => {
    const host = await rivanna();
    const directives = { ...host.defaults, ...host.directives!.a100 };
    const t = source('cloudmask.in.slurm', '#!/bin/bash\n{slurm.sbatch}\n#SBATCH --time={ee.time}\necho {experiment.gpu}\n');
    const r = renderTemplate(t, { ...context({ gpu: 'a100' }, { host, directives, config: { ee: { time: '02:00:00' } } }), scheduler: 'slurm' });
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(
      [
        '#!/bin/bash',
        '#SBATCH --gres=gpu:a100:1',
        '#SBATCH --partition=gpu',
        '#SBATCH --account=bii_dsc_community',
        '#SBATCH --time=02:00:00',
        'echo a100',
        '',
      ].join('\n'),
    );
  });

  it('#SBATCH after the first command is an error naming the output line', () => {
    const t = source('job.in.slurm', '#!/bin/bash\n#SBATCH --time=1\necho start\n#SBATCH --mem=1G\n');
    const r = renderTemplate(t, context({}));
    expect(r.text).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'EG4008', file: 'job.slurm', line: 4 });
    expect(r.diagnostics[0]!.message).toContain('first command on line 3');
  });

  it('a directive block placed after a command is caught as well', () => {
    const t = source('job.in.slurm', '#!/bin/bash\nmodule load x\n{slurm.sbatch}\n');
    const r = renderTemplate(t, context({}, { directives: { partition: 'gpu', mem: '4G' } }));
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['EG4008', 3],
      ['EG4008', 4],
    ]);
  });

  it('LSF blocks', () => {
    expect(directiveBlock('lsf', { partition: 'q', account: 'p', time: '01:30:00', nodes: 2, ntasks_per_node: 4, mem: '32G', gpus_per_node: 1, job_name: 'a b' })).toBe(
      ['#BSUB -J "a b"', '#BSUB -q q', '#BSUB -P p', '#BSUB -W 1:30', '#BSUB -nnodes 2', '#BSUB -n 8', '#BSUB -R span[ptile=4]', '#BSUB -M 32GB', '#BSUB -gpu num=1'].join('\n'),
    );
    expect(renderTemplate(source('a.in.lsf', '{lsf.bsub}\n'), context({}, { directives: { partition: 'x' } })).text).toBe('#BSUB -q x\n');
    expect([lsfTime(90), lsfTime('1-00:00:00'), lsfTime('10'), lsfTime('05:30'), lsfTime('2:00:01')]).toEqual(['1:30', '24:00', '0:10', '0:06', '2:01']);
    expect(directiveBlock('bash', { partition: 'x' })).toBe('');
  });

  it('a directive value with a newline is refused', () => {
    expect(() => directiveBlock('slurm', { partition: 'a\n#SBATCH --x' })).toThrow(/single printable line/);
    const r = renderTemplate(source('a.in.slurm', '{slurm.sbatch}\n'), context({}, { directives: { partition: 'a\nb' } }));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4011']);
  });

  it('a directive name the profile does not know is an error', async () => {
    const host = await rivanna();
    const r = renderTemplate(source('a.in.sh', 'echo\n'), context({ directive: 'a10' }, { host }));
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['EG4010', 'error']]);
    expect(r.diagnostics[0]!.hint).toMatch(/Did you mean "a100"/);
  });
});

describe('Eta templates', () => {
  it('a syntax error names the template line', () => {
    const r = renderTemplate(source('job.sh.eta', '#!/bin/bash\necho hi\n<% if (it.params.x { %>\necho\n<% } %>\n'), context({ x: 1 }));
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'EG4006', file: 'job.sh.eta', line: 3 });
  });

  it('an unclosed tag names its line', () => {
    const r = renderTemplate(source('job.sh.eta', '#!/bin/bash\n\necho <%= it.params.x\n'), context({ x: 1 }));
    expect(r.diagnostics[0]).toMatchObject({ code: 'EG4006', line: 3 });
  });

  it('a runtime error names the template line, without a stack trace', () => {
    const r = renderTemplate(source('job.sh.eta', '#!/bin/bash\necho\necho <%= it.params.nosuch.deeper %>\n'), context({ x: 1 }));
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'EG4007', file: 'job.sh.eta', line: 3 });
    expect(r.diagnostics[0]!.message).not.toMatch(/\n\s+at /);
  });

  it('an undefined <%= %> value is an error (typo guard)', () => {
    const r = renderTemplate(source('job.sh.eta', 'echo <%= it.params.epohc %>\n'), context({ epoch: 1 }));
    expect(r.diagnostics[0]).toMatchObject({ code: 'EG4007', line: 1 });
  });

  it('a backslash right before <%= %> is refused, never a silently dropped value', () => {
    for (const [text, line] of [['echo \\<%= it.params.v %>\n', 1], ['echo "\\<%= it.params.v %>"\n', 1], ['cat <<EOF\n\\<%= it.params.v %>\nEOF\n', 2]] as const) {
      const r = renderTemplate(source('job.sh.eta', text), context({ v: 'x' }));
      expect(r.text, text).toBeUndefined();
      expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['EG4004', line]]);
    }
  });

  it('newlines after tags are kept, -%> drops one, raw output is raw', () => {
    const r = renderTemplate(source('a.sh.eta', '<% if (true) { %>\na\n<% } -%>\nb <%~ it.config.cmd %>\n'), context({}, { config: { cmd: 'ls | wc -l' } }));
    expect(r.text).toBe('\na\nb ls | wc -l\n');
  });

  it('deferred values: "${NAME}" from <%= %>, ${NAME} from <%~ %>', () => {
    const dir = '\u0000env:USER\u0000';
    const r = renderTemplate(source('a.sh.eta', 'echo <%= it.config.d %> <%~ it.config.d %>\n'), context({}, { config: { d: `/s/${dir}` } }));
    expect(r.text).toBe('echo \'/s/\'"${USER}" /s/${USER}\n');
  });
});

describe('built-in templates', () => {
  const run = { command: 'printf "%s\\n" "epochs=30" "$EEGEN_BUNDLE_ID"' };

  it('slurm: directives first, relocatable, status lines, runs the command', async () => {
    const host = await rivanna();
    const directives = { ...host.directives!.a100, time: '01:00:00', setup: ['echo setup-line'] };
    const t = builtinTemplate('slurm');
    expect(t).toMatchObject({ kind: 'eta', outputName: 'job.slurm', scheduler: 'slurm' });
    const r = renderTemplate(t, { ...context({ gpu: 'a100' }, { host, directives, config: { run } }), scheduler: 'slurm' });
    expect(r.diagnostics).toEqual([]);
    const text = r.text!;
    expect(text).toMatch(/^#!\/usr\/bin\/env bash\n#SBATCH --gres=gpu:a100:1\n#SBATCH --partition=gpu\n#SBATCH --account=bii_dsc_community\n#SBATCH --time=01:00:00\n/);
    expect(text).toContain('#SBATCH --time=01:00:00\n#SBATCH --job-name=bundle-1\n');
    expect(text).toContain('set -euo pipefail');
    expect(text).toContain('cd "${EEGEN_BUNDLE:-${SLURM_SUBMIT_DIR:-$(cd "$(dirname "$0")" && pwd)}}"');
    const out = runBash(text);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^# cloudmesh status=running progress=0 pid=\d+\nsetup-line\nepochs=30\nbundle-1\n# cloudmesh status=done progress=100 pid=\d+\n$/);
  });

  it('a failing command reports status=failed with its exit code', () => {
    for (const scheduler of ['bash', 'lsf', 'slurm'] as const) {
      const r = renderTemplate(builtinTemplate(scheduler), { ...context({}, { config: { run: { command: 'exit 3' } } }), scheduler });
      expect(r.diagnostics).toEqual([]);
      const out = runBash(r.text!);
      expect(out.status).toBe(3);
      expect(out.stdout).toMatch(/# cloudmesh status=failed exit=3 pid=\d+\n$/);
    }
  });

  it('lsf and bash', () => {
    const lsf = renderTemplate(builtinTemplate('lsf'), { ...context({}, { config: { run: { script: 'my run.sh' } }, directives: { partition: 'batch' } }), scheduler: 'lsf' });
    expect(lsf.text).toMatch(/^#!\/usr\/bin\/env bash\n#BSUB -q batch\n#BSUB -J bundle-1\n/);
    expect(lsf.text).toContain("\nbash 'my run.sh'\n");
    const bash = renderTemplate(builtinTemplate('bash'), context({}, { config: { run } }));
    expect(bash.text).not.toMatch(/#SBATCH|#BSUB/);
    expect(runBash(bash.text!).stdout).toContain('epochs=30\n');
  });

  it('without run.command or run.script the job fails loudly', () => {
    const r = renderTemplate(builtinTemplate('bash'), context({}));
    const out = runBash(r.text!);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('no run.command or run.script');
  });
});

describe('loadTemplate', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eegen-tpl-'));
  const cases: [string, string, string, string][] = [
    ['cloudmask.in.slurm', 'cloudmesh', 'cloudmask.slurm', 'slurm'],
    ['run.in.sh', 'cloudmesh', 'run.sh', 'bash'],
    ['x.in.lsf', 'cloudmesh', 'x.lsf', 'lsf'],
    ['job.slurm.eta', 'eta', 'job.slurm', 'slurm'],
    ['job.bsub.eta', 'eta', 'job.bsub', 'lsf'],
    ['job.sbatch', 'cloudmesh', 'job.sbatch', 'slurm'],
  ];
  for (const [name, kind, outputName, scheduler] of cases) {
    it(name, async () => {
      const file = path.join(dir, name);
      writeFileSync(file, 'echo\n');
      const { template, diagnostics } = await loadTemplate(file);
      expect(diagnostics).toEqual([]);
      expect(template).toMatchObject({ file, kind, outputName, scheduler, text: 'echo\n' });
    });
  }
  it('a missing file is a diagnostic', async () => {
    const r = await loadTemplate(path.join(dir, 'nope.in.slurm'));
    expect(r.template).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4001']);
  });
});

describe('loadProfile', () => {
  it('built-in profiles load and validate', async () => {
    const host = await rivanna();
    expect(host).toMatchObject({ name: 'rivanna', scheduler: 'slurm' });
    expect(Object.keys(host.directives!)).toEqual(expect.arrayContaining(['a100', 'a100-dgx', 'v100', 'k80']));
    const local = await loadProfile('localhost', []);
    expect(local.profile).toMatchObject({ name: 'localhost', scheduler: 'bash', kind: 'local' });
  });

  it('a project profile comes before the built-in one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eegen-prof-'));
    writeFileSync(path.join(dir, 'rivanna.yaml'), 'scheduler: slurm\nuser: alice\ndirectives:\n  a100:\n    partition: mine\n');
    const { profile, diagnostics } = await loadProfile('rivanna', [dir]);
    expect(diagnostics).toEqual([]);
    expect(profile).toMatchObject({ name: 'rivanna', user: 'alice', directives: { a100: { partition: 'mine' } } });
  });

  it('unknown and invalid profiles', async () => {
    const missing = await loadProfile('rivana', []);
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['EG4020']);
    expect(missing.diagnostics[0]!.hint).toContain('Did you mean "rivanna"?');
    expect((await loadProfile('../etc/passwd', [])).diagnostics.map((d) => d.code)).toEqual(['EG4021']);
    const dir = mkdtempSync(path.join(tmpdir(), 'eegen-prof-'));
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'bad.yaml'), 'scheduler: pbs\ndirective:\n  a100: {partition: x}\n');
    const bad = await loadProfile('bad', [dir]);
    expect(bad.profile).toBeUndefined();
    expect(bad.diagnostics.map((d) => d.code).sort()).toEqual(['EG2001', 'EG2004']);
  });
});
