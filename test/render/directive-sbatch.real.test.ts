/**
 * Values on scheduler directive lines reach the scheduler as exactly one word with their
 * exact bytes, or are refused (EG4004 / EG4011): never a second option. Slurm is the real
 * sbatch (jobs submitted held, read back with squeue/scontrol, cancelled); LSF has no
 * real bsub here, so its lines are checked with the modelled tokenizer ("fake").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directiveBlock, renderTemplate } from '../../src/render/index.js';
import { lsfWords, sbatchWords } from '../../src/shell/directive.js';
import { skipWithout } from '../support/env.js';
import { context, source } from './helpers.js';

const HOSTILE: string[] = [
  'x --output=/tmp/eegen-evil-%j.out',
  '--output=/tmp/eegen-evil.out',
  '-o',
  'a b',
  "it's",
  'a"b',
  '"',
  "'",
  '""',
  "''",
  'back\\slash',
  'a\\',
  '\\"',
  '\\ x',
  'a=b=c',
  '50%j %x',
  '#hash',
  'a #b --output=/tmp/eegen-evil.out',
  'ü日本∀',
  ' lead',
  'trail ',
  'hetjob',
  'PackJob',
  ':x',
  'a\tb',
  '',
];

interface Case {
  name: string;
  file: string;
  template: string;
  params?: Record<string, string>;
  directives?: Record<string, string>;
  /** Values this position may refuse (they cannot be one exact word there). */
  mayRefuse: (v: string) => boolean;
  /** Fields compared: JobName and/or Comment. */
  fields: ('name' | 'comment')[];
}

const CASES = (v: string): Case[] => [
  { name: 'cloudmesh {experiment.v} after =', file: 'job.in.slurm', template: '#!/bin/bash\n#SBATCH --job-name={experiment.v}\n#SBATCH --comment={experiment.v}\ntrue\n', params: { v }, mayRefuse: () => false, fields: ['name', 'comment'] },
  { name: 'cloudmesh {experiment.v} as its own word', file: 'job.in.slurm', template: '#!/bin/bash\n#SBATCH --comment {experiment.v}\n#SBATCH --job-name={experiment.v}\ntrue\n', params: { v }, mayRefuse: (x) => x === '', fields: ['name', 'comment'] },
  { name: 'cloudmesh inside the template\'s own "..."', file: 'job.in.slurm', template: '#!/bin/bash\n#SBATCH --job-name="{experiment.v}"\n#SBATCH --comment=\'{experiment.v}\'\ntrue\n', params: { v }, mayRefuse: () => false, fields: ['name', 'comment'] },
  { name: 'Eta <%= it.params.v %>', file: 'job.slurm.eta', template: '#!/bin/bash\n#SBATCH --job-name=<%= it.params.v %>\n#SBATCH --comment <%= it.params.v %>\ntrue\n', params: { v }, mayRefuse: (x) => x === '', fields: ['name', 'comment'] },
  { name: 'resources job_name in {slurm.sbatch}', file: 'job.in.slurm', template: '#!/bin/bash\n{slurm.sbatch}\ntrue\n', directives: { job_name: v }, mayRefuse: () => false, fields: v === '' ? [] : ['name'] /* job_name: '' means not set */ },
  { name: 'resources job_name in it.sbatch', file: 'job.slurm.eta', template: '#!/bin/bash\n<%~ it.sbatch %>\ntrue\n', directives: { job_name: v }, mayRefuse: () => false, fields: v === '' ? [] : ['name'] /* job_name: '' means not set */ },
];

const jobs: string[] = [];
afterAll(() => {
  if (jobs.length) spawnSync('scancel', jobs);
});

const SEP = '\u241e\u241e';

