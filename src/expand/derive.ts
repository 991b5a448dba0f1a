/**
 * `sweep.derive`: values computed from the others for each combination, in the order
 * written, so a later entry may use an earlier one. Each is added to the combination's
 * params after the experiment keys. A string is an expression (see src/expr); a number,
 * boolean or null is a constant. A derived name may not repeat an experiment key (or
 * `repeat` from sweep.repeat). Non-integer numeric results are rounded to 15 significant
 * digits so that `lr * 3` gives 0.3, not 0.30000000000000004.
 */
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { isMapping } from '../expr/semantics.js';
import type { LoadedYaml, Value } from '../types.js';
import { EXPAND_CODES as C } from './codes.js';
import { compileRule, type Scope } from './scope.js';
import { sourceOf } from './spans.js';
import type { DeriveRule } from './types.js';

export function compileDerive(loaded: LoadedYaml, raw: Value | undefined, scope: Scope, firstSlot: number): { rules: DeriveRule[]; diagnostics: Diagnostic[] } {
  const rules: DeriveRule[] = [];
  const diagnostics: Diagnostic[] = [];
  if (raw === undefined || raw === null) return { rules, diagnostics };
  if (!isMapping(raw)) {
    diagnostics.push(diag(C.deriveShape, 'sweep.derive must be a mapping of name: expression.', loaded.locate(['sweep', 'derive']), 'Write derive:\n    tasks: "nodes * gpus_per_node"'));
    return { rules, diagnostics };
  }
  const names = Object.keys(raw);
  names.forEach((name, i) => {
    const value = raw[name]!;
    const path = ['sweep', 'derive', name];
    const where = `sweep.derive.${name}`;
    scope.later = names.slice(i + 1);
    if (scope.has(name)) {
      diagnostics.push(diag(C.deriveCollision, `The derived value '${name}' is already a swept key (experiment key or sweep.repeat's repeat).`, loaded.locate(path, 'key'), 'Rename the derived value; derived values cannot replace swept ones.'));
      return;
    }
    const slot = firstSlot + rules.length;
    let evaluate;
    if (typeof value === 'string') {
      const source = sourceOf(loaded, path, value);
      const compiled = compileRule(source, where, scope);
      diagnostics.push(...compiled.diagnostics);
      evaluate = compiled.evaluate;
      if (evaluate) rules.push({ name, slot, source, evaluate: tidy(evaluate) });
    } else if (value === null || typeof value !== 'object') {
      rules.push({ name, slot, source: sourceOf(loaded, path, String(value)), evaluate: () => value });
    } else {
      diagnostics.push(diag(C.deriveShape, `${where} must be an expression string or a single value.`, loaded.locate(path), 'Write the computation as a string, e.g. "nodes * gpus".'));
    }
    // Defined even when broken, so later rules do not also report it as unknown.
    scope.define(name, slot);
  });
  scope.later = [];
  return { rules, diagnostics };
}

function tidy(evaluate: (s: readonly Value[]) => Value): (s: readonly Value[]) => Value {
  return (s) => {
    const v = evaluate(s);
    return typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(15)) : v;
  };
}
