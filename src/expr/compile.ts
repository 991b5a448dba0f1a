/**
 * Turns a parsed expression into a tree of closures over a slot array, so that a sweep
 * of a million combinations evaluates each rule as a few direct function calls. Names
 * are resolved to slot indexes once, here; unknown names and functions are collected
 * (all of them, not the first) as errors instead of producing a function.
 *
 * Arithmetic: `+` joins two strings; otherwise every arithmetic operator needs numbers
 * or numeric strings. `/` is true division, `//` floors, `%` takes the sign of the
 * divisor (Python's rules). Dividing by zero, a non-finite result or a value of the
 * wrong type raises an `EvalFailure` carrying the offending node's position; callers
 * turn it into a diagnostic for the combination being evaluated.
 */
import { nearest } from '../diagnostics/index.js';
import type { Value } from '../types.js';
import type { ArithOp, CompareOp, Expr } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { asNumber, compareValues, isMapping, looseEqual, showValue, toText, truthy, typeName } from './semantics.js';
import type { ExprError } from './tokenize.js';

export type Slots = readonly Value[];
export type Evaluate = (slots: Slots) => Value;

/** Thrown by a compiled expression when a value cannot be computed; caught by the caller. */
export class EvalFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly length: number,
  ) {
    super(message);
    this.name = 'EvalFailure';
  }
}

export type NameResolver = (name: string) => number | undefined;

export function compileExpression(ast: Expr, resolve: NameResolver): { fn?: Evaluate; errors: ExprError[] } {
  const errors: ExprError[] = [];
  const fn = build(ast, resolve, errors);
  return errors.length ? { errors } : { fn, errors };
}

function failer(node: { pos: number; len: number }): (message: string) => never {
  return (message) => {
    throw new EvalFailure(message, node.pos, node.len);
  };
}

function build(e: Expr, resolve: NameResolver, errors: ExprError[]): Evaluate {
  switch (e.k) {
    case 'lit': {
      const value = e.value;
      return () => value;
    }
    case 'name': {
      const slot = resolve(e.name);
      if (slot === undefined) {
        errors.push({ kind: 'name', name: e.name, message: `Unknown parameter '${e.name}' in expression.`, offset: e.pos, length: e.len });
        return () => null;
      }
      return (s) => s[slot]!;
    }
    case 'list': {
      const items = e.items.map((x) => build(x, resolve, errors));
      return (s) => items.map((f) => f(s));
    }
    case 'not': {
      const arg = build(e.arg, resolve, errors);
      return (s) => !truthy(arg(s));
    }
    case 'neg':
    case 'pos': {
      const arg = build(e.arg, resolve, errors);
      const fail = failer(e);
      const sign = e.k === 'neg' ? -1 : 1;
      return (s) => {
        const v = arg(s);
        const n = asNumber(v);
        if (n === undefined) return fail(`Unary ${e.k === 'neg' ? '-' : '+'} needs a number, got ${typeName(v)} ${showValue(v)}.`);
        return sign * n;
      };
    }
    case 'logic': {
      const left = build(e.left, resolve, errors);
      const right = build(e.right, resolve, errors);
      // Python semantics: the deciding operand is the result (`x or 1` gives a default).
      return e.op === 'and' ? (s) => (truthy(left(s)) ? right(s) : left(s)) : (s) => (truthy(left(s)) ? left(s) : right(s));
    }
    case 'arith':
      return arithmetic(e.op, build(e.left, resolve, errors), build(e.right, resolve, errors), failer(e));
    case 'compare':
      return comparisonChain(e, resolve, errors);
    case 'call':
      return call(e, resolve, errors);
  }
}

function arithmetic(op: ArithOp, left: Evaluate, right: Evaluate, fail: (m: string) => never): Evaluate {
  const apply = ARITH[op];
  return (s) => {
    const a = left(s);
    const b = right(s);
    if (op === '+' && typeof a === 'string' && typeof b === 'string' && (asNumber(a) === undefined || asNumber(b) === undefined)) return a + b;
    const x = asNumber(a);
    const y = asNumber(b);
    if (x === undefined || y === undefined) {
      const bad = x === undefined ? a : b;
      return fail(`'${op}' needs numbers, got ${typeName(bad)} ${showValue(bad)}.`);
    }
    const r = apply(x, y, fail);
    if (!Number.isFinite(r)) fail(`${showValue(a)} ${op} ${showValue(b)} has no finite result.`);
    return r;
  };
}

