/**
 * eegen's mapping forms of a sweep value:
 *
 * - `{from, to, step}`: from, from+step, ... up to and including `to` when it is hit.
 *   `step` defaults to 1; it may be negative (then `to` <= `from`) but never 0. Each value
 *   is computed as `from + i*step` (never by repeated addition) and rounded to the
 *   decimals of `from`/`step`, so `{from: 0.1, to: 1, step: 0.1}` gives exactly 0.1 ... 1.
 * - `{from, to, num, scale}`: `num` points from `from` to `to` inclusive, evenly spaced
 *   (`scale: linear`, the default) or evenly spaced in log space (`scale: log`, both
 *   bounds > 0). Inner points are rounded to 15 (linear) or 12 (log) significant digits
 *   to drop binary noise; the end points are exactly `from` and `to`.
 * - `{values: [...]}`: the list, taken as is.
 */
import { asNumber, showValue } from '../expr/index.js';
import type { Mapping, Value } from '../types.js';
import { MAX_DIMENSION_VALUES } from './codes.js';

export const RANGE_KEYS = ['from', 'to', 'step', 'num', 'scale'];

export interface RangeError {
  message: string;
  hint: string;
  /** The key of the mapping the problem is at, when there is one. */
  key?: string;
  /** Set when the range is well-formed but has too many values. */
  tooLarge?: boolean;
}

const RANGE_HINT = 'A range is {from: 1, to: 10, step: 1} or {from: 0.001, to: 1, num: 4, scale: log}.';

/** Expand a range mapping whose keys are known to be among RANGE_KEYS. */
export function expandRange(m: Mapping): { values?: number[]; errors: RangeError[] } {
  const errors: RangeError[] = [];
  const number = (key: string, required: boolean): number | undefined => {
    const v = m[key];
    if (v === undefined) {
      if (required) errors.push({ message: `The range has no '${key}'.`, hint: RANGE_HINT });
      return undefined;
    }
    const n = typeof v === 'boolean' ? undefined : asNumber(v);
    if (n === undefined || !Number.isFinite(n)) errors.push({ message: `The range's '${key}' is ${showValue(v)}, not a number.`, hint: RANGE_HINT, key });
    return n;
  };
  const from = number('from', true);
  const to = number('to', true);
  const step = number('step', false);
  const num = number('num', false);
  if (step !== undefined && num !== undefined) errors.push({ message: "A range takes either 'step' or 'num', not both.", hint: RANGE_HINT, key: 'num' });
  if (m.scale !== undefined && m.step !== undefined) errors.push({ message: "'scale' applies to ranges with 'num', not 'step'.", hint: RANGE_HINT, key: 'scale' });
  if (errors.length || from === undefined || to === undefined) return { errors };
  return m.num !== undefined ? spaced(from, to, num!, m.scale, errors) : stepped(from, to, m.step === undefined ? 1 : step!, errors);
}

function decimals(x: number): number {
  const [mantissa = '', exponent = '0'] = String(x).split('e');
  const frac = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, frac - Number(exponent));
}

function stepped(from: number, to: number, step: number, errors: RangeError[]): { values?: number[]; errors: RangeError[] } {
  if (step === 0) {
    errors.push({ message: 'The range has step 0.', hint: 'Use a positive step (or a negative one when counting down).', key: 'step' });
    return { errors };
  }
  if ((to - from) * step < 0) {
    errors.push({ message: `The step ${step} goes away from 'to' (${from} to ${to}).`, hint: `Use step ${-step}, or swap 'from' and 'to'.`, key: 'step' });
    return { errors };
  }
  // The epsilon keeps `to` when binary rounding puts (to-from)/step a hair under an integer.
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > MAX_DIMENSION_VALUES) {
    errors.push({ message: `The range has ${count} values, more than ${MAX_DIMENSION_VALUES}.`, hint: 'Use a larger step or sampling.', tooLarge: true });
    return { errors };
  }
  const d = Math.min(100, Math.max(decimals(from), decimals(step)));
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(Number((from + i * step).toFixed(d)));
  return { values, errors };
}

function spaced(from: number, to: number, num: number, scale: Value | undefined, errors: RangeError[]): { values?: number[]; errors: RangeError[] } {
  if (!Number.isInteger(num) || num < 1 || num > MAX_DIMENSION_VALUES) {
    errors.push({ message: `The range's 'num' must be a whole number from 1 to ${MAX_DIMENSION_VALUES}, got ${num}.`, hint: RANGE_HINT, key: 'num', tooLarge: Number.isInteger(num) && num > MAX_DIMENSION_VALUES });
    return { errors };
  }
  if (scale !== undefined && scale !== 'linear' && scale !== 'log') {
    errors.push({ message: `The range's 'scale' is ${showValue(scale)}.`, hint: "Use 'linear' or 'log'.", key: 'scale' });
    return { errors };
  }
  const log = scale === 'log';
  if (log && (from <= 0 || to <= 0)) {
    errors.push({ message: `A log-scale range needs bounds above 0, got ${from} to ${to}.`, hint: "Use positive bounds or scale: linear.", key: from <= 0 ? 'from' : 'to' });
    return { errors };
  }
  const values: number[] = [];
  for (let i = 0; i < num; i++) {
    if (i === 0) values.push(from);
    else if (i === num - 1) values.push(to);
    else if (log) values.push(Number((from * (to / from) ** (i / (num - 1))).toPrecision(12)));
    else values.push(Number((from + (i * (to - from)) / (num - 1)).toPrecision(15)));
  }
  return { values, errors };
}
