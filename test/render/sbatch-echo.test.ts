/**
 * Real cloudmesh templates print their directives into the job log:
 * `echo "{slurm.sbatch}"` after the first command. That is text, not a directive sbatch
 * would ignore: it renders, quoted for where it stands, and the script prints the block
 * exactly. A real `#SBATCH` line after the first command stays an error (EG4008), also
 * right after such an echo, and the block on a line of its own is still the directives.
 */
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/render/index.js';
import { context, runBash, source } from './helpers.js';

const host = { name: 'site', kind: 'slurm', scheduler: 'slurm' } as never;

function render(text: string, directives: Record<string, unknown> = { partition: 'gpu', time: '01:00:00' }) {
  return renderTemplate(source('job.in.slurm', text), { ...context({ epoch: 1 }, { host, directives: directives as never, scheduler: 'slurm' }) });
}

/** The #SBATCH lines sbatch itself reads from a script: everything up to the first command. */
function sbatchReads(script: string): string[] {
  const out: string[] = [];
  for (const line of script.split('\n').slice(1)) {
    if (/^#SBATCH/.test(line)) out.push(line);
    else if (line.trim() && !line.trim().startsWith('#')) break;
  }
  return out;
}

describe('{slurm.sbatch} printed by the script is text, not a late directive', () => {
  it('in "...", unquoted after echo, and in a here-document: renders and prints the block exactly', () => {
    const directives = { partition: 'gpu', time: '01:00:00', job_name: 'x "y" $HOME `id`' };
    const r = render('#!/bin/bash\n{slurm.sbatch}\necho "== directives"\necho "{slurm.sbatch}"\necho {slurm.sbatch}\ncat <<EOF\n{slurm.sbatch}\nEOF\n', directives);
    expect(r.diagnostics).toEqual([]);
    const block = sbatchReads(r.text!);
    expect(block).toContain('#SBATCH --partition=gpu');
    expect(block.some((l) => l.startsWith('#SBATCH --job-name='))).toBe(true);
    const run = runBash(r.text!);
    expect(run.status, run.stderr).toBe(0);
    const printed = block.join('\n');
    expect(run.stdout).toBe(`== directives\n${printed}\n${printed}\n${printed}\n`);
  });

  it('a real #SBATCH line after the first command is still EG4008, also right after such an echo', () => {
    const r = render('#!/bin/bash\n{slurm.sbatch}\necho "{slurm.sbatch}"\n#SBATCH --mem=1G\necho done\n');
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['EG4008', 6]]);
  });

  it('the block alone on a line after the first command is directives sbatch would ignore: EG4008', () => {
    const r = render('#!/bin/bash\necho start\n{slurm.sbatch}\n');
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4008', 'EG4008']);
  });

  it('directive-looking text in single quotes, a quoted here-document and $(...) is text too', () => {
    const r = render("#!/bin/bash\n{slurm.sbatch}\necho 'a\n#SBATCH --mem=1G'\ncat <<'EOF'\n#SBATCH --mem=2G\nEOF\nx=$(printf '%s' \"\n#SBATCH --mem=3G\")\n");
    expect(r.diagnostics).toEqual([]);
    expect(sbatchReads(r.text!)).toEqual(['#SBATCH --partition=gpu', '#SBATCH --time=01:00:00']);
  });
});
