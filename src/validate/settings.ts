/**
 * Which of a config's keys are eegen's settings, and which are the user's own variables.
 *
 * A cloudmesh config is any mapping: every key is a template variable. eegen reads a few
 * top-level keys as settings (`run`, `files`, `resources`, ...), and real configs use the
 * same names for their own values (`run: {filesystem: ..., datadir: ...}` used as
 * `{run.filesystem}`). So, never an error for a key eegen does not know:
 *
 *   - a setting whose value has another shape than eegen's (a `files:` mapping, a `run:`
 *     string, a `template:` mapping) is the user's variable: eegen does not read it, and
 *     says so once (EG2009, a warning naming what eegen would have read);
 *   - inside a setting's mapping, keys eegen does not read are the user's variables
 *     (`{run.filesystem}`); only a key one or two letters from one eegen reads
 *     (`run.comand`) is reported, as a near miss (EG2008, a warning);
 *   - top-level near misses of settings are EG2007 (validate/index.ts).
 *
 * Every stage reads settings through `setting()`, so a value the user owns is never
 * taken for eegen's.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import type { LoadedYaml, Mapping, Value } from '../types.js';
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
  sweep: { shape: 'mapping', what: 'the sweep rules (zip, exclude, derive, repeat, sample, limit)' },
};

/** The settings whose mappings hold keys eegen reads (the schema lists them); the rest are the user's variables. */
const SECTIONS = ['run', 'resources', 'results', 'system'] as const;

function shapeOf(v: Value | undefined): Shape | 'other' {
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'list';
  if (v !== null && typeof v === 'object') return 'mapping';
  return 'other';
}

/** True when the config's `key` is eegen's setting (present, and of the shape eegen reads). */
export function isSetting(config: Mapping, key: string): boolean {
  const s = SETTING_SHAPES[key];
  return s !== undefined && Object.hasOwn(config, key) && shapeOf(config[key]) === s.shape;
}

/** The config's `key` as eegen's setting, or undefined when absent or the user's own variable. */
export function setting<T extends Value = Value>(config: Mapping, key: string): T | undefined {
  return isSetting(config, key) ? (config[key] as T) : undefined;
}

const A = { string: 'a string', list: 'a list', mapping: 'a mapping', other: 'a number, boolean or null' } as const;

/**
 * The keys of `data` that are the user's own variables because of their shape (EG2009
 * warnings), and near misses inside settings' mappings (EG2008 warnings).
 */
export function userOwnedSettings(loaded: LoadedYaml, data: Mapping, out: Diagnostic[]): Set<string> {
  const owned = new Set<string>();
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
