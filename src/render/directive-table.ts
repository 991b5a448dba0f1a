/**
 * Which site directives a bundle gets, and `experiment.card_name`, as cloudmesh-ee does it.
 *
 * What cloudmesh does (cloudmesh/cloudmesh-ee, src/cloudmesh/ee/experimentexecutor.py at
 * 461f0d1d71496c99a9249ef9f51e294ff61cc32b, `generate_setup_from_configuration`): per job it
 * reads `system.host` and then
 *   - `if "cardname" in experiment:` key = experiment["card_name"] (the test names
 *     "cardname", so this branch only runs for a config that has a key `cardname`, and then
 *     reads `card_name`);
 *   - `elif experiment["directive"]:` slurm.sbatch = Rivanna().create_slurm_directives(host,
 *     directive), and `experiment.card_name` = the directive up to its first "-"
 *     (`a100-dgx` -> `a100`), written into the job's config.yaml (yaml.dump of the job's
 *     variables, after card_name is set) and visible to the template as
 *     `{experiment.card_name}`. That assignment replaces a card_name the user wrote.
 * The table is cloudmesh-rivanna's (src/cloudmesh/rivanna/rivanna.py, `Rivanna.directive`,
 * keyed by host then name; an unknown name is `Console.error` and `sys.exit()`); eegen's is
 * the profile's `directives:` (profiles/rivanna.yaml holds cloudmesh-rivanna's).
 *
 * eegen: the name is `experiment.directive`, else `experiment.card_name`; `experiment.gpu`
 * only when its value is the name of an entry of the profile's table (in real configs `gpu`
 * is often a GPU count, "1": then it is only a parameter). An unknown directive/card_name
 * for a profile with a (non-empty) table is an error at the value (EG4010); a profile
 * without a table never errors. A user's own `card_name` is kept (cloudmesh overwrites it).
 */
import { diag, nearest, type Diagnostic, type Span } from '../diagnostics/index.js';
import { iterateCombinations, type Sweep } from '../expand/index.js';
import { RENDER_CODES } from './codes.js';
import { SLURM_OPTIONS } from './directives.js';
import { settingsLoaded } from '../validate/settings.js';
import type { DirectiveSet, HostProfile, LoadedYaml, Mapping, PathSegment, Value } from '../types.js';

/** The profile's directive table, when it has at least one entry (an inventory host without a site profile has `{}`). */
export function directiveTable(profile: HostProfile): Record<string, DirectiveSet> | undefined {
  const t = profile.directives;
  return t && typeof t === 'object' && Object.keys(t).length ? t : undefined;
}

/** A value that can name a table entry: a non-empty string, or a number (`directive: 1`). */
function nameOf(v: Value | undefined): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

export type DirectiveKey = 'directive' | 'card_name' | 'gpu';

/**
 * The key and name that choose this bundle's site directives: `directive`, else
 * `card_name`, else `gpu` when the table has an entry of that name. A `directive` or
 * `card_name` is returned whether or not the table knows it (the caller reports it).
 */
export function directiveChoice(profile: HostProfile, params: Mapping): { key: DirectiveKey; name: string } | undefined {
  for (const key of ['directive', 'card_name'] as const) {
    const name = nameOf(params[key]);
    if (name !== undefined) return { key, name };
  }
  const gpu = nameOf(params.gpu);
  const table = directiveTable(profile);
  return gpu !== undefined && table && Object.hasOwn(table, gpu) ? { key: 'gpu', name: gpu } : undefined;
}

/**
 * `experiment.card_name` as cloudmesh-ee sets it: the directive up to its first "-"
 * (`a100-dgx` -> `a100`, Python's `directive.split("-")[0]`), added after the other keys.
 * A `card_name` already there (the user's own) is kept; no directive, no card_name.
 */
export function withCardName(params: Mapping): Mapping {
  if (Object.hasOwn(params, 'card_name')) return params;
  const d = params.directive;
  if (typeof d === 'string' && d !== '') return { ...params, card_name: d.split('-')[0]! };
  if (typeof d === 'number') return { ...params, card_name: d };
  return params;
}

/** Choices, nearest to `name` first (plausible typos by distance), then the rest in table order. */
export function nearestFirst(name: string, candidates: readonly string[]): string[] {
  const rest = [...candidates];
  const out: string[] = [];
  for (let near = nearest(name, rest); near !== undefined; near = nearest(name, rest)) {
    out.push(near);
    rest.splice(rest.indexOf(near), 1);
  }
  return [...out, ...rest];
}

/** The EG4010 error for `name` (the value of experiment.KEY) missing from the profile's table. */
export function unknownDirectiveDiagnostic(profile: HostProfile, key: DirectiveKey, name: string, where?: Span | { file: string; line?: number }): Diagnostic {
  const known = Object.keys(directiveTable(profile) ?? {});
  const ranked = nearestFirst(name, known);
  const near = nearest(name, known);
  return diag(
    RENDER_CODES.unknownDirective,
    `Host profile "${profile.name}" has no directives for "${name}" (experiment.${key}); it knows: ${ranked.join(', ')}.`,
    where,
    `${near ? `Did you mean "${near}"? ` : ''}experiment.${key} names an entry of the profile's directives: table; add "${name}" there (a copy of the profile in profiles/ beside the config), or use a name it has.`,
  );
}

