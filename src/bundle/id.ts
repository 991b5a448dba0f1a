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
import { jsonString } from '../write/json.js';

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

/** Keys in default sort order (UTF-16 code units); lists already in order are not re-sorted. */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

/** `JSON.stringify(v)` for a non-object, cheaper for strings and numbers (ToString when finite). */
function scalarJson(v: Value): string {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return JSON.stringify(v);
}

/** Canonical JSON: keys sorted, so the hash does not depend on key order. */
export function canonicalJson(v: Value): string {
  if (v === null || typeof v !== 'object') return scalarJson(v);
  if (Array.isArray(v)) {
    // As `[${v.map(canonicalJson).join(',')}]`: holes and undefined join as nothing.
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i) out += ',';
      const x = canonicalJson(v[i]!) as string | undefined;
      if (x !== undefined) out += x;
    }
    return out + ']';
  }
  const keys = sortedKeys(v);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // A template literal, as before: an undefined value is written as `undefined`.
    out += `${i ? ',' : ''}${jsonString(k)}:${canonicalJson(v[k]!)}`;
  }
  return out + '}';
}

/**
 * `canonicalJson({ ...base, [key]: value })` for many values of one key, with the rest
 * of `base` written once: `canonicalJsonWith(config, 'experiment')(params)` gives the
 * same text as `canonicalJson` of the config with those params. `base` is read when this
 * is called; later changes to it are not seen.
 */
export function canonicalJsonWith(base: Mapping, key: string): (value: Value) => string {
  const keys = Object.keys(base);
  if (!Object.hasOwn(base, key)) keys.push(key);
  keys.sort();
  const at = keys.indexOf(key);
  const member = (k: string): string => `${JSON.stringify(k)}:${canonicalJson(base[k]!)}`;
  const before = `{${keys.slice(0, at).map(member).join(',')}${at ? ',' : ''}${JSON.stringify(key)}:`;
  const after = `${keys.slice(at + 1).map((k) => `,${member(k)}`).join('')}}`;
  return (value) => `${before}${canonicalJson(value)}${after}`;
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
