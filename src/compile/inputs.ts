/** Stage 1: load, validate and expand the config (what `plan` shows and every build starts from). */
import { diag, hasErrors, SourceSet, type Diagnostic } from '../diagnostics/index.js';
import { compileSweep, planSweep, type SweepPlan } from '../expand/index.js';
import { loadYamlFile } from '../load/index.js';
import type { Mapping } from '../types.js';
import { setting, settingPath, settingsLoaded, sweepSettings, validateDocument } from '../validate/index.js';
import type { Inputs } from './types.js';

/** Load, validate and compile the sweep: everything `plan` needs, and `build` starts from. */
export async function loadInputs(configPath: string): Promise<{ inputs?: Inputs; sources: SourceSet; diagnostics: Diagnostic[] }> {
  const sources = new SourceSet();
  const { loaded, text, diagnostics } = await loadYamlFile(configPath);
  if (text !== undefined) sources.add(configPath, text);
  if (!loaded || hasErrors(diagnostics)) return { sources, diagnostics };
  diagnostics.push(...validateDocument(loaded, 'config'));
  if (hasErrors(diagnostics)) return { sources, diagnostics };
  const config = loaded.data as Mapping;
  const { sweep, diagnostics: sweepDiagnostics } = compileSweep(settingsLoaded(loaded, config), sweepSettings(config));
  diagnostics.push(...sweepDiagnostics);
  if (!sweep || hasErrors(diagnostics)) return { sources, diagnostics };
  return { inputs: { loaded, config, sweep, sources }, sources, diagnostics };
}

/** The sweep plan (counts per rule) without rendering anything. */
export async function planExperiment(configPath: string): Promise<{ plan?: SweepPlan; sources: SourceSet; diagnostics: Diagnostic[] }> {
  const { inputs, sources, diagnostics } = await loadInputs(configPath);
  if (!inputs) return { sources, diagnostics };
  const plan = planSweep(inputs.sweep);
  diagnostics.push(...plan.evalErrors);
  return { plan, sources, diagnostics };
}

export function limitDiagnostic(inputs: Inputs, kept: number, limit: number): Diagnostic {
  const where = setting(inputs.config, 'sweep') !== undefined ? inputs.loaded.locate(settingPath(inputs.config, 'sweep')) : inputs.loaded.locate(['experiment'], 'key');
  return diag(
    'EG3090',
    `The sweep keeps ${kept.toLocaleString('en-US')} combinations, more than the limit of ${limit.toLocaleString('en-US')}.`,
    where,
    'Check the sweep with `eegen plan`; narrow it with sweep.exclude or sweep.sample, raise sweep.limit, or pass --force.',
  );
}
