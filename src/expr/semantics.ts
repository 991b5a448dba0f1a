/**
 * How expression values behave. Values are the YAML ones (null, booleans, numbers,
 * strings, lists, mappings). The rules, chosen so sweep values written either as
 * numbers or as strings ("60" from a comma string or a YAML list) work alike:
 *
 * - Equality (`==`, `!=`, `in`, exclude patterns): a number equals a numeric string
 *   with the same value ("60" == 60, "6e1" == 60); a boolean equals the strings
 *   "true"/"false" in any letter case ("True" == true); two strings compare exactly;
 *   lists and mappings compare by content; nothing else is equal across types.
 * - Ordering (`< <= > >=`): numbers and numeric strings compare by value; two other
 *   strings compare by UTF-16 code units; any other pair is an evaluation error.
 * - Truth (`and`, `or`, `not`, exclude conditions): null, false, 0, "", [] and {} are
 *   false, everything else is true (Python's rule).
 */
import type { Value } from '../types.js';

const NUMERIC = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** The value as a number when it is a number or a numeric string; otherwise undefined. */
export function asNumber(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

export function looseEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return asNumber(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return asNumber(a) === b;
  if (typeof a === 'boolean' && typeof b === 'string') return b.toLowerCase() === String(a);
  if (typeof a === 'string' && typeof b === 'boolean') return a.toLowerCase() === String(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => looseEqual(x, b[i]!));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && looseEqual(a[k]!, b[k]!));
  }
  return false;
}

/** -1, 0 or 1; undefined when the pair has no order (the caller reports it). */
export function compareValues(a: Value, b: Value): number | undefined {
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

export function truthy(v: Value): boolean {
  if (v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function isMapping(v: Value): v is { [key: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

/** Short, readable rendering of a value for messages and rule labels. */
export function showValue(v: Value): string {
  if (typeof v === 'string') return /^[\w.\-/*?]+$/.test(v) && asNumber(v) === undefined ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (isMapping(v)) return `{${Object.entries(v).map(([k, x]) => `${k}: ${showValue(x)}`).join(', ')}}`;
  return String(v);
}

/** `str()` of a value: strings as they are, everything else in YAML/JSON spelling. */
export function toText(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null || typeof v !== 'object') return String(v);
  return JSON.stringify(v);
}
