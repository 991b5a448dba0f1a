/**
 * Scheduler differences live in the adapters (src/scheduler/) and nowhere else in the
 * dispatcher and the inventory: no `kind === 'slurm'` switch, no scheduler command named in
 * code (comments aside); nor do the compile-side files that used to switch (shell/,
 * resolve/, and the renderer's directive blocks and template extensions). The cloudmesh
 * formats' own `slurm.sbatch` section and the workflow coordinator's words are theirs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Code lines (block and line comments removed) that match `re`, as `file:line: text`. */
function hits(dirs: string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const f of dirs.flatMap((d) => files(path.join(ROOT, 'src', d)))) {
    const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
    code.split('\n').forEach((line, i) => {
      const text = line.replace(/(^|[^:'"`\\])\/\/.*$/, '$1');
      if (re.test(text)) out.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

describe('no scheduler switches outside src/scheduler', () => {
  it('finds what it looks for (a search that finds nothing would pass anything)', () => {
    expect(hits(['scheduler'], /\bsbatch\b/).length).toBeGreaterThan(0);
    expect(hits(['scheduler'], /name: 'slurm'/)).toHaveLength(1);
  });

  it("no kind === 'slurm' / 'lsf' or case 'slurm' / 'lsf' in the dispatcher, the inventory, the adapters or the compile-side files that used to switch", () => {
    expect(hits(['dispatch', 'inventory', 'scheduler', 'shell', 'resolve', 'render'], /kind\s*[!=]==\s*'(slurm|lsf)'|case\s+'(slurm|lsf)'/)).toEqual([]);
  });

  it("the renderer writes no scheduler's directives and maps no template extension itself: the adapters' block() and templateExtensions do", () => {
    // Each scheduler's option words are the adapter's alone.
    expect(hits(['render'], /scheduler\s*[!=]==\s*'|'--(job-name|partition|gpus-per-node)'|'-(nnodes|gpu)'|'\.(slurm|sbatch|lsf|bsub)'/)).toEqual([]);
    expect(hits(['scheduler'], /block: slurmBlock|block: lsfBlock/)).toHaveLength(2);
    expect(hits(['scheduler'], /templateExtensions: \[/)).toHaveLength(2);
  });

  it('the dispatcher and the inventory name no scheduler and run no scheduler command in code', () => {
    expect(hits(['dispatch', 'inventory'], /\b(sbatch|scancel|scontrol|squeue|sacct|bsub|bkill|bjobs)\b|['"](slurm|lsf)['"]/).filter((h) => !h.includes("export type HostKind = 'local' | 'ssh' | 'slurm' | 'lsf'"))).toEqual([]);
  });
});
