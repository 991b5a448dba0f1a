/**
 * A small block-style YAML emitter for plain JSON-like data: the fast path of
 * `toYaml` (load/yaml.ts), which writes every bundle's frozen config.yaml.
 *
 * Why it exists: building a document with the `yaml` package (node tree, schema
 * lookups, one context object per node) costs ~130 µs for a 15-line config, more
 * than a quarter of a 10,000-bundle compile. The text it produces for plain data
 * with `lineWidth: 0` is simple and regular, so it is written here directly.
 *
 * Why it is safe: the output must be byte-identical to the `yaml` package's, and
 * this module only does what it can prove:
 *  - Structure is copied from yaml's stringifyPair/stringifyBlockCollection with
 *    `indentSeq: true`: `key: scalar`, `key:` + newline + nested collection indented
 *    by 2 (sequences too), `- item` with nested collections continuing on the dash
 *    line, empty collections as `{}` / `[]`.
 *  - null, booleans and finite numbers other than -0 have one fixed spelling.
 *  - Strings are written bare only when a conservative test says yaml leaves them
 *    plain everywhere; every other scalar is spelled by the caller's `scalar`
 *    function (yaml itself, memoized). With `lineWidth: 0` a scalar that yaml writes
 *    on one line does not depend on its indentation, so that spelling is reused at
 *    any depth; the caller answers `undefined` where that does not hold.
 *  - Anything else (a multi-line scalar, a class instance, `undefined`, a top-level
 *    scalar, ...) makes the whole emitter answer `undefined`, and the caller then
 *    stringifies the whole document with yaml.
 */
import type { Mapping, Value } from '../types.js';

/**
 * Spelling of one scalar as yaml writes it on a single line in block context, as a
 * mapping key (`asKey`) or as a value; `undefined` where that text could depend on
 * its position (then the whole document goes to yaml).
 */
export type ScalarText = (value: string | number, asKey: boolean) => string | undefined;

/** yaml writes a key longer than 1024 characters as an explicit `? key`; stay well clear. */
const MAX_PLAIN_LENGTH = 1000;
/**
 * Printable ASCII starting with a letter, `_`, `/`, `$` or `(`: no indicator character
 * first (`-?:,[]{}#&*!|>'"%@` and backtick), no number or `.inf`/`.nan`/`~` (those start
 * with a digit, sign, dot or tilde), no tab, newline or control character.
 */
const PLAIN_CHARS = /^[A-Za-z_/$(][\x20-\x7e]*$/;
/** What yaml's plainString refuses inside or at the end of such a string. */
const PLAIN_BREAKERS = /: | #|[ :]$/;
/** Words the core schema reads as null or booleans, plus YAML 1.1's, in any case. */
const RESERVED_WORDS = /^(?:null|true|false|yes|no|on|off|y|n)$/i;

/** True when yaml certainly writes `s` as itself, unquoted, both as key and as value. */
function isSurelyPlain(s: string): boolean {
  return s.length <= MAX_PLAIN_LENGTH && PLAIN_CHARS.test(s) && !PLAIN_BREAKERS.test(s) && !RESERVED_WORDS.test(s);
}

/** A plain object as JSON and YAML loaders produce it (no class instance, no `toJSON`). */
function isPlainMapping(v: object): v is Mapping {
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/** yaml's text for `value`, ending in a newline, or `undefined` where unsure (see above). */
export function emitYaml(value: Value, scalar: ScalarText): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const text = emitNode(value, '', scalar);
  return text === undefined ? undefined : text + '\n';
}

/**
 * Text of `v` whose lines after the first are prefixed by `indent` (the indentation of
 * a nested collection's own entries). A non-empty collection spans its own lines;
 * everything else is one line.
 */
function emitNode(v: unknown, indent: string, scalar: ScalarText): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      // yaml writes JSON.stringify(n), which is String(n) for finite numbers but -0.
      return Number.isFinite(v) && !Object.is(v, -0) ? String(v) : scalar(v, false);
    case 'string':
      return isSurelyPlain(v) ? v : scalar(v, false);
    case 'object':
      if (Array.isArray(v)) return Object.getPrototypeOf(v) === Array.prototype ? emitSeq(v, indent, scalar) : undefined;
      return isPlainMapping(v) ? emitMap(v, indent, scalar) : undefined;
    default:
      return undefined; // undefined, bigint, symbol, function
  }
}

/** True for a collection that yaml writes on lines of its own (not `{}` / `[]`). */
function isBlock(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  return Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0;
}

function emitMap(m: Mapping, indent: string, scalar: ScalarText): string | undefined {
  const keys = Object.keys(m);
  if (keys.length === 0) return '{}';
  const inner = indent + '  ';
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const key = isSurelyPlain(k) ? k : scalar(k, true);
    if (key === undefined) return undefined;
    const v = m[k];
    const text = emitNode(v, inner, scalar);
    if (text === undefined) return undefined;
    if (i > 0) out += '\n' + indent;
    out += isBlock(v) ? `${key}:\n${inner}${text}` : `${key}: ${text}`;
  }
  return out;
}

function emitSeq(items: readonly unknown[], indent: string, scalar: ScalarText): string | undefined {
  if (items.length === 0) return '[]';
  const inner = indent + '  ';
  let out = '';
  for (let i = 0; i < items.length; i++) {
    // A hole reads as undefined, which yaml writes as null: leave that to yaml.
    const text = emitNode(items[i], inner, scalar);
    if (text === undefined) return undefined;
    if (i > 0) out += '\n' + indent;
    out += '- ' + text;
  }
  return out;
}
