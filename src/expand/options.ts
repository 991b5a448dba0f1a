/**
 * The scalar options of `sweep:`: repeat, sample and limit.
 *
 * - `repeat: N` adds a dimension `repeat` = 1..N as the LAST key, so it varies fastest
 *   (each configuration's repeats are next to each other, as with cloudmesh's
 *   `repeat: "1,2,3"`). It is an error when `experiment:` already has `repeat`.
 * - `sample: {count, method, seed}` keeps `count` of the combinations left after exclude:
 *   `random` (the default) picks a uniform random subset; `lhs` places `count` points as a
 *   Latin hypercube over the axes, so each axis's values are used equally often, then drops
 *   the points that exclude rules remove. `seed` (default 0) makes both repeatable.
 * - `limit` (default 10000): more kept combinations than this is refused unless forced.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import { isMapping } from '../expr/semantics.js';
import type { LoadedYaml, Mapping, Value } from '../types.js';
import { DEFAULT_LIMIT, EXPAND_CODES as C } from './codes.js';
import type { SampleSpec } from './types.js';

export const SWEEP_KEYS = ['zip', 'exclude', 'derive', 'repeat', 'sample', 'limit'];

const isCount = (v: Value | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

export function checkSweepKeys(loaded: LoadedYaml, sweep: Mapping): Diagnostic[] {
  return Object.keys(sweep)
    .filter((k) => !SWEEP_KEYS.includes(k))
    .map((k) => {
      const near = nearest(k, SWEEP_KEYS);
      return diag(C.sweepShape, `Unknown key '${k}' in sweep.`, loaded.locate(['sweep', k], 'key'), near ? `Did you mean '${near}'?` : `sweep takes ${SWEEP_KEYS.join(', ')}.`);
    });
}

export function readRepeat(loaded: LoadedYaml, raw: Value | undefined, experimentKeys: string[], diagnostics: Diagnostic[]): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isCount(raw)) {
    diagnostics.push(diag(C.repeatInvalid, `sweep.repeat must be a whole number of at least 1, got ${JSON.stringify(raw)}.`, loaded.locate(['sweep', 'repeat']), 'Write repeat: 3 to run each combination three times.'));
    return undefined;
  }
  if (experimentKeys.includes('repeat')) {
    diagnostics.push(diag(C.repeatCollision, 'sweep.repeat is set, but experiment already has a key named repeat.', loaded.locate(['sweep', 'repeat'], 'key'), 'Use one of them: remove sweep.repeat or experiment.repeat.'));
    return undefined;
  }
  return raw;
}

export function readSample(loaded: LoadedYaml, raw: Value | undefined, diagnostics: Diagnostic[]): SampleSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  const at = (k?: string) => loaded.locate(k ? ['sweep', 'sample', k] : ['sweep', 'sample']);
  const hint = 'Write sample: {count: 100, method: random, seed: 42} (method random or lhs).';
  if (!isMapping(raw)) {
    diagnostics.push(diag(C.sampleInvalid, 'sweep.sample must be a mapping.', at(), hint));
    return undefined;
  }
  const before = diagnostics.length;
  for (const k of Object.keys(raw).filter((k) => !['count', 'method', 'seed'].includes(k))) {
    diagnostics.push(diag(C.sampleInvalid, `Unknown key '${k}' in sweep.sample.`, loaded.locate(['sweep', 'sample', k], 'key'), hint));
  }
  const { count, method = 'random', seed = 0 } = raw;
  if (!isCount(count)) diagnostics.push(diag(C.sampleInvalid, 'sweep.sample.count must be a whole number of at least 1.', at(count === undefined ? undefined : 'count'), hint));
  if (method !== 'random' && method !== 'lhs') diagnostics.push(diag(C.sampleInvalid, `sweep.sample.method must be random or lhs, got ${JSON.stringify(method)}.`, at('method'), hint));
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) diagnostics.push(diag(C.sampleInvalid, 'sweep.sample.seed must be a whole number.', at('seed'), hint));
  if (diagnostics.length > before) return undefined;
  const spec = { method, count, seed } as Omit<SampleSpec, 'label'>;
  return { ...spec, label: `sample ${spec.method} count=${spec.count} seed=${spec.seed}` };
}

export function readLimit(loaded: LoadedYaml, raw: Value | undefined, diagnostics: Diagnostic[]): number {
  if (raw === undefined || raw === null) return DEFAULT_LIMIT;
  if (isCount(raw)) return raw;
  diagnostics.push(diag(C.limitInvalid, `sweep.limit must be a whole number of at least 1, got ${JSON.stringify(raw)}.`, loaded.locate(['sweep', 'limit']), `Omit it for the default (${DEFAULT_LIMIT}).`));
  return DEFAULT_LIMIT;
}
