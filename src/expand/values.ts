/**
 * What one `experiment:` entry expands to (its dimension's values):
 *
 * - a string: the cloudmesh comma/bracket grammar (commas.ts); `"200"` is one value, 200;
 *   empty and repeated items are dropped with a warning, as cloudmesh drops them;
 * - a YAML list: its items as they are (`[null]` is one value, null); it must not be empty,
 *   and a repeated item is dropped with a warning (it would name a second bundle the same);
 * - a mapping: a range or an explicit `{values: [...]}` list (ranges.ts);
 * - any other scalar (number, boolean, null): that one value.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import { isMapping } from '../expr/semantics.js';
import type { LoadedYaml, Mapping, Value } from '../types.js';
import { EXPAND_CODES as C } from './codes.js';
import { expandCommaString } from './commas.js';
import { expandRange, RANGE_KEYS } from './ranges.js';
import { sourceOf, spanIn } from './spans.js';

export function expandValue(loaded: LoadedYaml, key: string, value: Value): { values?: Value[]; diagnostics: Diagnostic[] } {
  const path = ['experiment', key];
  if (typeof value === 'string') {
    const { values, errors, warnings } = expandCommaString(value);
    const source = sourceOf(loaded, path, value);
    const located = errors.map((e) => {
      const code = e.kind === 'empty' ? C.emptyValues : e.kind === 'size' ? C.dimensionTooLarge : C.badHostlist;
      return { offset: e.offset, d: diag(code, `experiment.${key}: ${e.message}`, value === '' ? source.span : spanIn(source, e.offset, e.length), e.hint) };
    });
    for (const w of warnings) {
      located.push({ offset: w.offset, d: diag(w.kind === 'dropped' ? C.itemDropped : C.colonPrefixKept, `experiment.${key}: ${w.message}`, spanIn(source, w.offset, w.length), w.hint, 'warning') });
    }
    // In the order they stand in the value (the sort is stable: errors first at one offset).
    const diagnostics = located.sort((a, b) => a.offset - b.offset).map((x) => x.d);
    return errors.length ? { diagnostics } : { values, diagnostics };
  }
  if (Array.isArray(value)) {
    if (value.length) return dropRepeats(loaded, key, path, value);
    return { diagnostics: [diag(C.emptyValues, `experiment.${key} is an empty list.`, loaded.locate(path), 'Give at least one value, e.g. [1, 2], or remove the key.')] };
  }
  if (isMapping(value)) return expandMapping(loaded, key, value);
  return { values: [value], diagnostics: [] };
}

function expandMapping(loaded: LoadedYaml, key: string, m: Mapping): { values?: Value[]; diagnostics: Diagnostic[] } {
  const path = ['experiment', key];
  const keys = Object.keys(m);
  const unknown = (allowed: string[]) =>
    keys
      .filter((k) => !allowed.includes(k))
      .map((k) => {
        const near = nearest(k, allowed);
        return diag(C.unknownValueForm, `experiment.${key}: unknown key '${k}' in a ${allowed === RANGE_KEYS ? 'range' : 'values'} mapping.`, loaded.locate([...path, k], 'key'), near ? `Did you mean '${near}'?` : `Allowed keys: ${allowed.join(', ')}.`);
      });
  if ('values' in m) {
    const diagnostics = unknown(['values']);
    const list = m.values;
    if (!Array.isArray(list)) diagnostics.push(diag(C.unknownValueForm, `experiment.${key}.values must be a list.`, loaded.locate([...path, 'values']), 'Write values: [a, b, c].'));
    else if (!list.length) diagnostics.push(diag(C.emptyValues, `experiment.${key}.values is an empty list.`, loaded.locate([...path, 'values']), 'Give at least one value.'));
    if (diagnostics.length || !Array.isArray(list)) return { diagnostics };
    return dropRepeats(loaded, key, [...path, 'values'], list);
  }
  if (keys.some((k) => RANGE_KEYS.includes(k))) {
    const diagnostics = unknown(RANGE_KEYS);
    if (diagnostics.length) return { diagnostics };
    const { values, errors } = expandRange(m);
    for (const e of errors) diagnostics.push(diag(e.tooLarge ? C.dimensionTooLarge : C.badRange, `experiment.${key}: ${e.message}`, loaded.locate(e.key ? [...path, e.key] : path), e.hint));
    return values && !diagnostics.length ? { values, diagnostics } : { diagnostics };
  }
  return {
    diagnostics: [
      diag(
        C.unknownValueForm,
        `experiment.${key} is a mapping that is neither a range nor a values list.`,
        loaded.locate(path),
        'Use {from, to, step}, {from, to, num, scale} or {values: [...]}; to sweep over mappings, list them: [{...}, {...}].',
      ),
    ],
  };
}

/**
 * A YAML list with the same item twice would give two bundles of one name: the later one
 * is dropped with a warning at it (EG3007), as repeated comma items are.
 */
function dropRepeats(loaded: LoadedYaml, key: string, path: (string | number)[], list: Value[]): { values: Value[]; diagnostics: Diagnostic[] } {
  const seen = new Set<string>();
  const values: Value[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, item] of list.entries()) {
    const k = JSON.stringify(item);
    if (!seen.has(k)) {
      seen.add(k);
      values.push(item);
      continue;
    }
    if (diagnostics.length < 10) diagnostics.push(diag(C.itemDropped, `experiment.${key}: item ${i + 1} (${k.length > 40 ? `${k.slice(0, 37)}...` : k}) repeats an earlier item and is dropped.`, loaded.locate([...path, i]), 'Remove the repeat; to run a combination more than once, use sweep.repeat.', 'warning'));
  }
  return { values, diagnostics };
}
