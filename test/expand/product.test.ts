import { describe, expect, it } from 'vitest';
import { iterateCombinations, productSize, varyingKeys } from '../../src/expand/index.js';
import { paramsOf, sweepOf } from './helpers.js';

const SEED_PAPER = `
experiment:
  epoch: "1,30,60"
  gpu: "a100,v100"
  repeat: "1,2,3,4,5"
`;

describe('Cartesian product (cloudmesh order)', () => {
  it('gives the seed paper example 30 combinations with the last key varying fastest', () => {
    const params = paramsOf(SEED_PAPER);
    expect(params).toHaveLength(30);
    expect(params[0]).toEqual({ epoch: 1, gpu: 'a100', repeat: 1 });
    expect(params[1]).toEqual({ epoch: 1, gpu: 'a100', repeat: 2 });
    expect(params[5]).toEqual({ epoch: 1, gpu: 'v100', repeat: 1 });
    expect(params[10]).toEqual({ epoch: 30, gpu: 'a100', repeat: 1 });
    expect(params[29]).toEqual({ epoch: 60, gpu: 'v100', repeat: 5 });
  });
  it('numbers combinations by product position and keeps YAML key order in params', () => {
    const combos = [...iterateCombinations(sweepOf(SEED_PAPER))];
    expect(combos.map((c) => c.index)).toEqual([...Array(30).keys()]);
    expect(Object.keys(combos[0]!.params)).toEqual(['epoch', 'gpu', 'repeat']);
  });
  it('includes single-valued keys in every combination and not in varyingKeys', () => {
    const text = 'experiment:\n  seed: 1234\n  gpu: "a100,v100"\n  lr: 0.001\n';
    expect(paramsOf(text)).toEqual([
      { seed: 1234, gpu: 'a100', lr: 0.001 },
      { seed: 1234, gpu: 'v100', lr: 0.001 },
    ]);
    expect(varyingKeys(sweepOf(text))).toEqual(['gpu']);
  });
  it('computes productSize arithmetically', () => {
    expect(productSize(sweepOf(SEED_PAPER))).toBe(30);
    expect(productSize(sweepOf('experiment:\n  a: {from: 1, to: 1000}\n  b: {from: 1, to: 1000}\n  c: {from: 1, to: 1000}\n'))).toBe(1e9);
  });
  it('yields one empty combination for an empty experiment', () => {
    expect(paramsOf('name: x\n')).toEqual([{}]);
  });
});

describe('sweep.zip', () => {
  const text = `
experiment:
  epoch: "1,2"
  gpu: "a100,v100"
  batch: 32
  partition: "gpu-a,gpu-v"
sweep:
  zip: [[gpu, partition]]
`;
  it('advances zipped keys together instead of multiplying them', () => {
    const params = paramsOf(text);
    expect(params).toEqual([
      { epoch: 1, gpu: 'a100', partition: 'gpu-a', batch: 32 },
      { epoch: 1, gpu: 'v100', partition: 'gpu-v', batch: 32 },
      { epoch: 2, gpu: 'a100', partition: 'gpu-a', batch: 32 },
      { epoch: 2, gpu: 'v100', partition: 'gpu-v', batch: 32 },
    ]);
  });
  it('places the group at its first key and marks the zipped dimensions', () => {
    const sweep = sweepOf(text);
    expect(sweep.dimensions.map((d) => [d.name, d.zipGroup])).toEqual([
      ['epoch', undefined],
      ['gpu', 0],
      ['partition', 0],
      ['batch', undefined],
    ]);
    expect(productSize(sweep)).toBe(4);
    expect(varyingKeys(sweep)).toEqual(['epoch', 'gpu', 'partition']);
  });
  it('accepts a comma string as a group', () => {
    expect(paramsOf(text.replace('[[gpu, partition]]', '["gpu, partition"]'))).toHaveLength(4);
  });
});

describe('sweep.repeat', () => {
  it('adds repeat = 1..N as the last, fastest key', () => {
    const text = 'experiment:\n  epoch: "1,2"\nsweep:\n  repeat: 3\n';
    const params = paramsOf(text);
    expect(params.map((p) => [p.epoch, p.repeat])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 2],
      [2, 3],
    ]);
    expect(varyingKeys(sweepOf(text))).toEqual(['epoch', 'repeat']);
  });
});
