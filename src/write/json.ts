/**
 * Deterministic JSON text. `JSON.stringify` moves integer-like keys ("10", "2") to the
 * front in numeric order whatever the insertion order, so a "sorted" map would not come
 * out sorted. This writer keeps the order it is given and formats exactly like
 * `JSON.stringify(value, null, 2)` otherwise.
 */
import type { Value } from '../types.js';
import { compareBytes } from './paths.js';

/** An object whose keys are written in array order. */
export class Ordered {
  constructor(readonly entries: [string, JsonLike][]) {}
}
export type JsonLike = Value | Ordered | JsonLike[] | { [key: string]: JsonLike };

/** Sort the keys of every plain object below `v`, byte order (mappings become canonical). */
export function canonical(v: JsonLike): JsonLike {
  if (v instanceof Ordered) return new Ordered(v.entries.map(([k, x]) => [k, canonical(x)]));
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort(compareBytes);
    return new Ordered(keys.map((k) => [k, canonical((v as Record<string, JsonLike>)[k] as JsonLike)]));
  }
  return v;
}

export function stringify(v: JsonLike, indent = ''): string {
  if (v instanceof Ordered) {
    if (v.entries.length === 0) return '{}';
    const inner = indent + '  ';
    const parts = v.entries
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringify(x, inner)}`);
    return `{\n${parts.join(',\n')}\n${indent}}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${v.map((x) => inner + stringify(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') return stringify(canonical(v), indent);
  // Numbers, strings, booleans, null: JSON.stringify is deterministic (NaN -> null).
  return JSON.stringify(v) ?? 'null';
}

const SURROGATE = /[\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(s)` for a string: a string without `"`, `\`, control characters or
 * surrogates (which JSON.stringify would escape) is only put in quotes.
 */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `JSON.stringify(v) ?? 'null'` for a scalar, without JSON.stringify's overhead for strings and numbers. */
function jsonScalar(v: unknown): string {
  if (typeof v === 'string') return jsonString(v);
  // For finite numbers JSON.stringify is ToString; NaN and the infinities become null.
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return JSON.stringify(v) ?? 'null';
}
const compareUnits = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * `keys` in byte order (compareBytes), sorted in place. Without surrogates byte order is
 * UTF-16 order, so the common case compares directly and skips already sorted lists.
 */
export function sortBytes(keys: string[]): string[] {
  for (let i = 0; i < keys.length; i++) if (SURROGATE.test(keys[i]!)) return keys.sort(compareBytes);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort(compareUnits);
  return keys;
}

/**
 * `stringify(canonical(v), indent)`, byte for byte, without building the intermediate
 * Ordered trees: plain objects get their keys in byte order, Ordered objects keep theirs.
 */
export function canonicalText(v: JsonLike, indent = ''): string {
  if (typeof v !== 'object' || v === null) return jsonScalar(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    let out = '[\n';
    for (let i = 0; i < v.length; i++) {
      if (i) out += ',\n';
      // A hole stays a hole in canonical's map and joins as nothing.
      if (i in v) out += inner + canonicalText(v[i] as JsonLike, inner);
    }
    return `${out}\n${indent}]`;
  }
  let out = '';
  let first = true;
  if (v instanceof Ordered) {
    if (v.entries.length === 0) return '{}';
    for (const [k, x] of v.entries) {
      if (x === undefined) continue;
      out += `${first ? '' : ',\n'}${inner}${jsonString(k)}: ${canonicalText(x, inner)}`;
      first = false;
    }
  } else {
    const keys = sortBytes(Object.keys(v));
    if (keys.length === 0) return '{}';
    for (const k of keys) {
      const x = (v as Record<string, JsonLike>)[k];
      if (x === undefined) continue;
      out += `${first ? '' : ',\n'}${inner}${jsonString(k)}: ${canonicalText(x, inner)}`;
      first = false;
    }
  }
  return `{\n${out}\n${indent}}`;
}
