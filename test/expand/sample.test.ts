import { describe, expect, it } from 'vitest';
import { iterateCombinations, planSweep } from '../../src/expand/index.js';
import { sweepOf } from './helpers.js';

const GRID = `
experiment:
  a: {from: 1, to: 20}
  b: {from: 1, to: 10}
  c: "x,y,z"
`;
const withSample = (sample: string, extra = '') => sweepOf(`${GRID}sweep:\n  sample: ${sample}\n${extra}`);
const indexes = (sample: string, extra = '') => [...iterateCombinations(withSample(sample, extra))].map((c) => c.index);

describe('random sampling', () => {
  it('is deterministic for a seed and returns count combinations in sweep order', () => {
    const first = indexes('{count: 25, method: random, seed: 42}');
    expect(first).toHaveLength(25);
    expect(indexes('{count: 25, method: random, seed: 42}')).toEqual(first);
    expect([...first].sort((x, y) => x - y)).toEqual(first);
    expect(new Set(first).size).toBe(25);
  });
  it('gives a different set for a different seed', () => {
    expect(indexes('{count: 25, seed: 7}')).not.toEqual(indexes('{count: 25, seed: 42}'));
  });
  it('samples only what exclude keeps, and keeps all when count >= kept', () => {
    const kept = indexes('{count: 50, seed: 1}', '  exclude: [{c: z}]\n');
    const params = [...iterateCombinations(withSample('{count: 50, seed: 1}', '  exclude: [{c: z}]\n'))].map((c) => c.params.c);
    expect(kept).toHaveLength(50);
    expect(params).not.toContain('z');
    expect(indexes('{count: 1000, seed: 1}')).toHaveLength(600);
  });
  it('is counted in the plan as a sample rule', () => {
    const plan = planSweep(withSample('{count: 25, method: random, seed: 42}', '  exclude: [{c: z}]\n'));
    expect(plan.rules.map((r) => [r.kind, r.rule, r.removed])).toEqual([
      ['exclude', 'exclude[0] {c: z}', 200],
      ['sample', 'sample random count=25 seed=42', 375],
    ]);
    expect(plan.rules[1]!.examples).toHaveLength(3);
    expect(plan.kept).toBe(25);
  });
});

describe('Latin hypercube sampling', () => {
  it('uses every value of each axis equally often', () => {
    const combos = [...iterateCombinations(withSample('{count: 20, method: lhs, seed: 3}'))];
    expect(combos).toHaveLength(20);
    const count = (key: string) => {
      const m = new Map<unknown, number>();
      for (const c of combos) m.set(c.params[key], (m.get(c.params[key]) ?? 0) + 1);
      return [...m.values()].sort();
    };
    expect(count('a')).toEqual(Array(20).fill(1)); // 20 values, 20 points: each once
    expect(count('b')).toEqual(Array(10).fill(2));
    expect(count('c').sort()).toEqual([6, 7, 7]);
  });
  it('is deterministic and drops points that exclude removes, reporting them in the plan', () => {
    const first = indexes('{count: 30, method: lhs, seed: 5}', '  exclude: [{c: x}]\n');
    expect(indexes('{count: 30, method: lhs, seed: 5}', '  exclude: [{c: x}]\n')).toEqual(first);
    expect(first.length).toBe(20);
    const plan = planSweep(withSample('{count: 30, method: lhs, seed: 5}', '  exclude: [{c: x}]\n'));
    expect(plan.kept).toBe(20);
    expect(plan.rules[1]).toMatchObject({ kind: 'sample', removed: 400 - 20, reason: '30 Latin hypercube points; 10 fell on excluded combinations and were dropped' });
  });
});

describe('limit', () => {
  it('flags plans that keep more combinations than the limit (default 10000)', () => {
    expect(planSweep(sweepOf(GRID))).toMatchObject({ product: 600, kept: 600, limit: 10000, overLimit: false });
    expect(planSweep(sweepOf(`${GRID}sweep:\n  limit: 500\n`))).toMatchObject({ kept: 600, limit: 500, overLimit: true });
  });
});

describe('planning a million combinations', () => {
  it('streams 100x100x100 with one exclude in a few seconds', () => {
    const sweep = sweepOf('experiment:\n  a: {from: 1, to: 100}\n  b: {from: 1, to: 100}\n  c: {from: 1, to: 100}\nsweep:\n  exclude:\n    - "a + b > 150"\n');
    const t0 = performance.now();
    const plan = planSweep(sweep);
    const seconds = (performance.now() - t0) / 1000;
    expect(plan.product).toBe(1_000_000);
    // Pairs (a, b) with a + b > 150: sum over a=51..100 of (a - 50) = 1275, times 100 values of c.
    expect(plan.rules[0]!.removed).toBe(127_500);
    expect(plan.kept).toBe(872_500);
    expect(plan.dimensions.map((d) => [d.name, d.count, d.values.length])).toEqual([
      ['a', 100, 10],
      ['b', 100, 10],
      ['c', 100, 10],
    ]);
    expect(seconds).toBeLessThan(5);
  });
});
