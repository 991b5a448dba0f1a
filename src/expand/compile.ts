/**
 * compileSweep: from `experiment:` and `sweep:` of a validated config to a `Sweep`.
 *
 * The order of the rules, which is also the order in which they apply:
 *  1. every experiment key expands to its values (values.ts);
 *  2. the keys form the product's axes in YAML key order, zip groups as one axis each
 *     (zip.ts), then `repeat` from sweep.repeat as the last axis; the LAST axis varies
 *     fastest, as in cloudmesh;
 *  3. derive computes extra values per combination (derive.ts);
 *  4. exclude removes combinations (exclude.ts);
 *  5. sample keeps a subset of the rest (options.ts, sample.ts).
 * All problems are collected; a sweep is returned only when there are none.
 */
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { isMapping } from '../expr/semantics.js';
import type { LoadedYaml, Mapping, Value } from '../types.js';
import { EXPAND_CODES as C } from './codes.js';
import { compileDerive } from './derive.js';
import { compileExclude } from './exclude.js';
import { checkSweepKeys, readLimit, readRepeat, readSample } from './options.js';
import { productSize } from './product.js';
import { Scope } from './scope.js';
import type { Sweep } from './types.js';
import { expandValue } from './values.js';
import { arrangeAxes } from './zip.js';

function section(loaded: LoadedYaml, config: Mapping, key: string, code: string, diagnostics: Diagnostic[]): Mapping | undefined {
  const raw: Value | undefined = config[key];
  if (raw === undefined || raw === null) return {};
  if (isMapping(raw)) return raw;
  // A `sweep:` of another shape is the user's own variable (validate/settings.ts says so).
  if (key === 'sweep') return {};
  diagnostics.push(diag(code, `${key} must be a mapping.`, loaded.locate([key]), key === 'experiment' ? 'Write experiment:\n  epoch: "1,30,60"' : 'Write sweep:\n  repeat: 3'));
  return undefined;
}

export function compileSweep(loaded: LoadedYaml, config: Mapping): { sweep?: Sweep; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const experiment = section(loaded, config, 'experiment', C.experimentShape, diagnostics);
  const options = section(loaded, config, 'sweep', C.sweepShape, diagnostics);
  if (!experiment || !options) return { diagnostics };
  diagnostics.push(...checkSweepKeys(loaded, options));

  const keys = Object.keys(experiment);
  const expanded: Array<{ name: string; values: Value[] }> = [];
  for (const name of keys) {
    const { values, diagnostics: found } = expandValue(loaded, name, experiment[name]!);
    diagnostics.push(...found);
    if (values) expanded.push({ name, values });
  }
  const { dimensions, axes, diagnostics: zipDiagnostics } = arrangeAxes(loaded, expanded, keys, options.zip);
  diagnostics.push(...zipDiagnostics);
  const repeat = readRepeat(loaded, options.repeat, keys, diagnostics);
  if (repeat !== undefined) {
    axes.push({ dims: [dimensions.length], length: repeat });
    dimensions.push({ name: 'repeat', values: Array.from({ length: repeat }, (_, i) => i + 1) });
  }

  const scope = new Scope();
  // Keys that failed to expand are still names rules may use (no second, misleading error).
  keys.forEach((k) => scope.define(k, -1));
  dimensions.forEach((d, i) => scope.define(d.name, i));
  const derive = compileDerive(loaded, options.derive, scope, dimensions.length);
  const exclude = compileExclude(loaded, options.exclude, scope);
  diagnostics.push(...derive.diagnostics, ...exclude.diagnostics);
  const sample = readSample(loaded, options.sample, diagnostics);
  const limit = readLimit(loaded, options.limit, diagnostics);

  const sweep: Sweep = { file: loaded.file, dimensions, axes, derive: derive.rules, exclude: exclude.rules, limit };
  if (sample) sweep.sample = sample;
  if (productSize(sweep) > Number.MAX_SAFE_INTEGER) {
    diagnostics.push(diag(C.productTooLarge, `The sweep has about ${productSize(sweep).toExponential(2)} combinations, too many to enumerate.`, loaded.locate(['experiment']), 'Reduce the number of values, or zip keys that go together.'));
  }
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { sweep, diagnostics };
}
