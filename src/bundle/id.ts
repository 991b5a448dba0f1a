/**
 * Bundle ids double as directory names, so they must be readable, filesystem-safe on
 * every platform (also case-insensitive ones), length-capped, stable across rebuilds
 * and collision-free.
 *
 * Rule: the id is `key-value` pairs of the varying keys, joined by `_`, in sweep order.
 * When every value is "lossless" (only lowercase letters, digits, `.`, `+`, `-`, not
 * starting with `.` or `-`), the id is that text alone: values cannot contain `_`
 * and keys are fixed and ordered, so distinct parameter sets give distinct ids. When
 * any value had to be changed to fit (other characters, upper case, too long), eight
 * hex digits of the sha256 of the canonical parameter JSON are appended, which keeps
 * ids unique without making them unreadable.
 */
import { createHash } from 'node:crypto';
import type { Mapping, Value } from '../types.js';

export const MAX_ID_LENGTH = 100;
const LOSSLESS = /^[a-z0-9+][a-z0-9.+-]*$/;

function valueText(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function sanitize(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9.+-]+/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+$/, '');
  return s || 'x';
}

/** Canonical JSON: keys sorted, so the hash does not depend on key order. */
export function canonicalJson(v: Value): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`)
    .join(',')}}`;
}

function shortHash(params: Mapping, keys: readonly string[]): string {
  const picked: Mapping = {};
  for (const k of keys) picked[k] = params[k] ?? null;
  return createHash('sha256').update(canonicalJson(picked)).digest('hex').slice(0, 8);
}

/** The id of a combination, from the keys that vary across the sweep. */
export function bundleId(params: Mapping, varying: readonly string[]): string {
  if (varying.length === 0) return 'single';
  let lossy = false;
  const parts = varying.map((k) => {
    const text = valueText(params[k] ?? null);
    // Keys are the same in every bundle, so their spelling cannot cause collisions.
    const key = /^[A-Za-z0-9_+.-]+$/.test(k) ? k : sanitize(k);
    if (LOSSLESS.test(text)) return `${key}-${text}`;
    lossy = true;
    return `${key}-${sanitize(text)}`;
  });
  let id = parts.join('_');
  if (id.length > MAX_ID_LENGTH - 9) {
    id = id.slice(0, MAX_ID_LENGTH - 9).replace(/[-_.]+$/, '');
    lossy = true;
  }
  return lossy ? `${id}-${shortHash(params, varying)}` : id;
}

/**
 * An id from the config's own `identifier:` template (already resolved). Cloudmesh
 * users rely on those names, so the text is kept when it is safe and only cleaned
 * (with a hash suffix) when it is not.
 */
export function identifierId(resolved: string, params: Mapping, varying: readonly string[]): string {
  const clean = resolved.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^[.-]+/, '').replace(/-+$/, '');
  if (clean === resolved && clean.length > 0 && clean.length <= MAX_ID_LENGTH) return clean;
  return `${(clean || 'x').slice(0, MAX_ID_LENGTH - 9)}-${shortHash(params, varying)}`;
}
