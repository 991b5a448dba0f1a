/**
 * Which of a config's keys are eegen's settings, and which are the user's own variables.
 *
 * A cloudmesh config is any mapping: every key is a template variable. Two ways to write
 * eegen's settings:
 *
 * 1. In eegen's own section, `eegen:` (a mapping). Then eegen reads its settings from
 *    there only, and every other top-level key is the user's, with no exceptions: a
 *    top-level `files:`, `template:` or `run:` of any shape is a variable, nothing about it
 *    is checked or warned about. Inside the section everything is eegen's: an unknown key
 *    (also inside eegen.run, eegen.resources, ...) is an error with the nearest name
 *    (EG2001, schemas/config.schema.json). A setting in the section and a top-level key of
 *    the same name do not collide: the top-level one is the user's variable
 *    (`{template}`), the section's is eegen's. `experiment:` stays at the top level in
 *    both ways: it is cloudmesh's sweep, and its values are the user's variables.
 * 2. Without the section (every config written before it), eegen reads a few top-level keys
 *    as settings (`run`, `files`, `resources`, ...), and real configs use the same names
 *    for their own values (`run: {filesystem: ..., datadir: ...}` used as
 *    `{run.filesystem}`). So, never an error for a key eegen does not know:
 *    - a setting whose value has another shape than eegen's (a `files:` mapping, a `run:`
 *      string, a `template:` mapping) is the user's variable: eegen does not read it, and
 *      says so once (EG2009, a warning naming what eegen would have read);
 *    - inside a setting's mapping, keys eegen does not read are the user's variables
 *      (`{run.filesystem}`); only a key one or two letters from one eegen reads
 *      (`run.comand`) is reported, as a near miss (EG2008, a warning);
 *    - top-level near misses of settings are EG2007 (validate/index.ts).
 *    A user's key that happens to have eegen's shape is still read as eegen's: the reason
 *    for the section.
 *
 * Every stage reads settings through `setting()` (and positions through `settingPath()`),
 * so a value the user owns is never taken for eegen's.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import type { LoadedYaml, Mapping, PathSegment, Value } from '../types.js';
import { sectionKeys } from './ajv.js';

type Shape = 'string' | 'list' | 'mapping';

/** The shape eegen reads each setting in, and what it is for (for the warning). */
export const SETTING_SHAPES: Readonly<Record<string, { shape: Shape; what: string }>> = {
  name: { shape: 'string', what: 'the experiment name (index.json)' },
  template: { shape: 'string', what: 'the template file' },
  scheduler: { shape: 'string', what: 'the built-in template to use (slurm, lsf or bash)' },
  identifier: { shape: 'string', what: 'the template of bundle names' },
  files: { shape: 'list', what: 'the list of files copied into every bundle' },
  run: { shape: 'mapping', what: 'run.command / run.script for the built-in templates' },
  resources: { shape: 'mapping', what: 'scheduler resources (time, mem, partition, ...)' },
  results: { shape: 'mapping', what: 'results.schema for collect' },
  system: { shape: 'mapping', what: 'system.host, the site profile' },
  application: { shape: 'mapping', what: 'application.name' },
  eegen: { shape: 'mapping', what: "eegen's settings section" },
  sweep: { shape: 'mapping', what: 'the sweep rules (zip, exclude, derive, repeat, sample, limit)' },
  report: { shape: 'mapping', what: "eegen report's choices (title, group_by, x, metrics)" },
};

/** The settings whose mappings hold keys eegen reads (the schema lists them); the rest are the user's variables. */
const SECTIONS = ['run', 'resources', 'results', 'system'] as const;

/** The name of eegen's own settings section. */
export const SECTION = 'eegen';

const isMapping = (v: Value | undefined): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The config's `eegen:` section, when it has one (a mapping): then every setting is read from there. */
export function settingsSection(config: Mapping): Mapping | undefined {
  const s = Object.hasOwn(config, SECTION) ? config[SECTION] : undefined;
  return isMapping(s) ? s : undefined;
}

function shapeOf(v: Value | undefined): Shape | 'other' {
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'list';
  if (v !== null && typeof v === 'object') return 'mapping';
  return 'other';
}

/**
 * True when the config has eegen's setting `key`: in its `eegen:` section when it has one
 * (the schema checked its shape), else at the top level in the shape eegen reads.
 */
export function isSetting(config: Mapping, key: string): boolean {
  const s = SETTING_SHAPES[key];
  if (s === undefined) return false;
  const section = settingsSection(config);
  if (section) return Object.hasOwn(section, key) && section[key] !== null;
  return Object.hasOwn(config, key) && shapeOf(config[key]) === s.shape;
}

/** The config's `key` as eegen's setting, or undefined when absent or the user's own variable. */
export function setting<T extends Value = Value>(config: Mapping, key: string): T | undefined {
  if (!isSetting(config, key)) return undefined;
  return (settingsSection(config) ?? config)[key] as T;
}