function submit(dir: string, script: string): { id?: string; stderr: string } {
  writeFileSync(path.join(dir, 'job.slurm'), script);
  const r = spawnSync('sbatch', ['--hold', '--parsable', 'job.slurm'], { cwd: dir, encoding: 'utf8' });
  const id = /^(\d+)/.exec(r.stdout.trim())?.[1];
  if (id) jobs.push(id);
  return { id, stderr: r.stderr };
}

function jobFields(id: string): { name: string; comment: string; stdout: string } {
  const q = spawnSync('squeue', ['-h', '-j', id, '-o', `%j${SEP}%k${SEP}`], { encoding: 'utf8' });
  const [name, comment] = q.stdout.split(SEP);
  const show = spawnSync('scontrol', ['show', 'job', id], { encoding: 'utf8' }).stdout;
  const stdout = /^\s*StdOut=(.*)$/m.exec(show)?.[1] ?? '';
  return { name: name!, comment: comment === '(null)' ? '' : comment!, stdout };
}

describe.skipIf(skipWithout('slurm'))('directive values with the real sbatch', () => {
  for (const v of HOSTILE) {
    for (const c of CASES(v)) {
      it(`${c.name}: ${JSON.stringify(v)} is one exact word or refused`, () => {
        const t = source(c.file, c.template);
        const ctx = { ...context(c.params ?? {}, { directives: c.directives ?? {} }), scheduler: 'slurm' as const };
        const r = renderTemplate(t, ctx);
        if (r.text === undefined) {
          expect(c.mayRefuse(v), `refused unexpectedly: ${r.diagnostics.map((d) => d.message).join('; ')}`).toBe(true);
          expect(r.diagnostics.some((d) => /^EG40(04|11)$/.test(d.code))).toBe(true);
          return;
        }
        const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'eegen-dsb-')));
        const s = submit(dir, r.text);
        if (/^(hetjob|packjob)$/i.test(v) && !s.id) {
          // sbatch refuses a quoted hetjob word on its own ("Invalid directive"): an error, not a second job component.
          expect(s.stderr).toMatch(/Invalid directive/);
          return;
        }
        expect(s.id, `sbatch failed: ${s.stderr}\n${r.text}`).toBeDefined();
        const f = jobFields(s.id!);
        if (c.fields.includes('name')) expect(f.name).toBe(v);
        if (c.fields.includes('comment')) expect(f.comment).toBe(v);
        // No other option took effect: the log stays in the bundle directory.
        expect(f.stdout).toBe(`${dir}/slurm-${s.id}.out`);
        spawnSync('scancel', [s.id!]);
      });
    }
  }

  it('#SBATCH lines a value makes below the first command (echo, here-document, the echoed block) change nothing for sbatch', () => {
    const v = 'x\n#SBATCH --output=/tmp/eegen-evil-%j.out\n#SBATCH --job-name=evil';
    for (const tpl of ['#!/bin/bash\n#SBATCH --job-name=good\necho {experiment.v}\n', "#!/bin/bash\n#SBATCH --job-name=good\necho '{experiment.v}'\n", '#!/bin/bash\n#SBATCH --job-name=good\ncat <<EOF\n{experiment.v}\nEOF\n', '#!/bin/bash\n{slurm.sbatch}\necho "{slurm.sbatch}"\n']) {
      const r = renderTemplate(source('job.in.slurm', tpl), { ...context({ v }, { directives: { job_name: 'good' } }), scheduler: 'slurm' });
      expect(r.diagnostics, tpl).toEqual([]);
      const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'eegen-dsb-')));
      const sub = submit(dir, r.text!);
      expect(sub.id, sub.stderr).toBeDefined();
      const f = jobFields(sub.id!);
      expect(f.name, tpl).toBe('good');
      expect(f.stdout).toBe(`${dir}/slurm-${sub.id}.out`);
      spawnSync('scancel', [sub.id!]);
    }
  });

  it('a partition from resources with an option in it stays one word (sbatch names the whole value)', () => {
    const block = directiveBlock('slurm', { partition: 'debug --output=/tmp/eegen-evil.out' });
    expect(block).toBe('#SBATCH --partition="debug --output=/tmp/eegen-evil.out"');
    const dir = mkdtempSync(path.join(tmpdir(), 'eegen-dsb-'));
    const s = submit(dir, `#!/bin/bash\n${block}\ntrue\n`);
    expect(s.id).toBeUndefined();
    expect(s.stderr).toMatch(/invalid partition/i);
  });

  it('a value that would make a #BSUB/#PBS line of its own is refused anywhere (sbatch and bsub read them below commands too)', () => {
    for (const v of ['x\n#BSUB -o /tmp/eegen-evil.out #', 'x\n#PBS -o /tmp/eegen-evil.out']) {
      for (const tpl of ['#!/bin/bash\necho {experiment.v}\n', "#!/bin/bash\necho '{experiment.v}'\n", '#!/bin/bash\ncat <<EOF\n{experiment.v}\nEOF\n']) {
        const r = renderTemplate(source('job.in.slurm', tpl), { ...context({ v }), scheduler: 'slurm' });
        expect(r.text, tpl).toBeUndefined();
        expect(r.diagnostics.map((d) => d.code)).toContain('EG4004');
      }
    }
    // The same value without the directive-looking line still renders.
    expect(renderTemplate(source('job.in.slurm', '#!/bin/bash\necho {experiment.v}\n'), context({ v: 'x\n# BSUB is fine' })).text).toBeDefined();
  });

  it('#SLURM and #PBS lines are directive lines too (sbatch reads them)', () => {
    const r = renderTemplate(source('job.in.slurm', '#!/bin/bash\n#SLURM --job-name={experiment.v}\n#PBS -N {experiment.v}\ntrue\n'), { ...context({ v: 'a --output=/tmp/eegen-evil.out' }), scheduler: 'slurm' });
    expect(r.text).toContain('#SLURM --job-name="a --output=/tmp/eegen-evil.out"');
    expect(r.text).toContain('#PBS -N "a --output=/tmp/eegen-evil.out"');
  });

  it('a backslash right before the value is refused, not allowed to split it', () => {
    const r = renderTemplate(source('job.in.slurm', '#!/bin/bash\n#SBATCH --job-name=\\{experiment.v}\ntrue\n'), { ...context({ v: 'a b' }), scheduler: 'slurm' });
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain('EG4004');
  });
});

