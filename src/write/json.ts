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
