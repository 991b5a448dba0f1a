import { describe, expect, it } from 'vitest';
import { compile, errorsOf } from './helpers.js';

describe('experiment value errors', () => {
  it('EG3001: experiment is not a mapping', () => {
    expect(errorsOf('experiment: [1, 2]\n')).toEqual([{ code: 'EG3001', line: 1, column: 13, text: '[1, 2]' }]);
  });
  it('EG3002: empty comma string, one of empty items only, empty list (an empty item among others is dropped: cloudmesh-grammar.test.ts)', () => {
    expect(errorsOf('experiment:\n  a: ""\n  b: ","\n  c: []\n  d: {values: []}\n')).toEqual([
      { code: 'EG3002', line: 2, column: 6, text: '""' },
      { code: 'EG3002', line: 3, column: 7, text: ',' },
      { code: 'EG3002', line: 4, column: 6, text: '[]' },
      { code: 'EG3002', line: 5, column: 15, text: '[]' },
    ]);
  });
  it('EG3003: bad hostlist ranges point inside the string', () => {
    expect(errorsOf('experiment:\n  a: "[3-1]"\n  b: "n[a-z]"\n  c: "x,[1-"\n  d: "a]"\n')).toEqual([
      { code: 'EG3003', line: 2, column: 8, text: '3-1' },
      { code: 'EG3003', line: 3, column: 9, text: 'a-z' },
      { code: 'EG3003', line: 4, column: 9, text: '[1-' },
      { code: 'EG3003', line: 5, column: 8, text: ']' },
    ]);
  });
  it('EG3004: step 0, step of the wrong sign, bad log bounds, non-numeric bounds', () => {
    const found = errorsOf(`experiment:
  a: {from: 1, to: 5, step: 0}
  b: {from: 1, to: 5, step: -1}
  c: {from: 0, to: 1, num: 3, scale: log}
  d: {from: x, to: 1}
`);
    expect(found).toEqual([
      { code: 'EG3004', line: 2, column: 29, text: '0' },
      { code: 'EG3004', line: 3, column: 29, text: '-1' },
      { code: 'EG3004', line: 4, column: 13, text: '0' },
      { code: 'EG3004', line: 5, column: 13, text: 'x' },
    ]);
  });
  it('EG3005: a mapping that is no known form, or a misspelt range key', () => {
    expect(errorsOf('experiment:\n  a: {x: 1}\n  b: {form: 1, to: 3}\n')).toEqual([
      { code: 'EG3005', line: 2, column: 6, text: '{x: 1}' },
      { code: 'EG3005', line: 3, column: 7, text: 'form' },
    ]);
    expect(compile('experiment:\n  b: {form: 1, to: 3}\n').diagnostics[0]!.hint).toBe("Did you mean 'from'?");
  });
  it('EG3006: a key with more values than MAX_DIMENSION_VALUES', () => {
    expect(errorsOf('experiment:\n  a: {from: 1, to: 2000000}\n')).toEqual([{ code: 'EG3006', line: 2, column: 6, text: '{from: 1, to: 2000000}' }]);
  });
});

describe('sweep option errors', () => {
  it('EG3010: unknown sweep key, with a suggestion', () => {
    const { diagnostics } = compile('experiment:\n  a: 1\nsweep:\n  exlude: []\n');
    expect(diagnostics.map((d) => [d.code, d.hint])).toEqual([['EG3010', "Did you mean 'exclude'?"]]);
  });
  it('EG3011-EG3014: zip groups that are malformed, unknown, repeated or of unequal length', () => {
    expect(
      errorsOf(`experiment:
  gpu: "a,b"
  part: "p,q,r"
  n: "1,2"
sweep:
  zip: [[gpu, part], 7, [gpus, n], "n,gpu"]
`),
    ).toEqual([
      { code: 'EG3011', line: 6, column: 22, text: '7' },
      { code: 'EG3012', line: 6, column: 26, text: 'gpus' },
      { code: 'EG3013', line: 6, column: 36, text: '"n,gpu"' },
      { code: 'EG3013', line: 6, column: 36, text: '"n,gpu"' },
      { code: 'EG3014', line: 6, column: 9, text: '[gpu, part]' },
    ]);
    expect(compile('experiment:\n  gpu: 1\nsweep:\n  zip: [[gpus]]\n').diagnostics[0]!.hint).toBe("Did you mean 'gpu'?");
  });
  it('EG3040/EG3041: sweep.repeat not a positive integer, or experiment.repeat exists', () => {
    expect(errorsOf('experiment:\n  a: 1\nsweep:\n  repeat: 0\n')).toEqual([{ code: 'EG3040', line: 4, column: 11, text: '0' }]);
    expect(errorsOf('experiment:\n  repeat: "1,2"\nsweep:\n  repeat: 3\n')).toEqual([{ code: 'EG3041', line: 4, column: 3, text: 'repeat' }]);
  });
  it('EG3042: bad sample count, method or seed', () => {
    expect(errorsOf('experiment:\n  a: 1\nsweep:\n  sample: {count: 0, method: grid, seed: x}\n').map((e) => [e.code, e.text])).toEqual([
      ['EG3042', '0'],
      ['EG3042', 'grid'],
      ['EG3042', 'x'],
    ]);
  });
  it('EG3043: limit not a positive integer', () => {
    expect(errorsOf('experiment:\n  a: 1\nsweep:\n  limit: -5\n')).toEqual([{ code: 'EG3043', line: 4, column: 10, text: '-5' }]);
  });
  it('EG3044: a product too large to enumerate', () => {
    const big = '{from: 1, to: 1000000}';
    expect(errorsOf(`experiment:\n  a: ${big}\n  b: ${big}\n  c: ${big}\n`).map((e) => e.code)).toEqual(['EG3044']);
  });
});