const ARITH: Record<ArithOp, (x: number, y: number, fail: (m: string) => never) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y, fail) => (y === 0 ? fail('Division by zero.') : x / y),
  '//': (x, y, fail) => (y === 0 ? fail('Division by zero.') : Math.floor(x / y)),
  '%': (x, y, fail) => (y === 0 ? fail('Modulo by zero.') : x - y * Math.floor(x / y)),
  '**': (x, y, fail) => (x === 0 && y < 0 ? fail('Zero raised to a negative power.') : x ** y),
};

function comparisonChain(e: Extract<Expr, { k: 'compare' }>, resolve: NameResolver, errors: ExprError[]): Evaluate {
  const operands = e.operands.map((x) => build(x, resolve, errors));
  const tests = e.ops.map((op, i) => {
    const l = e.operands[i]!;
    const r = e.operands[i + 1]!;
    return compareTest(op, failer({ pos: l.pos, len: r.pos + r.len - l.pos }));
  });
  if (tests.length === 1) {
    const [l, r, t] = [operands[0]!, operands[1]!, tests[0]!];
    return (s) => t(l(s), r(s));
  }
  return (s) => {
    let left = operands[0]!(s);
    for (let i = 0; i < tests.length; i++) {
      const right = operands[i + 1]!(s);
      if (!tests[i]!(left, right)) return false;
      left = right;
    }
    return true;
  };
}

function compareTest(op: CompareOp, fail: (m: string) => never): (a: Value, b: Value) => boolean {
  const order = (a: Value, b: Value): number => {
    const c = compareValues(a, b);
    return c ?? fail(`Cannot compare ${typeName(a)} ${showValue(a)} with ${typeName(b)} ${showValue(b)} using '${op}'.`);
  };
  const contains = (item: Value, container: Value): boolean => {
    if (Array.isArray(container)) return container.some((x) => looseEqual(item, x));
    if (typeof container === 'string') return container.includes(toText(item));
    if (isMapping(container)) return typeof item === 'string' && item in container;
    return fail(`'${op}' needs a list or a string on its right, got ${typeName(container)} ${showValue(container)}.`);
  };
  switch (op) {
    case '==':
      return looseEqual;
    case '!=':
      return (a, b) => !looseEqual(a, b);
    case '<':
      return (a, b) => order(a, b) < 0;
    case '<=':
      return (a, b) => order(a, b) <= 0;
    case '>':
      return (a, b) => order(a, b) > 0;
    case '>=':
      return (a, b) => order(a, b) >= 0;
    case 'in':
      return contains;
    case 'not in':
      return (a, b) => !contains(a, b);
  }
}

function call(e: Extract<Expr, { k: 'call' }>, resolve: NameResolver, errors: ExprError[]): Evaluate {
  const args = e.args.map((x) => build(x, resolve, errors));
  const def = FUNCTIONS[e.fn];
  if (!def) {
    const near = nearest(e.fn, Object.keys(FUNCTIONS));
    const hint = near ? `Did you mean ${near}()? ` : '';
    errors.push({ kind: 'function', name: e.fn, message: `Unknown function '${e.fn}'.`, offset: e.fnPos, length: e.fnLen, hint: `${hint}Available: ${Object.keys(FUNCTIONS).join(', ')}.` });
    return () => null;
  }
  if (args.length < def.minArgs || args.length > def.maxArgs) {
    const want = def.minArgs === def.maxArgs ? `${def.minArgs}` : def.maxArgs === Infinity ? `at least ${def.minArgs}` : `${def.minArgs} to ${def.maxArgs}`;
    errors.push({ kind: 'function', name: e.fn, message: `${e.fn}() takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}.`, offset: e.pos, length: e.len });
    return () => null;
  }
  const fail = failer(e);
  return (s) => def.call(args.map((f) => f(s)), fail);
}
