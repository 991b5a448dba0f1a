/**
 * The validate stage: JSON Schema (schemas/*.schema.json, via ajv) plus the checks a
 * schema cannot express. Every problem is reported in one run, each mapped back to
 * the YAML position it came from.
 */
import { byPosition, diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import type { LoadedYaml, Mapping, PathSegment, Value } from '../types.js';
import { compileSchema, topLevelKeys, type SchemaError } from './ajv.js';
import { settingsSection, userOwnedSettings } from './settings.js';

export { schemaPath } from './ajv.js';
export { isSetting, SECTION, setting, settingPath, settingsLoaded, settingsSection, SETTING_SHAPES, sweepSettings, withoutSweepRules } from './settings.js';

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function dotted(path: readonly PathSegment[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') : '(top level)';
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 37)}...` : v}"`;
  return `${typeof v} ${String(v)}`;
}

function toDiagnostic(loaded: LoadedYaml, e: SchemaError): Diagnostic {
  const path = pointerToPath(e.instancePath);
  const at = dotted(path);
  const description = typeof e.parentSchema?.description === 'string' ? e.parentSchema.description : undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const near = nearest(key, allowed);
      return diag(
        'EG2001',
        `Unknown key "${key}" in ${at}.`,
        loaded.locate([...path, key], 'key'),
        near ? `Did you mean "${near}"? Allowed keys: ${allowed.join(', ')}.` : `Allowed keys: ${allowed.join(', ')}.`,
      );
    }
    case 'required':
      return diag('EG2002', `${at} is missing the required key "${String(e.params.missingProperty)}".`, loaded.locate(path, 'key'), description);
    case 'type':
      return diag('EG2003', `${at} must be ${String(e.params.type).replace(/,/g, ' or ')}, not ${typeName(e.data)}.`, loaded.locate(path), description);
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const near = typeof e.data === 'string' ? nearest(e.data, allowed) : undefined;
      return diag('EG2004', `${at} must be one of ${allowed.join(', ')}, not ${typeName(e.data)}.`, loaded.locate(path), near ? `Did you mean "${near}"?` : description);
    }
    case 'oneOf':
    case 'anyOf':
      return diag('EG2005', `${at} has an unsupported form (${typeName(e.data)}).`, loaded.locate(path), description ?? 'See schemas/config.schema.json for the accepted forms.');
    default:
      return diag('EG2006', `${at} ${e.message ?? 'is invalid'}.`, loaded.locate(path), description);
  }
}

/**
 * ajv reports every branch of a failed oneOf; the user needs one message per place.
 * Keep the oneOf/anyOf error and drop the branch errors below it, and report each
 * (keyword, path, property) once.
 */
function simplify(errors: SchemaError[]): SchemaError[] {
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath);
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && alternatives.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))) return false;
    if (alternatives.some((p) => p !== e.instancePath && e.instancePath.startsWith(`${p}/`))) return false;
    const key = `${e.keyword}|${e.instancePath}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Strings may hold tabs and newlines, but no other control characters (they reach shell scripts). */
function controlCharacters(loaded: LoadedYaml, value: Value, path: PathSegment[], out: Diagnostic[]): void {
  if (typeof value === 'string') {
    // eslint-disable-next-line no-control-regex
    const m = /[\u0000-\u0008\u000b-\u001f\u007f]/.exec(value);
    if (m) {
      const code = m[0].charCodeAt(0).toString(16).padStart(4, '0');
      out.push(diag('EG2010', `${dotted(path)} contains the control character U+${code}, which cannot be passed safely to a job script.`, loaded.locate(path), 'Remove the character; use an escape sequence your program decodes if you need it.'));
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => controlCharacters(loaded, v, [...path, i], out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) controlCharacters(loaded, v, [...path, k], out);
  }
}

export type SchemaName = 'config' | 'profile' | 'hosts' | 'workflow';

/** Validate a loaded document against one of eegen's schemas. */
export function validateDocument(loaded: LoadedYaml, schema: SchemaName): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (loaded.data === null || typeof loaded.data !== 'object' || Array.isArray(loaded.data)) {
    out.push(diag('EG2000', `${loaded.file} must contain a YAML mapping at the top level, not ${typeName(loaded.data)}.`, loaded.locate([]), 'Start the file with keys such as "experiment:".'));
    return out;
  }
  const validate = compileSchema(schema);
  // A config's keys of another shape than eegen's settings are the user's own variables
  // (settings.ts): the schema sees the config without them.
  const found: Diagnostic[] = [];
  let data = loaded.data as Mapping;
  if (schema === 'config') {
    const owned = userOwnedSettings(loaded, data, found);
    if (owned.size) data = Object.fromEntries(Object.entries(data).filter(([k]) => !owned.has(k)));
  }
  const errors = validate(data);
  found.push(...simplify(errors).map((e) => toDiagnostic(loaded, e)));
  for (const e of byPosition(found)) out.push(e);
  controlCharacters(loaded, loaded.data, [], out);
  if (schema === 'config') nearMisses(loaded, loaded.data as Record<string, unknown>, out);
  return out;
}

/**
 * Top-level keys eegen does not read are the user's own template variables (a cloudmesh
 * config is any mapping), so they are never refused as such. But a key one or two letters
 * away from one eegen reads is almost always a typo: a warning, and an error for
 * `experiment` when the config has none, because then nothing would be swept and every
 * {experiment.*} in the template would fail with a message that hides the real mistake.
 */
const SETTINGS = new Set(['experiment', 'sweep', 'identifier', 'system', 'scheduler', 'template', 'resources', 'run', 'files', 'results', 'eegen']);

function nearMisses(loaded: LoadedYaml, data: Record<string, unknown>, out: Diagnostic[]): void {
  const known = topLevelKeys('config');
  // With an eegen: section every other key is the user's: only a misspelt experiment (the
  // sweep, which stays at the top level) when there is none is still reported.
  const sectioned = settingsSection(data as Mapping) !== undefined;
  // Keys that change what eegen does; plain variables such as data or name are not typo targets.
  const targets = sectioned ? ['experiment'] : known.filter((k) => SETTINGS.has(k));
  for (const key of Object.keys(data)) {
    if (known.includes(key) || key.length < 4) continue;
    const near = nearest(key, targets);
    if (!near || near.length < 3) continue;
    const fatal = near === 'experiment' && !Object.hasOwn(data, 'experiment');
    if (sectioned && !fatal) continue;
    out.push(
      diag(
        'EG2007',
        `Unknown top-level key "${key}": did you mean "${near}"?`,
        loaded.locate([key], 'key'),
        fatal ? `Rename it to "${near}"; without an experiment section there is nothing to sweep.` : `Rename it to "${near}" if that is what you meant; if "${key}" is your own template variable, rename it to something further from eegen's keys to silence this warning.`,
        fatal ? 'error' : 'warning',
      ),
    );
  }
}