/** The span of `value` inside the config entry at `path`: the comma item, the list item, or the whole value. */
function locateValue(loaded: LoadedYaml, path: readonly PathSegment[], raw: Value | undefined, value: Value): Span {
  const span = loaded.locate(path);
  if (Array.isArray(raw)) {
    const i = raw.findIndex((x) => x === value);
    return i >= 0 ? loaded.locate([...path, i]) : span;
  }
  if (raw && typeof raw === 'object' && Array.isArray((raw as Mapping).values)) {
    const i = ((raw as Mapping).values as Value[]).findIndex((x) => x === value);
    return i >= 0 ? loaded.locate([...path, 'values', i]) : span;
  }
  if (typeof raw !== 'string') return span;
  // A comma string written verbatim (plain, or quoted without escapes): point at the item.
  const quote = loaded.text[span.start] === '"' || loaded.text[span.start] === "'" ? 1 : 0;
  const start = span.start + quote;
  if (!loaded.text.startsWith(raw, start)) return span;
  const want = String(value);
  let offset = 0;
  for (const part of raw.split(',')) {
    const lead = part.length - part.trimStart().length;
    if (part.trim() === want) return { file: span.file, start: start + offset + lead, length: want.length };
    offset += part.length + 1;
  }
  return span;
}

/**
 * Every directive name a kept combination uses that the profile's table lacks, as an error
 * at the value in the config (the comma item of `experiment.directive: "a100,a1000"`, or
 * `sweep.derive.directive` for a derived one), before any bundle is rendered. Cheap when
 * all is well: the combinations are only walked when a swept value is unknown (an exclude
 * rule may remove it) or the name is derived.
 */
export function checkDirectiveNames(profile: HostProfile, loaded: LoadedYaml, sweep: Sweep): Diagnostic[] {
  const table = directiveTable(profile);
  if (!table) return [];
  const keys = ['directive', 'card_name'] as const;
  const derived = new Set(sweep.derive.map((r) => r.name).filter((n) => (keys as readonly string[]).includes(n)));
  const dims = new Map(sweep.dimensions.filter((d) => (keys as readonly string[]).includes(d.name)).map((d) => [d.name, d.values]));
  if (!derived.size && !dims.size) return [];
  if (!derived.size) {
    // Fast path: every name a combination could use is in the table.
    const directive = dims.get('directive');
    const unnamed = !directive || directive.some((v) => nameOf(v) === undefined);
    const used = [...(directive ?? []), ...(unnamed ? (dims.get('card_name') ?? []) : [])];
    if (used.every((v) => nameOf(v) === undefined || Object.hasOwn(table, nameOf(v)!))) return [];
  }
  const experiment = (loaded.data as Mapping | null)?.experiment as Mapping | undefined;
  const reported = new Map<string, Diagnostic>();
  for (const combo of iterateCombinations(sweep, [])) {
    const choice = directiveChoice(profile, combo.params);
    if (!choice || choice.key === 'gpu' || Object.hasOwn(table, choice.name)) continue;
    const id = `${choice.key}\u0000${choice.name}`;
    if (reported.has(id)) continue;
    const where = derived.has(choice.key) ? settingsLoaded(loaded, (loaded.data ?? {}) as Mapping).locate(['sweep', 'derive', choice.key]) : locateValue(loaded, ['experiment', choice.key], experiment?.[choice.key], combo.params[choice.key]!);
    reported.set(id, unknownDirectiveDiagnostic(profile, choice.key, choice.name, where));
  }
  return [...reported.values()];
}

/**
 * The scheduler directives for one bundle, from weakest to strongest:
 * the profile's defaults, then the profile's entry for this bundle's directive name
 * (directiveChoice: `experiment.directive`, else `experiment.card_name`, else
 * `experiment.gpu` when it names an entry), then the config's own `resources:`. Later
 * sources override single keys; `extra` and `setup` lists are concatenated in that order.
 *
 * The keys come in the order the #SBATCH lines are written (directives.ts slurmBlock):
 * the site entry's own keys first, in the entry's order, as cloudmesh-rivanna's
 * create_slurm_directives writes them (a100: gres, partition, account; a100-dgx: gres,
 * reservation, partition, account), each with its strongest value; then every other key in
 * SLURM_OPTIONS order (job_name, partition, account, ..., gres, ..., output, error), so a
 * config without a site entry gets the lines it always got.
 */
export function mergeDirectives(profile: HostProfile, params: Mapping, resources: Mapping | undefined): DirectiveSet & Mapping {
  const choice = directiveChoice(profile, params);
  const table = directiveTable(profile);
  const site = choice && table && Object.hasOwn(table, choice.name) ? table[choice.name] : undefined;
  const layers = [profile.defaults, site, resources as DirectiveSet | undefined];
  const merged: DirectiveSet & Mapping = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if ((k === 'extra' || k === 'setup') && Array.isArray(v)) merged[k] = [...((merged[k] as string[] | undefined) ?? []), ...(v as string[])];
      else merged[k] = v as Mapping[string];
    }
  }
  const order = [...Object.keys(site ?? {}), ...SLURM_OPTIONS.map(([k]) => k), ...Object.keys(merged)];
  const out: DirectiveSet & Mapping = {};
  for (const k of order) if (Object.hasOwn(merged, k) && !Object.hasOwn(out, k)) out[k] = merged[k]!;
  return out;
}
