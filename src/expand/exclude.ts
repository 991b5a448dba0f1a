/**
 * `sweep.exclude`: rules that remove combinations, checked after derive (so they may
 * use derived values). Three forms:
 *
 * - a pattern mapping `{gpu: v100, epoch: 60}`: removes a combination when EVERY listed
 *   key matches. A string with `*` or `?` is a glob on the value's text; a list matches
 *   when any of its items matches; otherwise values are compared as `==` does
 *   (numbers by value, so "60" matches 60; see src/expr/semantics.ts). A `reason` key
 *   (when no swept key is called `reason`) is shown in plan output.
 * - a string: an expression; removes the combination when it is true.
 * - `{when: expression, reason: text}`: the same, with a reason for plan output.
 *
 * Rules are checked in order and the first that matches removes the combination; plan
 * output credits the removal to that rule alone.
 */
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { looseEqual, showValue, toText, truthy, type Slots } from '../expr/index.js';
import { isMapping } from '../expr/semantics.js';
import type { LoadedYaml, Mapping, Value } from '../types.js';
import { EXPAND_CODES as C } from './codes.js';
import { compileRule, type Scope } from './scope.js';
import { sourceOf } from './spans.js';
import type { ExcludeRule } from './types.js';

const SHAPE_HINT = 'An exclude rule is a pattern {gpu: v100, epoch: 60}, an expression "epoch > 30", or {when: "expression", reason: "why"}.';

export function compileExclude(loaded: LoadedYaml, raw: Value | undefined, scope: Scope): { rules: ExcludeRule[]; diagnostics: Diagnostic[] } {
  const rules: ExcludeRule[] = [];
  const diagnostics: Diagnostic[] = [];
  if (raw === undefined || raw === null) return { rules, diagnostics };
  if (!Array.isArray(raw)) {
    diagnostics.push(diag(C.excludeShape, 'sweep.exclude must be a list of rules.', loaded.locate(['sweep', 'exclude']), SHAPE_HINT));
    return { rules, diagnostics };
  }
  raw.forEach((entry, i) => {
    const out = compileEntry(loaded, entry, i, scope);
    diagnostics.push(...out.diagnostics);
    if (out.rule) rules.push(out.rule);
  });
  return { rules, diagnostics };
}

function compileEntry(loaded: LoadedYaml, entry: Value, i: number, scope: Scope): { rule?: ExcludeRule; diagnostics: Diagnostic[] } {
  const path = ['sweep', 'exclude', i];
  if (typeof entry === 'string') return expressionRule(loaded, entry, [...path], i, scope);
  if (isMapping(entry) && 'when' in entry) {
    const extra = Object.keys(entry).filter((k) => k !== 'when' && k !== 'reason');
    const diagnostics = extra.map((k) => diag(C.excludeShape, `sweep.exclude[${i}] has '${k}' beside 'when'.`, loaded.locate([...path, k], 'key'), "A {when: ...} rule takes only 'when' and 'reason'; write a pattern as its own rule."));
    if (typeof entry.when !== 'string') diagnostics.push(diag(C.excludeShape, `sweep.exclude[${i}].when must be an expression string.`, loaded.locate([...path, 'when']), SHAPE_HINT));
    if (entry.reason !== undefined && typeof entry.reason !== 'string') diagnostics.push(diag(C.excludeShape, `sweep.exclude[${i}].reason must be text.`, loaded.locate([...path, 'reason']), SHAPE_HINT));
    if (diagnostics.length) return { diagnostics };
    return expressionRule(loaded, entry.when as string, [...path, 'when'], i, scope, entry.reason as string | undefined);
  }
  if (isMapping(entry) && Object.keys(entry).length) return patternRule(loaded, entry, i, scope);
  return { diagnostics: [diag(C.excludeShape, `sweep.exclude[${i}] is not a rule.`, loaded.locate(path), SHAPE_HINT)] };
}

function expressionRule(loaded: LoadedYaml, text: string, path: Array<string | number>, i: number, scope: Scope, reason?: string): { rule?: ExcludeRule; diagnostics: Diagnostic[] } {
  const source = sourceOf(loaded, path, text);
  const { evaluate, diagnostics } = compileRule(source, `sweep.exclude[${i}]`, scope);
  if (!evaluate) return { diagnostics };
  const rule: ExcludeRule = { label: `exclude[${i}] ${text.trim()}`, kind: 'expression', source, test: (s) => truthy(evaluate(s)) };
  if (reason !== undefined) rule.reason = reason;
  return { rule, diagnostics };
}

function patternRule(loaded: LoadedYaml, entry: Mapping, i: number, scope: Scope): { rule?: ExcludeRule; diagnostics: Diagnostic[] } {
  const path = ['sweep', 'exclude', i];
  const diagnostics: Diagnostic[] = [];
  const reason = !scope.has('reason') && typeof entry.reason === 'string' ? entry.reason : undefined;
  const checks: Array<{ slot: number; match: (v: Value) => boolean }> = [];
  const shown: Mapping = {};
  for (const [key, pattern] of Object.entries(entry)) {
    if (key === 'reason' && reason !== undefined) continue;
    const slot = scope.resolve(key);
    if (slot === undefined) {
      diagnostics.push(diag(C.exprUnknownName, `sweep.exclude[${i}] names '${key}', which is not a parameter.`, loaded.locate([...path, key], 'key'), scope.unknownHint(key)));
      continue;
    }
    checks.push({ slot, match: matcher(pattern) });
    shown[key] = pattern;
  }
  if (diagnostics.length) return { diagnostics };
  const test = (s: Slots) => {
    for (const c of checks) if (!c.match(s[c.slot]!)) return false;
    return true;
  };
  const rule: ExcludeRule = { label: `exclude[${i}] ${showValue(shown)}`, kind: 'pattern', source: sourceOf(loaded, path, ''), test };
  if (reason !== undefined) rule.reason = reason;
  return { rule, diagnostics };
}

/** How one pattern value matches a parameter value (see the module comment). */
export function matcher(pattern: Value): (v: Value) => boolean {
  if (Array.isArray(pattern)) {
    const any = pattern.map(matcher);
    return (v) => any.some((m) => m(v));
  }
  if (typeof pattern === 'string' && /[*?]/.test(pattern)) {
    const re = globToRegExp(pattern);
    return (v) => re.test(toText(v));
  }
  return (v) => looseEqual(v, pattern);
}

/**
 * `*` any run of characters, `?` one character, everything else literal; whole-string match.
 * Deliberately not picomatch (load/glob.ts, used for paths and `--only` ids): a value is
 * not a path, so `*` must cross a `/` (`data: "/scratch/*"`) and match a leading `.`
 * (`lr: "*5"` matches ".5"), and `[`, `{`, `(` in a value (`"[1,2]*"`) stay literal, as
 * documented and relied on by existing configs.
 */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const c of glob) src += c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${src}$`, 'u');
}
