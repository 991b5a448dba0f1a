/**
 * What a job script asks for, as the scheduler reads its directives: nodes and GPUs in all
 * (predict's node-hours and GPU-hours). Every form sbatch(1) and bsub(1) take, the later
 * directive winning, directives after the first command ignored (as the schedulers do),
 * and lines a scheduler would refuse asking for nothing rather than throwing.
 */
import { describe, expect, it } from 'vitest';
import { countOf } from '../../src/scheduler/types.js';
import { schedulerNamed } from '../../src/scheduler/registry.js';

const slurm = (lines: string[]) => schedulerNamed('slurm')!.requests!(`#!/bin/bash\n${lines.map((l) => `#SBATCH ${l}`).join('\n')}\necho run\n`);
const lsf = (lines: string[]) => schedulerNamed('lsf')!.requests!(`#!/bin/bash\n${lines.map((l) => `#BSUB ${l}`).join('\n')}\necho run\n`);

describe('scheduler requests (nodes and GPUs of a job script)', () => {
  it('Slurm: --gpus/-G in all, --gpus-per-node and --gres per node, --nodes/-N with ranges', () => {
    expect(slurm([])).toEqual({ nodes: 1, gpus: 0 });
    expect(slurm(['--gres=gpu:a100:2'])).toEqual({ nodes: 1, gpus: 2 });
    expect(slurm(['--gres=gpu:1', '--nodes=4'])).toEqual({ nodes: 4, gpus: 4 });
    expect(slurm(['--gres=gpu'])).toEqual({ nodes: 1, gpus: 1 });
    expect(slurm(['--gres=gpu:a100'])).toEqual({ nodes: 1, gpus: 1 });
    expect(slurm(['--gres=mps:100,gpu:v100:4(S:0-1)'])).toEqual({ nodes: 1, gpus: 4 });
    expect(slurm(['--gres=shard:2'])).toEqual({ nodes: 1, gpus: 0 });
    expect(slurm(['--gpus=8', '-N 2'])).toEqual({ nodes: 2, gpus: 8 });
    expect(slurm(['-G a100:3'])).toEqual({ nodes: 1, gpus: 3 });
    expect(slurm(['--gpus-per-node=4', '--nodes=2-4'])).toEqual({ nodes: 2, gpus: 8 });
    expect(slurm(['--nodes 3', '--gpus-per-node a100:2'])).toEqual({ nodes: 3, gpus: 6 });
    // The later directive wins, as in sbatch.
    expect(slurm(['--gres=gpu:1', '--gres=gpu:2'])).toEqual({ nodes: 1, gpus: 2 });
    // Options sbatch would not read: after the first command, or in a comment that is not a directive.
    expect(schedulerNamed('slurm')!.requests!('#!/bin/bash\n#SBATCH --nodes=2\necho hi\n#SBATCH --gres=gpu:4\n')).toEqual({ nodes: 2, gpus: 0 });
    expect(schedulerNamed('slurm')!.requests!('#!/bin/bash\n# SBATCH --gres=gpu:4\n##SBATCH --nodes=9\n')).toEqual({ nodes: 1, gpus: 0 });
    // An unclosed quote (sbatch refuses the line): nothing from it, no exception.
    expect(slurm(['--gres="gpu:4', '--nodes=2'])).toEqual({ nodes: 2, gpus: 0 });
    expect(slurm(['--nodes=0'])).toEqual({ nodes: 1, gpus: 0 });
  });

  it('LSF: -gpu "num=N" per host times -nnodes; -gpu - is the site default of one', () => {
    expect(lsf([])).toEqual({ nodes: 1, gpus: 0 });
    expect(lsf(['-gpu "num=2:mode=exclusive_process"'])).toEqual({ nodes: 1, gpus: 2 });
    expect(lsf(['-nnodes 3', '-gpu num=4'])).toEqual({ nodes: 3, gpus: 12 });
    expect(lsf(['-gpu -'])).toEqual({ nodes: 1, gpus: 1 });
    expect(lsf(['-gpu "mode=shared:num=6"'])).toEqual({ nodes: 1, gpus: 6 });
    expect(lsf(['-nnodes x'])).toEqual({ nodes: 1, gpus: 0 });
  });

  it('bash asks a scheduler for nothing', () => {
    expect(schedulerNamed('bash')!.requests).toBeUndefined();
  });

  it('countOf: the count of [type:]N', () => {
    expect(countOf('4', 0)).toBe(4);
    expect(countOf('a100:2', 0)).toBe(2);
    expect(countOf('a100', 1)).toBe(1);
    expect(countOf(undefined, 7)).toBe(7);
  });
});