describe('LSF #BSUB lines (fake: modelled bsub tokenizer, rendered line)', () => {
  for (const v of HOSTILE) {
    it(`rendered line: ${JSON.stringify(v)} is one exact word for bsub and sbatch, or refused`, () => {
      for (const [file, tpl] of [
        ['job.in.lsf', '#BSUB -J {experiment.v}\n'],
        ['job.lsf.eta', '#BSUB -J <%= it.params.v %>\n'],
      ] as const) {
        const r = renderTemplate(source(file, tpl), { ...context({ v }), scheduler: 'lsf' });
        if (r.text === undefined) {
          expect(v === '' || /["\\]/.test(v), `${file}: ${r.diagnostics.map((d) => d.message).join('; ')}`).toBe(true);
          expect(r.diagnostics.map((d) => d.code)).toContain('EG4004');
          continue;
        }
        const args = r.text.split('\n')[0]!.slice('#BSUB'.length);
        expect(lsfWords(args)).toEqual(['-J', v]);
        expect(sbatchWords(args)).toEqual(['-J', v]);
      }
      let block: string | undefined;
      try {
        block = directiveBlock('lsf', { job_name: v, partition: v });
      } catch {
        expect(v === '' || /["\\]/.test(v)).toBe(true);
      }
      if (block !== undefined && v !== '') {
        for (const line of block.split('\n')) expect(lsfWords(line.slice(5))).toEqual([line.includes('-J') ? '-J' : '-q', v]);
      }
    });
  }
});
