/**
 * The config's `report:` settings (or `eegen.report`, read through `setting()`): what the
 * report would otherwise choose from the sweep. Each key overrides one choice:
 *
 * - `title`: the report's title (default: the experiment's name);
 * - `group_by`: the swept parameters that make a configuration (default: every one but
 *   `repeat`): runtime and energy bars per value of these, history lines coloured by them,
 *   one line per value in the metric charts (less the x parameter);
 * - `x`: the swept parameters each metric is drawn against (default: the numeric ones);
 * - `metrics`: the result columns drawn against x (default: accuracy, loss, result.*).
 *
 * The schema (schemas/config.schema.json, definitions.report) checks the keys and their
 * shapes when the config is loaded (EG2001 with the nearest name, at its line and column);
 * whether a parameter or metric exists is known only from the study: EG8104 and EG8105,
 * at the name in the config, naming the choices.
 */
import { diag, DiagnosticError, hasErrors, nearest, SourceSet, type Diagnostic } from '../diagnostics/index.js';
import { loadYamlFile } from '../load/index.js';
import type { LoadedYaml, Mapping, PathSegment, Value } from '../types.js';
import { setting, settingPath, validateDocument } from '../validate/index.js';
import type { Study } from './study.js';
import { metricsOf } from './summary.js';

export const SETTINGS_CODES = { unknownParameter: 'EG8104', unknownMetric: 'EG8105' } as const;

export interface ReportSettings {
  title?: string;
  groupBy?: string[];
  x?: string[];
  metrics?: string[];
}

/** Settings as read from a config, with where each name is written (for EG8104/EG8105). */
export interface LoadedReportSettings {
  settings: ReportSettings;
  /** The config file, when settings came from one. */
  file?: string;
  /** Its `name:` (the experiment's), when it has one. */
  name?: string;
  sources: SourceSet;
  /** Where `report.KEY` (or item `index` of it) is written. */
  locate?: (key: string, index?: number) => ReturnType<LoadedYaml['locate']>;
}

/** A DiagnosticError whose diagnostics point into `sources` (the config), for printing with code frames. */
export class ReportSettingsError extends DiagnosticError {
  readonly sources: SourceSet;
  constructor(diagnostics: Diagnostic[], sources: SourceSet) {
    super(diagnostics);
    this.name = 'ReportSettingsError';
    this.sources = sources;
  }
}

const names = (v: Value | undefined): string[] | undefined => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** Read and check `report:` of the config at `file` (the whole config is checked against its schema). */
export async function loadReportSettings(file: string): Promise<LoadedReportSettings> {
  const sources = new SourceSet();
  const { loaded, text, diagnostics } = await loadYamlFile(file);
  if (text !== undefined) sources.add(file, text);
  if (loaded && !hasErrors(diagnostics)) diagnostics.push(...validateDocument(loaded, 'config'));
  if (!loaded || hasErrors(diagnostics)) throw new ReportSettingsError(diagnostics.filter((d) => d.severity === 'error'), sources);
  const config = loaded.data as Mapping;
  const section = setting<Mapping>(config, 'report') ?? {};
  const settings: ReportSettings = {};
  if (typeof section.title === 'string') settings.title = section.title;
  const groupBy = names(section.group_by);
  const x = names(section.x);
  const metrics = names(section.metrics);
  if (groupBy) settings.groupBy = groupBy;
  if (x) settings.x = x;
  if (metrics) settings.metrics = metrics;
  return {
    settings,
    file,
    ...(typeof config.name === 'string' ? { name: config.name } : {}),
    sources,
    locate: (key, index) => {
      const at: PathSegment[] = Array.isArray(section[key]) && index !== undefined ? ['report', key, index] : ['report', key];
      return loaded.locate(settingPath(config, ...at));
    },
  };
}

/** The swept parameters of the studies, in their order: what group_by and x may name. */
export function parametersOf(studies: readonly Study[]): string[] {
  return [...new Set(studies.flatMap((s) => s.varying))];
}

/** The result columns the finished runs measured: what metrics may name. */
export function measuredOf(studies: readonly Study[]): string[] {
  return metricsOf(studies.flatMap((s) => [...s.rows.values()].filter((r) => r.state === 'done'))).map((m) => m.column);
}

/**
 * Names in the settings that the study does not have: a `group_by`/`x` entry that is not a
 * swept parameter (EG8104), a metric that is not a measured result column (EG8105).
 */
export function checkReportSettings(loaded: LoadedReportSettings, parameters: readonly string[], metrics: readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (key: 'group_by' | 'x' | 'metrics', list: readonly string[] | undefined, choices: readonly string[]): void => {
    for (const [i, name] of (list ?? []).entries()) {
      if (choices.includes(name)) continue;
      const near = nearest(name, choices);
      const what = key === 'metrics' ? 'a result column the study measured' : 'a swept parameter of the study';
      const code = key === 'metrics' ? SETTINGS_CODES.unknownMetric : SETTINGS_CODES.unknownParameter;
      const none = key === 'metrics' ? 'no finished run measured anything' : 'the study sweeps no parameter';
      out.push(
        diag(
          code,
          `report.${key}: "${name}" is not ${what}.`,
          loaded.locate?.(key, i),
          `${near ? `Did you mean "${near}"? ` : ''}${choices.length ? `Choices: ${choices.join(', ')}.` : `There is nothing to choose: ${none}.`}`,
        ),
      );
    }
  };
  check('group_by', loaded.settings.groupBy, parameters);
  check('x', loaded.settings.x, parameters);
  check('metrics', loaded.settings.metrics, metrics);
  return out;
}
