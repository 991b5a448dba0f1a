/**
 * Arranging the experiment keys into the product's axes.
 *
 * Without `sweep.zip`, every key is its own axis, in YAML key order. A zip group
 * (`[gpu, partition]` or the string "gpu,partition") turns its keys into ONE axis: the
 * i-th values of all its keys go together, so the keys must have equally many values.
 * The group sits where its first listed key sits in `experiment:`, and its keys follow
 * one another there in the order the group lists them. A key may be in one group only.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import type { LoadedYaml, PathSegment, Value } from '../types.js';
import { EXPAND_CODES as C } from './codes.js';
import type { Axis, Dimension } from './types.js';

interface Group {
  index: number;
  keys: string[];
}

const ZIP_HINT = 'Write zip: [[gpu, partition]] (or ["gpu,partition"]): a list of groups of experiment keys.';

/** Read `sweep.zip` into groups of known, not yet grouped keys. */
function readGroups(loaded: LoadedYaml, zip: Value | undefined, known: string[], diagnostics: Diagnostic[]): Group[] {
  if (zip === undefined || zip === null) return [];
  if (!Array.isArray(zip)) {
    diagnostics.push(diag(C.zipShape, 'sweep.zip must be a list of key groups.', loaded.locate(['sweep', 'zip']), ZIP_HINT));
    return [];
  }
  const seen = new Map<string, number>();
  const groups: Group[] = [];
  zip.forEach((raw, index) => {
    let entries: Array<{ name: Value; path: PathSegment[] }>;
    if (typeof raw === 'string') entries = raw.split(',').map((name) => ({ name: name.trim(), path: ['sweep', 'zip', index] }));
    else if (Array.isArray(raw)) entries = raw.map((name, k) => ({ name, path: ['sweep', 'zip', index, k] }));
    else {
      diagnostics.push(diag(C.zipShape, `sweep.zip[${index}] is not a list of keys.`, loaded.locate(['sweep', 'zip', index]), ZIP_HINT));
      return;
    }
    const keys: string[] = [];
    for (const { name, path } of entries) {
      if (typeof name !== 'string' || !known.includes(name)) {
        const near = typeof name === 'string' ? nearest(name, known) : undefined;
        diagnostics.push(diag(C.zipUnknownKey, `sweep.zip[${index}] names '${String(name)}', which is not an experiment key.`, loaded.locate(path), near ? `Did you mean '${near}'?` : `Experiment keys: ${known.join(', ') || '(none)'}.`));
      } else if (seen.has(name)) {
        diagnostics.push(diag(C.zipDuplicateKey, `'${name}' is already in sweep.zip[${seen.get(name)}].`, loaded.locate(path), 'A key can advance with one group only; merge the groups or remove it here.'));
      } else {
        seen.set(name, index);
        keys.push(name);
      }
    }
    if (keys.length) groups.push({ index, keys });
  });
  return groups;
}

/**
 * Dimensions in iteration order and the axes over them. `expanded` holds the keys whose
 * values expanded without error (in YAML order); `known` all experiment keys.
 */
export function arrangeAxes(
  loaded: LoadedYaml,
  expanded: Array<{ name: string; values: Value[] }>,
  known: string[],
  zip: Value | undefined,
): { dimensions: Dimension[]; axes: Axis[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const groups = readGroups(loaded, zip, known, diagnostics);
  const byName = new Map(expanded.map((d) => [d.name, d.values]));
  const groupOf = new Map<string, Group>();
  for (const g of groups) for (const k of g.keys) groupOf.set(k, g);
  for (const g of groups) checkLengths(loaded, g, byName, diagnostics);

  const dimensions: Dimension[] = [];
  const axes: Axis[] = [];
  for (const { name, values } of expanded) {
    const g = groupOf.get(name);
    if (!g) {
      axes.push({ dims: [dimensions.length], length: values.length });
      dimensions.push({ name, values });
      continue;
    }
    if (g.keys[0] !== name && byName.has(g.keys[0]!)) continue; // placed with its group's first key
    const axis: Axis = { dims: [], length: values.length };
    for (const k of g.keys) {
      const v = byName.get(k);
      if (!v) continue;
      axis.dims.push(dimensions.length);
      dimensions.push({ name: k, values: v, zipGroup: g.index });
    }
    axes.push(axis);
  }
  return { dimensions, axes, diagnostics };
}

function checkLengths(loaded: LoadedYaml, g: Group, byName: Map<string, Value[]>, diagnostics: Diagnostic[]): void {
  const sized = g.keys.filter((k) => byName.has(k)).map((k) => ({ k, n: byName.get(k)!.length }));
  if (sized.every((s) => s.n === sized[0]!.n)) return;
  const list = sized.map((s) => `${s.k} has ${s.n}`).join(', ');
  diagnostics.push(diag(C.zipLengthMismatch, `The keys of sweep.zip[${g.index}] have different numbers of values: ${list}.`, loaded.locate(['sweep', 'zip', g.index]), 'Zipped keys advance together, so each needs the same number of values.'));
}