describe('rule errors', () => {
  const head = 'experiment:\n  epoch: "1,30"\n  gpus: "1,2"\nsweep:\n';
  it('EG3020: an expression that does not parse, pointing inside the string', () => {
    expect(errorsOf(`${head}  exclude:\n    - "epoch >> 3"\n`)).toEqual([{ code: 'EG3020', line: 6, column: 15, text: '>' }]);
    // A plain (unquoted) scalar: the error at the end of the text points just past it.
    expect(errorsOf(`${head}  derive:\n    x: epoch +\n`)).toMatchObject([{ code: 'EG3020', line: 6, column: 15 }]);
    expect(compile(`${head}  derive:\n    x: epoch +\n`).diagnostics[0]!.message).toBe('sweep.derive.x: Expected a value, found end of expression.');
  });
  it('EG3021: unknown names in expressions and patterns, with the nearest name', () => {
    const text = `${head}  exclude:\n    - "epochs > 3 and gpu == 1"\n    - {when: "tasks > 1"}\n    - {gpu: 2}\n`;
    expect(errorsOf(text)).toEqual([
      { code: 'EG3021', line: 6, column: 8, text: 'epochs' },
      { code: 'EG3021', line: 6, column: 23, text: 'gpu' },
      { code: 'EG3021', line: 7, column: 15, text: 'tasks' },
      { code: 'EG3021', line: 8, column: 8, text: 'gpu' },
    ]);
    expect(compile(text).diagnostics.map((d) => d.hint)).toEqual(["Did you mean 'epoch'?", "Did you mean 'gpus'?", expect.stringContaining('Rules can use'), "Did you mean 'gpus'?"]);
  });
  it('EG3021: a derived value used before it is defined says so', () => {
    const { diagnostics } = compile(`${head}  derive:\n    a: "b + 1"\n    b: "epoch"\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(['EG3021']);
    expect(diagnostics[0]!.hint).toContain('derived further down');
  });
  it('EG3022: unknown function or wrong number of arguments', () => {
    expect(errorsOf(`${head}  derive:\n    a: "sqrt(epoch) + abs(1, 2)"\n`)).toEqual([
      { code: 'EG3022', line: 6, column: 9, text: 'sqrt' },
      { code: 'EG3022', line: 6, column: 23, text: 'abs(1, 2)' },
    ]);
  });
  it('EG3030/EG3031: derive shape and a derived name that repeats a swept key', () => {
    expect(errorsOf(`${head}  derive:\n    a: [1, 2]\n    epoch: "gpus * 2"\n`)).toEqual([
      { code: 'EG3030', line: 6, column: 8, text: '[1, 2]' },
      { code: 'EG3031', line: 7, column: 5, text: 'epoch' },
    ]);
    expect(errorsOf(`${head}  repeat: 2\n  derive:\n    repeat: "1"\n`).map((e) => e.code)).toEqual(['EG3031']);
  });
  it('EG3032: exclude entries that are not rules', () => {
    expect(errorsOf(`${head}  exclude:\n    - 5\n    - {when: 3}\n    - {when: "gpus > 1", gpus: 1}\n`).map((e) => [e.code, e.line])).toEqual([
      ['EG3032', 6],
      ['EG3032', 7],
      ['EG3032', 8],
    ]);
  });
  it('reports all problems of a config at once', () => {
    const codes = errorsOf('experiment:\n  a: "[3-1]"\n  b: ""\nsweep:\n  repeat: x\n  exclude: ["c > 1"]\n').map((e) => e.code);
    expect(codes).toEqual(['EG3003', 'EG3002', 'EG3040', 'EG3021']);
  });
});
