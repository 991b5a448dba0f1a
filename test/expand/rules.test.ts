import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/index.js';
import { iterateCombinations, planSweep } from '../../src/expand/index.js';
import { load, paramsOf, sweepOf, where } from './helpers.js';

const BASE = `
experiment:
  epoch: "1,30,60"
  gpu: "a100,v100"
`;

describe('exclude', () => {
  it('removes combinations matching every key of a pattern (numbers by value)', () => {
    const params = paramsOf(`${BASE}sweep:\n  exclude:\n    - {gpu: v100, epoch: "60"}\n`);
    expect(params).toHaveLength(5);
    expect(params).not.toContainEqual({ epoch: 60, gpu: 'v100' });
    expect(params).toContainEqual({ epoch: 60, gpu: 'a100' });
  });
  it('matches * and ? globs and any item of a list', () => {
    expect(paramsOf(`${BASE}sweep:\n  exclude:\n    - {gpu: "v*"}\n`).map((p) => p.gpu)).toEqual(['a100', 'a100', 'a100']);
    expect(paramsOf(`${BASE}sweep:\n  exclude:\n    - {gpu: "?100", epoch: [1, 60]}\n`).map((p) => p.epoch)).toEqual([30, 30]);
  });
  it('removes combinations where an expression string is true', () => {
    const params = paramsOf(`${BASE}sweep:\n  exclude:\n    - "epoch > 30 and gpu == 'v100'"\n`);
    expect(params).toHaveLength(5);
    expect(params).not.toContainEqual({ epoch: 60, gpu: 'v100' });
  });
  it('supports {when, reason} and shows the reason in the plan', () => {
    const sweep = sweepOf(`${BASE}sweep:\n  exclude:\n    - {when: "epoch * 2 > 100", reason: "too long"}\n`);
    const plan = planSweep(sweep);
    expect(plan.rules).toEqual([{ rule: 'exclude[0] epoch * 2 > 100', kind: 'exclude', removed: 2, reason: 'too long', examples: [{ epoch: 60, gpu: 'a100' }, { epoch: 60, gpu: 'v100' }] }]);
    expect(plan.kept).toBe(4);
  });
  it('takes a reason key beside a pattern and accepts experiment.KEY names', () => {
    const plan = planSweep(sweepOf(`${BASE}sweep:\n  exclude:\n    - {experiment.gpu: v100, reason: "no v100 left"}\n`));
    expect(plan.rules[0]).toMatchObject({ rule: 'exclude[0] {experiment.gpu: v100}', removed: 3, reason: 'no v100 left' });
  });
  it('credits each removal to the first matching rule in the plan', () => {
    const plan = planSweep(sweepOf(`${BASE}sweep:\n  exclude:\n    - {gpu: v100}\n    - "epoch == 60"\n`));
    expect(plan.product).toBe(6);
    expect(plan.rules.map((r) => [r.rule, r.removed])).toEqual([
      ['exclude[0] {gpu: v100}', 3],
      ['exclude[1] epoch == 60', 1],
    ]);
    expect(plan.kept).toBe(2);
    expect(plan.overLimit).toBe(false);
  });
});

describe('derive', () => {
  const text = `
experiment:
  nodes: "1,2"
  gpus_per_node: "4,8"
sweep:
  derive:
    tasks: "nodes * gpus_per_node"
    label: "str(tasks) + '-tasks'"
`;
  it('computes values in order, later ones using earlier ones, after the experiment keys', () => {
    const params = paramsOf(text);
    expect(params[3]).toEqual({ nodes: 2, gpus_per_node: 8, tasks: 16, label: '16-tasks' });
    expect(Object.keys(params[0]!)).toEqual(['nodes', 'gpus_per_node', 'tasks', 'label']);
  });
  it('lets exclude rules use derived values', () => {
    const params = paramsOf(`${text}  exclude:\n    - {when: "tasks > 8", reason: "cluster has 8 GPUs"}\n`);
    expect(params.map((p) => p.tasks)).toEqual([4, 8, 8]);
  });
  it('rounds away binary noise in derived numbers', () => {
    expect(paramsOf('experiment:\n  lr: 0.1\nsweep:\n  derive:\n    x: "lr * 3"\n')[0]!.x).toBe(0.3);
  });
});

describe('evaluation errors', () => {
  const text = `
experiment:
  gpus: "0,1,2"
sweep:
  derive:
    per: "8 / gpus"
`;
  it('are collected as diagnostics naming the combination, not thrown', () => {
    const sink: Diagnostic[] = [];
    const loaded = load(text);
    const combos = [...iterateCombinations(sweepOf(text), sink)];
    expect(combos.map((c) => c.params.per)).toEqual([null, 8, 4]);
    expect(sink).toHaveLength(1);
    expect(sink[0]!.message).toContain('combination #0 {gpus: 0}');
    expect(sink[0]!.message).toContain('Division by zero');
    expect(where(loaded, sink[0]!)).toMatchObject({ code: 'EG3023', line: 6, text: '8 / gpus' });
  });
  it('are not reported for combinations an exclude rule removes', () => {
    const sink: Diagnostic[] = [];
    const combos = [...iterateCombinations(sweepOf(`${text}  exclude: [{gpus: 0}]\n`), sink)];
    expect(combos).toHaveLength(2);
    expect(sink).toEqual([]);
  });
  it('are capped at ten in the plan with a count of the rest', () => {
    const plan = planSweep(sweepOf('experiment:\n  a: {from: 1, to: 50}\nsweep:\n  exclude: ["a / 0 > 1"]\n'));
    expect(plan.kept).toBe(50);
    expect(plan.evalErrors).toHaveLength(11);
    expect(plan.evalErrors[10]!.message).toBe('40 more combinations failed to evaluate.');
  });
});
