/**
 * The compiler: config in, bundles out. Reads inputs, writes nothing. The stages, in
 * order (each stops the compile when it reports errors, so the user sees every problem
 * of that stage at once and nothing derived from it):
 *
 *   1. inputs.ts    load the YAML, validate it (JSON Schema), expand the sweep
 *   2. choose.ts    host profile, template, copied files: what every bundle shares
 *   3. name.ts      name and key each combination; reuse unchanged bundles
 *   4. render.ts    resolve, render, freeze, finalize (here, or on worker.ts threads)
 *      schedule.ts  runs 3-4 over the sweep in order; pool.ts the render workers
 *   5. side files   index.json and jobs.sh (bundle/side-files.ts)
 *
 * The result is a BuildPlan, which `build` hands to the writer (or compares with disk
 * for --check, or prints for --dry-run); a plain build writes each bundle as it comes.
 */
import { indexFile, jobsScript } from '../bundle/side-files.js';
import { dedupe, hasErrors, type Diagnostic } from '../diagnostics/index.js';
import { iterateCombinations, paramsAt, planSweep, productSize, varyingKeys } from '../expand/index.js';
import type { Mapping } from '../types.js';
import { setting } from '../validate/index.js';
import { EEGEN_VERSION } from '../version.js';
import { chooseShared } from './choose.js';
import { limitDiagnostic, loadInputs } from './inputs.js';
import { namingInputs } from './name.js';
import { renderInputs } from './render.js';
import { compileAll } from './schedule.js';
import { DEFAULT_LIMIT, type CompileOptions, type CompileResult, type CompileStats } from './types.js';

export { loadInputs, planExperiment } from './inputs.js';
export { bundleInputs, renderBundles, type BundleInputs } from './render.js';
export type { BundleHead, RenderSetup } from './pool.js';
export { DEFAULT_LIMIT, type CompileOptions, type CompileResult, type CompileStats, type Inputs } from './types.js';

/** --strict: every warning is an error. */
function strictly(diagnostics: Diagnostic[]): void {
  for (const [i, d] of diagnostics.entries()) if (d.severity === 'warning') diagnostics[i] = { ...d, severity: 'error', message: `${d.message} (an error with --strict)` };
}

/** Compile a config into a complete, in-memory BuildPlan. */
export async function compile(opts: CompileOptions): Promise<CompileResult> {
  // 1. Load, validate, expand.
  const { inputs, sources, diagnostics } = await loadInputs(opts.config);
  if (!inputs) return { sources, diagnostics };
  const { sweep, config } = inputs;
  const limit = sweep.limit ?? DEFAULT_LIMIT;
  if (!opts.force && productSize(sweep) > limit) {
    const planned = planSweep(sweep);
    if (planned.kept > limit) return { sources, diagnostics: [...diagnostics, limitDiagnostic(inputs, planned.kept, limit)] };
  }

  // 2. What every bundle shares.
  const shared = await chooseShared(opts, inputs);
  diagnostics.push(...shared.diagnostics);
  if (!shared.ok || hasErrors(diagnostics)) return { sources, diagnostics };
  const { profile, template, copied } = shared.ok;
  sources.add(template.file, template.text);
  const r = renderInputs(inputs, profile, template, copied, opts.strict === true);
  const varying = varyingKeys(sweep);

  // 3-4. Name, key, render and finalize each combination, in sweep order.
  const naming = namingInputs(r, varying, opts.reuse, (index) => paramsAt(sweep, index), opts.timeLimits);
  const total = opts.force ? productSize(sweep) : Math.min(productSize(sweep), limit);
  await opts.onStart?.();
  const evalErrors: Diagnostic[] = [];
  const stats: CompileStats = { workers: 0, renderedHere: 0, renderedOnWorkers: 0, reused: 0 };
  const { bundles, count } = await compileAll(opts, naming, iterateCombinations(sweep, evalErrors), evalErrors, diagnostics, total, stats);
  diagnostics.push(...evalErrors);
  if (opts.strict) strictly(diagnostics);
  if (hasErrors(diagnostics)) return { sources, diagnostics: dedupe(diagnostics), stats };

  // 5. Side files.
  const name = typeof setting(config, 'name') === 'string' ? setting<string>(config, 'name') : typeof setting<Mapping>(config, 'application')?.name === 'string' ? String(setting<Mapping>(config, 'application')!.name) : undefined;
  const index = { eegen: EEGEN_VERSION, schema: r.schema, varying, ...(name !== undefined ? { name } : {}) };
  // A streaming build's writer wrote them from the bundles as they came (write/index.ts openWrite).
  const sideFiles = opts.streamed ? [] : [indexFile(index, bundles), jobsScript(bundles)];
  // A warning from the template repeats in every bundle: report it once.
  const reported = dedupe(diagnostics);
  return { plan: { bundles, sideFiles, diagnostics: reported }, count, index, sources, diagnostics: reported, stats };
}
