/**
 * Environment values the build does not know are deferred to run time.
 *
 * The builder's own `process.env` is never read: a bundle must not depend on (or leak)
 * the environment of whoever ran `eegen build`. `{os.NAME}` comes from the host profile
 * (`user`, `home`, `env`); when the profile lacks it, the value is left for the job's
 * shell to expand. Inside resolved strings such a value is carried as a marker made of
 * control characters, which user values can never contain (the validator refuses them),
 * so a marker cannot be forged by a config and is never confused with text.
 *
 * Each consumer turns markers into what fits its output:
 *   - shell scripts: `"${NAME}"` (see shell/quote.ts and shell/context.ts),
 *   - frozen config.yaml / JSON: the text `${NAME}` (`freezeValue`).
 */
import type { Mapping, Value } from '../types.js';

const OPEN = '\u0000env:';
const CLOSE = '\u0000';
const MARKER = /\u0000env:([A-Za-z_][A-Za-z0-9_]*)\u0000/g;

/** A string that stands for the run-time value of environment variable `name`. */
export function deferredRef(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name: ${name}`);
  return `${OPEN}${name}${CLOSE}`;
}

export function hasDeferred(s: string): boolean {
  return s.includes(OPEN);
}

export type DeferredPart = { text: string } | { env: string };

/** Split a string into literal text and deferred environment references, in order. */
export function splitDeferred(s: string): DeferredPart[] {
  // Almost every value has no marker: skip the regex scan.
  if (!s.includes(OPEN)) return [{ text: s }];
  const parts: DeferredPart[] = [];
  let last = 0;
  for (const m of s.matchAll(MARKER)) {
    if (m.index > last) parts.push({ text: s.slice(last, m.index) });
    parts.push({ env: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < s.length || parts.length === 0) parts.push({ text: s.slice(last) });
  return parts;
}

/** Names of the deferred variables in `s`, in order of appearance (may repeat). */
export function deferredNames(s: string): string[] {
  if (!s.includes(OPEN)) return [];
  return [...s.matchAll(MARKER)].map((m) => m[1]!);
}

/**
 * One shell word for `s`: literal parts go through `quoteLiteral`, deferred parts become
 * `"${NAME}"`, all joined without spaces so the shell sees a single word, e.g.
 * `'/scratch/'"${USER}"'/data'`. Without markers this is `quoteLiteral(s)`.
 */
export function deferredToShellWord(s: string, quoteLiteral: (text: string) => string): string {
  if (!hasDeferred(s)) return quoteLiteral(s);
  return splitDeferred(s)
    .map((p) => ('env' in p ? `"\${${p.env}}"` : p.text === '' ? '' : quoteLiteral(p.text)))
    .join('');
}

/** `s` with every marker replaced by `replace(name)`. */
export function replaceDeferred(s: string, replace: (name: string) => string): string {
  return hasDeferred(s) ? s.replace(MARKER, (_m, name: string) => replace(name)) : s;
}

/** The text shown in frozen files: `${NAME}` for each deferred value. */
export function deferredToText(s: string): string {
  return replaceDeferred(s, (name) => `\${${name}}`);
}

/** A copy of `v` with every marker shown as `${NAME}` (for config.yaml, JSON indexes). */
export function freezeValue(v: Value): Value {
  if (typeof v === 'string') return deferredToText(v);
  if (Array.isArray(v)) return v.map(freezeValue);
  if (v && typeof v === 'object') {
    const out: Mapping = {};
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      out[k] = freezeValue(v[k]!);
    }
    return out;
  }
  return v;
}
