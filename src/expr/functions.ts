/**
 * Built-in functions of the expression language. They take and return plain values;
 * a bad argument is reported through `fail` (an evaluation error, never a crash).
 *
 * min(a, b, ...) / max(...)   also min(list); numbers and numeric strings by value
 * abs(x) floor(x) ceil(x)     numeric
 * round(x) / round(x, n)      half away from zero, n decimals (default 0)
 * int(x)                      truncates toward zero; accepts numeric strings and booleans
 * float(x)                    number from a number, numeric string or boolean
 * str(x)                      text of a value (strings unchanged, others in YAML/JSON spelling)
 * len(x)                      length of a string or list
 */
import type { Value } from '../types.js';
import { asNumber, compareValues, showValue, toText, typeName } from './semantics.js';

export type Fail = (message: string) => never;
export interface BuiltinFunction {
  minArgs: number;
  maxArgs: number;
  call(args: Value[], fail: Fail): Value;
}

function num(v: Value, fn: string, fail: Fail): number {
  const n = typeof v === 'boolean' ? Number(v) : asNumber(v);
  if (n === undefined) return fail(`${fn}() needs a number, got ${typeName(v)} ${showValue(v)}.`);
  return n;
}

function extreme(sign: 1 | -1, fn: string) {
  return (args: Value[], fail: Fail): Value => {
    const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
    if (!list.length) return fail(`${fn}() of an empty list.`);
    let best: Value = list[0]!;
    for (const v of list.slice(1)) {
      const c = compareValues(v, best);
      if (c === undefined) return fail(`${fn}() cannot order ${typeName(v)} ${showValue(v)} against ${typeName(best)} ${showValue(best)}.`);
      if (c * sign > 0) best = v;
    }
    return best;
  };
}

function roundHalfAway(x: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.sign(x) * Math.round(Math.abs(x) * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

export const FUNCTIONS: Record<string, BuiltinFunction> = {
  min: { minArgs: 1, maxArgs: Infinity, call: extreme(-1, 'min') },
  max: { minArgs: 1, maxArgs: Infinity, call: extreme(1, 'max') },
  abs: { minArgs: 1, maxArgs: 1, call: ([x], fail) => Math.abs(num(x!, 'abs', fail)) },
  floor: { minArgs: 1, maxArgs: 1, call: ([x], fail) => Math.floor(num(x!, 'floor', fail)) },
  ceil: { minArgs: 1, maxArgs: 1, call: ([x], fail) => Math.ceil(num(x!, 'ceil', fail)) },
  round: {
    minArgs: 1,
    maxArgs: 2,
    call: ([x, n], fail) => {
      const digits = n === undefined ? 0 : num(n, 'round', fail);
      if (!Number.isInteger(digits) || digits < 0 || digits > 15) return fail(`round() needs 0 to 15 decimals, got ${showValue(n!)}.`);
      return roundHalfAway(num(x!, 'round', fail), digits);
    },
  },
  int: { minArgs: 1, maxArgs: 1, call: ([x], fail) => Math.trunc(num(x!, 'int', fail)) },
  float: { minArgs: 1, maxArgs: 1, call: ([x], fail) => num(x!, 'float', fail) },
  str: { minArgs: 1, maxArgs: 1, call: ([x]) => toText(x!) },
  len: {
    minArgs: 1,
    maxArgs: 1,
    call: ([x], fail) => {
      if (typeof x === 'string' || Array.isArray(x)) return x.length;
      return fail(`len() needs a string or a list, got ${typeName(x!)}.`);
    },
  },
};
