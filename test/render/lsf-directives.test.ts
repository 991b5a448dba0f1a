/**
 * #BSUB lines after the first command, as LSF really treats them. IBM Spectrum LSF's bsub
 * documentation (bsub job_script: "#!/bin/sh / #BSUB -n 2 / myjob1 arg1 / myjob2 arg2 /
 * #BSUB -P myproj" runs "with the bsub -n 2 and -P myproj options"; bsub command: options
 * in the standard input "if the line begins with #BSUB") says bsub reads every line that
 * begins with #BSUB, wherever it is, and it reads lines, not shell: so such a line is
 * applied, not ignored, also inside a quoted string or a here-document. eegen says so
 * (EG4014, a warning; the script is written) instead of claiming LSF ignores it, and stays
 * quiet when the header already has the same line (the block printed into the log). sbatch
 * does ignore late #SBATCH lines: that stays the error EG4008. LSF cannot be installed
 * here, so what LSF does is taken from its documentation, not from a run.
 */
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/render/index.js';
import { compile } from '../../src/compile/index.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { context, source } from './helpers.js';
import { tmpDir } from '../support/tree.js';

const lsf = (text: string, directives = {}) => renderTemplate(source('job.in.lsf', text), { ...context({}, { directives }), scheduler: 'lsf' });

describe('#BSUB after the first command (documented LSF behaviour; no LSF here)', () => {
  it('a top-level #BSUB line after a command is a warning that LSF applies it; the script is still rendered', () => {
    const r = lsf('#!/bin/bash\n#BSUB -q normal\necho start\n#BSUB -W 1:00\necho end\n');
    expect(r.text).toBe('#!/bin/bash\n#BSUB -q normal\necho start\n#BSUB -W 1:00\necho end\n');
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.file, d.line])).toEqual([['EG4014', 'warning', 'job.lsf', 4]]);
    const d = r.diagnostics[0]!;
    expect(d.message).toContain('comes after the first command on line 3');
    expect(d.message).toContain('LSF still applies it');
    expect(d.message).not.toMatch(/ignore/);
    expect(d.hint).toMatch(/Move it above the first command in job\.in\.lsf/);
  });

  it('#BSUB inside a here-document or a quoted string is applied too (bsub does not parse the shell): warned as such', () => {
    const r = lsf('#!/bin/bash\n#BSUB -q normal\ncat > note.txt <<EOF\n#BSUB -q other\nEOF\necho "a\n#BSUB -P someone\nb"\n');
    expect(r.text).toBeDefined();
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['EG4014', 4],
      ['EG4014', 7],
    ]);
    for (const d of r.diagnostics) {
      expect(d.message).toContain('inside a quoted string or here-document');
      expect(d.hint).toMatch(/keep it from starting with #BSUB/);
    }
  });

  it('a late line the header already has (a here-document copying the directives) applies nothing new: no diagnostic', () => {
    const r = lsf('#!/bin/bash\n#BSUB -q gpu\n#BSUB -P proj\ncat > sub.lsf <<EOF\n#!/bin/bash\n#BSUB -q gpu\n#BSUB -P proj \nEOF\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toContain('<<EOF\n#!/bin/bash\n#BSUB -q gpu\n');
  });

  it('a value that would make a #BSUB line anywhere stays refused (EG4004): only the template writes lines bsub reads', () => {
    const r = lsf('#!/bin/bash\n{lsf.bsub}\necho "{lsf.bsub}"\n', { partition: 'gpu', account: 'proj' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4004']);
  });

  it('the same block alone on a line after a command, with one line the header lacks: only that line is reported', () => {
    const r = lsf('#!/bin/bash\n#BSUB -q gpu\nmodule load x\n{lsf.bsub}\n', { partition: 'gpu', mem: '4G' });
    expect(r.diagnostics.map((d) => [d.code, d.line, d.severity])).toEqual([['EG4014', 5, 'warning']]);
    expect(r.diagnostics[0]!.message).toContain('("#BSUB -M 4GB")');
  });

  it('lines LSF does not read as directives are not reported: indented, lower case, #BSUBX', () => {
    expect(lsf('#!/bin/bash\necho start\n  #BSUB -q x\n#bsub -q y\n#BSUBX -q z\n').diagnostics).toEqual([]);
  });

  it('#SBATCH after the first command is still the error EG4008, saying sbatch ignores it; no script', () => {
    const r = renderTemplate(source('job.in.slurm', '#!/bin/bash\n#SBATCH --time=1\necho start\n#SBATCH --mem=1G\n'), { ...context({}), scheduler: 'slurm' });
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.line])).toEqual([['EG4008', 'error', 4]]);
    expect(r.diagnostics[0]!.message).toContain('sbatch ignores #SBATCH lines after the first command');
  });

  it('in a build: the bundle is written with the warning at the rendered line; --strict makes it fail', async () => {
    const dir = tmpDir('eegen-bsub-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.yaml'), 'experiment:\n  q: "short,long"\n');
    writeFileSync(path.join(dir, 'job.in.lsf'), '#!/bin/bash\n#BSUB -J job\necho start\n#BSUB -q {experiment.q}\n');
    const r = await compile({ config: path.join(dir, 'config.yaml'), template: path.join(dir, 'job.in.lsf'), workers: 0 });
    expect(r.plan?.bundles.map((b) => b.id)).toEqual(['q-short', 'q-long']);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) expect([d.code, d.severity, d.file, d.line]).toEqual(['EG4014', 'warning', 'job.lsf', 4]);
    const strict = await compile({ config: path.join(dir, 'config.yaml'), template: path.join(dir, 'job.in.lsf'), workers: 0, strict: true });
    expect(strict.diagnostics.some((d) => d.code === 'EG4014')).toBe(true);
    expect(strict.plan).toBeUndefined();
  });
});
