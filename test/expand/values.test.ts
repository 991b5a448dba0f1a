import { describe, expect, it } from 'vitest';
import { valuesOf } from './helpers.js';

describe('comma strings', () => {
  it('splits at commas, trims items and turns canonical decimals into numbers', () => {
    expect(valuesOf('experiment:\n  epoch: "1, 30 ,60"\n', 'epoch')).toEqual([1, 30, 60]);
    expect(valuesOf('experiment:\n  gpu: "a100,v100"\n', 'gpu')).toEqual(['a100', 'v100']);
  });
  it('keeps non-canonical numbers and booleans as strings', () => {
    expect(valuesOf('experiment:\n  x: "01,1.50,-2,1e3,True,+5,0.5"\n', 'x')).toEqual(['01', '1.50', -2, '1e3', 'True', '+5', 0.5]);
  });
  it('treats a string without commas as one value', () => {
    expect(valuesOf('experiment:\n  epoch: "200"\n', 'epoch')).toEqual([200]);
    expect(valuesOf('experiment:\n  name: hello world\n', 'name')).toEqual(['hello world']);
  });
  it('reads \\, as a literal comma', () => {
    expect(valuesOf("experiment:\n  x: 'a\\,b,c'\n", 'x')).toEqual(['a,b', 'c']);
  });
  it('leaves {dotted.key} references as text', () => {
    expect(valuesOf('experiment:\n  d: "{data.dir}/a,{data.dir}/b"\n', 'd')).toEqual(['{data.dir}/a', '{data.dir}/b']);
  });
});

describe('hostlist bracket ranges', () => {
  it('expands an inclusive range to numbers', () => {
    expect(valuesOf('experiment:\n  n: "[1-3]"\n', 'n')).toEqual([1, 2, 3]);
  });
  it('keeps zero padding to the width of the first number', () => {
    expect(valuesOf('experiment:\n  node: "[01-03]"\n', 'node')).toEqual(['01', '02', '03']);
    expect(valuesOf('experiment:\n  node: "[08-10]"\n', 'node')).toEqual(['08', '09', '10']);
    expect(valuesOf('experiment:\n  node: "[8-10]"\n', 'node')).toEqual([8, 9, 10]);
  });
  it('accepts lists of numbers and ranges inside the brackets', () => {
    expect(valuesOf('experiment:\n  n: "[1-2,5]"\n', 'n')).toEqual([1, 2, 5]);
  });
  it('keeps prefix and suffix text', () => {
    expect(valuesOf('experiment:\n  host: "n[1-2]"\n', 'host')).toEqual(['n1', 'n2']);
    expect(valuesOf('experiment:\n  host: "r[1-2]-n[01-02].x"\n', 'host')).toEqual(['r1-n01.x', 'r1-n02.x', 'r2-n01.x', 'r2-n02.x']);
  });
  it('mixes with comma items', () => {
    expect(valuesOf('experiment:\n  host: "login,n[1-2]"\n', 'host')).toEqual(['login', 'n1', 'n2']);
  });
});

describe('lists and scalars', () => {
  it('takes YAML lists as they are', () => {
    expect(valuesOf('experiment:\n  lr: [0.1, 0.01]\n', 'lr')).toEqual([0.1, 0.01]);
    expect(valuesOf('experiment:\n  x: ["1,2", "01"]\n', 'x')).toEqual(['1,2', '01']);
    expect(valuesOf('experiment:\n  x: [null]\n', 'x')).toEqual([null]);
  });
  it('makes a scalar a one-value sweep', () => {
    expect(valuesOf('experiment:\n  seed: 1234\n', 'seed')).toEqual([1234]);
    expect(valuesOf('experiment:\n  flag: true\n', 'flag')).toEqual([true]);
    expect(valuesOf('experiment:\n  none: null\n', 'none')).toEqual([null]);
  });
  it('takes {values: [...]} as an explicit list', () => {
    expect(valuesOf('experiment:\n  opt: {values: [adam, sgd]}\n', 'opt')).toEqual(['adam', 'sgd']);
  });
});

describe('numeric ranges', () => {
  it('steps inclusively', () => {
    expect(valuesOf('experiment:\n  batch: {from: 16, to: 64, step: 16}\n', 'batch')).toEqual([16, 32, 48, 64]);
    expect(valuesOf('experiment:\n  b: {from: 1, to: 10, step: 4}\n', 'b')).toEqual([1, 5, 9]);
    expect(valuesOf('experiment:\n  b: {from: 1, to: 3}\n', 'b')).toEqual([1, 2, 3]);
  });
  it('gives exact decimal values for 0.1 steps (no accumulated error)', () => {
    expect(valuesOf('experiment:\n  p: {from: 0.1, to: 1.0, step: 0.1}\n', 'p')).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(valuesOf('experiment:\n  p: {from: 0, to: 0.3, step: 0.05}\n', 'p')).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
  });
  it('counts down with a negative step', () => {
    expect(valuesOf('experiment:\n  p: {from: 1, to: 0, step: -0.25}\n', 'p')).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });
  it('spaces num points linearly or on a log scale', () => {
    expect(valuesOf('experiment:\n  x: {from: 0, to: 1, num: 5}\n', 'x')).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(valuesOf('experiment:\n  lr2: {from: 0.0001, to: 0.1, num: 4, scale: log}\n', 'lr2')).toEqual([0.0001, 0.001, 0.01, 0.1]);
    expect(valuesOf('experiment:\n  x: {from: 3, to: 9, num: 1}\n', 'x')).toEqual([3]);
  });
});
