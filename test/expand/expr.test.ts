import { describe, expect, it } from 'vitest';
import { compileExpression, EvalFailure, parseExpression } from '../../src/expr/index.js';
import type { Mapping, Value } from '../../src/types.js';

/** Evaluate `text` with `params` as the only names. */
function run(text: string, params: Mapping = {}): Value {
  const names = Object.keys(params);
  const { ast, error } = parseExpression(text);
  expect(error).toBeUndefined();
  const { fn, errors } = compileExpression(ast!, (n) => {
    const i = names.indexOf(n.startsWith('experiment.') ? n.slice(11) : n);
    return i < 0 ? undefined : i;
  });
  expect(errors).toEqual([]);
  return fn!(Object.values(params));
}

function failure(text: string, params: Mapping = {}): EvalFailure {
  try {
    run(text, params);
  } catch (e) {
    if (e instanceof EvalFailure) return e;
    throw e;
  }
  throw new Error('expected an evaluation failure');
}

describe('expression language', () => {
  it('follows arithmetic precedence, ** right-assoc and tighter than unary minus', () => {
    expect(run('1 + 2 * 3 - 4 / 2')).toBe(5);
    expect(run('2 ** 3 ** 2')).toBe(512);
    expect(run('-2 ** 2')).toBe(-4);
    expect(run('(1 + 2) * 3 % 4')).toBe(1);
    expect(run('-7 % 3')).toBe(2);
    expect(run('7 // 2')).toBe(3);
  });
  it('has both spellings of the logical operators and Python-style literals', () => {
    expect(run('true and not false')).toBe(true);
    expect(run('True && !False')).toBe(true);
    expect(run('None or 5')).toBe(5);
    expect(run('null || 0 || "x"')).toBe('x');
  });
  it('compares numeric strings with numbers by value', () => {
    expect(run('"60" == 60')).toBe(true);
    expect(run('epoch > 30', { epoch: '60' })).toBe(true);
    expect(run('"9" < "10"')).toBe(true);
    expect(run('"b" > "a"')).toBe(true);
    expect(run('flag == true', { flag: 'True' })).toBe(true);
    expect(run('1 < x <= 3', { x: 3 })).toBe(true);
    expect(run('1 < x <= 3', { x: 4 })).toBe(false);
  });
  it('supports in / not in with list literals and dotted names', () => {
    expect(run("gpu in ['a100', 'v100']", { gpu: 'v100' })).toBe(true);
    expect(run('experiment.epoch not in [1, 30]', { epoch: 60 })).toBe(true);
    expect(run("'10' in 'a100'")).toBe(true);
  });
  it('has the built-in functions', () => {
    expect(run('min(3, 1, 2) + max([4, 9]) + abs(-1)')).toBe(11);
    expect(run('floor(2.7) + ceil(2.1) + round(2.5) + round(1.2345, 2)')).toBe(9.23);
    expect(run('int("12") + float("0.5") + int(-2.9)')).toBe(10.5);
    expect(run("str(3) + 'x'")).toBe('3x');
    expect(run("len('abc') + len([1, 2])")).toBe(5);
  });
  it('raises EvalFailure with the position of the failing operation', () => {
    const e = failure('1 + a / b', { a: 1, b: 0 });
    expect(e.message).toBe('Division by zero.');
    expect([e.offset, e.length]).toEqual([4, 5]);
    expect(failure("'a' - 1").message).toContain("needs numbers");
    expect(failure('null < 1').message).toContain('Cannot compare');
  });
  it('reports syntax errors with offset and length', () => {
    expect(parseExpression('epoch > ').error).toMatchObject({ kind: 'syntax', offset: 8 });
    expect(parseExpression('epoch = 3').error).toMatchObject({ kind: 'syntax', offset: 6, length: 1 });
    expect(parseExpression("gpu == 'v100").error).toMatchObject({ kind: 'syntax', offset: 7, message: 'Unterminated string in expression.' });
    expect(parseExpression('(1 + 2').error).toMatchObject({ kind: 'syntax', offset: 6 });
    expect(parseExpression('a b').error).toMatchObject({ kind: 'syntax', offset: 2, length: 1 });
  });
  it('reports every unknown name and bad call at compile time', () => {
    const { ast } = parseExpression('foo + bar(1) + min()');
    const { fn, errors } = compileExpression(ast!, () => undefined);
    expect(fn).toBeUndefined();
    expect(errors.map((e) => [e.kind, e.offset])).toEqual([
      ['name', 0],
      ['function', 6],
      ['function', 15],
    ]);
  });
});