/** Where the setting at `path` (`['system', 'host']`) is written: inside `eegen:` when the config has that section. */
export function settingPath(config: Mapping, ...path: PathSegment[]): PathSegment[] {
  return settingsSection(config) ? [SECTION, ...path] : path;
}

/**
 * `loaded` as the stages that only read settings see it (`files:`, the sweep rules):
 * positions of settings (`['sweep', 'zip', 0]`) are looked up where they are written, in
 * the `eegen:` section when the config has one. Other paths (`experiment`) are unchanged.
 */
export function settingsLoaded(loaded: LoadedYaml, config: Mapping): LoadedYaml {
  if (!settingsSection(config)) return loaded;
  return {
    file: loaded.file,
    text: loaded.text,
    data: loaded.data,
    locate: (path, which) => loaded.locate(typeof path[0] === 'string' && path[0] !== SECTION && Object.hasOwn(SETTING_SHAPES, path[0]) ? [SECTION, ...path] : path, which),
  };
}

/** What the sweep stage reads: `experiment` and eegen's `sweep` rules (from the section when there is one). */
export function sweepSettings(config: Mapping): Mapping {
  const section = settingsSection(config);
  if (!section) return config;
  const out: Mapping = {};
  if (Object.hasOwn(config, 'experiment')) out.experiment = config.experiment!;
  if (Object.hasOwn(section, 'sweep')) out.sweep = section.sweep!;
  return out;
}

const withoutRules = new WeakMap<Mapping, Mapping>();
/** eegen's settings that describe how bundles were made or are read, not what runs: no bundle holds them. */
const NOT_IN_BUNDLES = ['sweep', 'report'] as const;
/**
 * The config without eegen's sweep rules and report settings: a bundle's config.yaml has
 * its combination, not the rules that made it, and nothing of how `eegen report` draws
 * the study (so changing `report:` after the runs rewrites no bundle, and collect still
 * takes their results). From the `eegen:` section when the config has one, else the
 * top-level `sweep:`/`report:` that are eegen's settings (a user's own of another shape stays).
 */
export function withoutSweepRules(config: Mapping): Mapping {
  let out = withoutRules.get(config);
  if (out) return out;
  const section = settingsSection(config);
  const drop = (m: Mapping, keys: readonly string[]): Mapping => (keys.some((k) => Object.hasOwn(m, k)) ? Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k))) : m);
  if (section) {
    const kept = drop(section, NOT_IN_BUNDLES);
    out = kept === section ? config : { ...config, [SECTION]: kept };
  } else out = drop(config, NOT_IN_BUNDLES.filter((k) => isSetting(config, k)));
  withoutRules.set(config, out);
  return out;
}

const A = { string: 'a string', list: 'a list', mapping: 'a mapping', other: 'a number, boolean or null' } as const;

/**
 * The keys of `data` that are the user's own variables because of their shape (EG2009
 * warnings), and near misses inside settings' mappings (EG2008 warnings).
 */
export function userOwnedSettings(loaded: LoadedYaml, data: Mapping, out: Diagnostic[]): Set<string> {
  const owned = new Set<string>();
  if (settingsSection(data)) {
    // eegen's settings are in their section: every other top-level key is the user's, unchecked.
    for (const key of Object.keys(data)) if (key !== SECTION && key !== 'experiment') owned.add(key);
    return owned;
  }
  for (const [key, s] of Object.entries(SETTING_SHAPES)) {
    if (!Object.hasOwn(data, key) || data[key] === null) continue;
    const got = shapeOf(data[key]);
    if (got === s.shape) continue;
    // A scheduler given as something else than a string is still meant for eegen (`scheduler: 5`): the schema says so.
    if (key === 'scheduler' && got === 'other') continue;
    owned.add(key);
    out.push(
      diag(
        'EG2009',
        `${key} is ${A[got]}, so eegen takes it as your own variable, not as ${s.what} (which is ${A[s.shape]}).`,
        loaded.locate([key], 'key'),
        `Fine if {${key}${got === 'mapping' ? '.…' : ''}} is yours; if you meant eegen's setting, write it as ${A[s.shape]}.`,
        'warning',
      ),
    );
  }
  for (const section of SECTIONS) {
    if (owned.has(section) || !isSetting(data, section)) continue;
    const keys = sectionKeys('config', section);
    for (const k of Object.keys(data[section] as Mapping)) {
      if (keys.includes(k) || k.length < 4) continue;
      const near = nearest(k, [...keys]);
      if (!near) continue;
      out.push(diag('EG2008', `${section}.${k} is not a key eegen reads: did you mean ${section}.${near}?`, loaded.locate([section, k], 'key'), `Rename it to ${near} if that is what you meant; as written it is your own variable {${section}.${k}}.`, 'warning'));
    }
  }
  return owned;
}
