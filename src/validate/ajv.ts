/**
 * The only import site of `ajv`. Schemas live in the package's `schemas/` folder.
 *
 * The build compiles them into validator code once (scripts/gen-validators.mjs writes
 * dist/validate/schemas.cjs, ajv's standalone code): loading that is a fraction of
 * loading ajv and compiling the config schema, which every command would otherwise pay
 * at start-up. It is used only while each schema file still has the sha256 it was
 * made from; otherwise (a schema edited since, no generated file) ajv compiles the
 * schemas here, with the same options. A user's own schema (results.schema) is always
 * compiled here: ajv itself loads only then.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';

export type SchemaError = ErrorObject & { parentSchema?: Record<string, unknown> };

/** Package root: this file is src/validate/ajv.ts or dist/validate/ajv.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

/** scripts/gen-validators.mjs passes these too (plus code generation). */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: false } as const;

export function schemaPath(name: string): string {
  return `${ROOT}schemas/${name}.schema.json`;
}

/** The package's schemas: name -> file text (read once). */
let schemaTexts: Map<string, string> | undefined;
function texts(): Map<string, string> {
  schemaTexts ??= new Map(
    readdirSync(`${ROOT}schemas`)
      .filter((n) => n.endsWith('.schema.json'))
      .sort()
      .map((f) => [f.replace(/\.schema\.json$/, ''), readFileSync(`${ROOT}schemas/${f}`, 'utf8')]),
  );
  return schemaTexts;
}

const parsed = new Map<string, Record<string, unknown>>();
function schemaObject(name: string): Record<string, unknown> {
  let s = parsed.get(name);
  if (!s) {
    const text = texts().get(name);
    if (text === undefined) throw new Error(`no schema named ${name} in ${ROOT}schemas`);
    s = JSON.parse(text) as Record<string, unknown>;
    parsed.set(name, s);
  }
  return s;
}

type Generated = Record<string, ValidateFunction> & { __schemaHashes?: Record<string, string> };
let generated: Generated | null | undefined;

/**
 * The build's compiled validators, or null when there are none or they were made from
 * other schema files than those here now (every schema counts: they $ref each other).
 */
export function generatedValidators(file = `${ROOT}dist/validate/schemas.cjs`): Generated | null {
  if (generated !== undefined && file === `${ROOT}dist/validate/schemas.cjs`) return generated;
  let mod: Generated | null = null;
  try {
    mod = require(file) as Generated;
  } catch {
    mod = null;
  }
  const made = mod?.__schemaHashes;
  if (mod && made) {
    const now = texts();
    const names = Object.keys(made);
    const same = names.length === now.size && names.every((n) => now.has(n) && createHash('sha256').update(now.get(n)!).digest('hex') === made[n]);
    if (!same) mod = null;
  } else mod = null;
  if (file === `${ROOT}dist/validate/schemas.cjs`) generated = mod;
  return mod;
}

let ajv: AjvClass | undefined;
/** One ajv instance that knows every schema in schemas/, so they can $ref each other by $id. */
function instance(): AjvClass {
  if (!ajv) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    ajv = new Ajv(AJV_OPTIONS);
    for (const name of texts().keys()) ajv.addSchema(schemaObject(name), name);
  }
  return ajv;
}

/** Compile with ajv here, ignoring the generated validators (tests compare the two). */
export function compileSchemaHere(name: string): (data: unknown) => SchemaError[] {
  const fn = instance().getSchema(name);
  if (!fn) throw new Error(`no schema named ${name} in ${ROOT}schemas`);
  return (data) => (fn(data) ? [] : ((fn.errors ?? []) as SchemaError[]));
}

const compiled = new Map<string, (data: unknown) => SchemaError[]>();

export function compileSchema(name: string): (data: unknown) => SchemaError[] {
  let v = compiled.get(name);
  if (!v) {
    const fn = generatedValidators()?.[name];
    v = typeof fn === 'function' ? (data) => (fn(data) ? [] : ((fn.errors ?? []) as SchemaError[])) : compileSchemaHere(name);
    compiled.set(name, v);
  }
  return v;
}

/** The keys a schema documents at the top level (its `properties`). */
export function topLevelKeys(name: string): string[] {
  const schema = schemaObject(name) as { properties?: Record<string, unknown> };
  return Object.keys(schema.properties ?? {});
}

/** The keys the schema lists under the top-level key `section` (its `properties`). */
export function sectionKeys(name: string, section: string): string[] {
  const schema = schemaObject(name) as { properties?: Record<string, { properties?: Record<string, unknown> }> };
  return Object.keys(schema.properties?.[section]?.properties ?? {});
}

/** The schema's own version string (its $id), recorded in manifests. */
export function schemaVersion(name: string): string {
  const schema = schemaObject(name) as { $id?: string };
  return typeof schema.$id === 'string' ? schema.$id : name;
}

/** A user-supplied schema object (e.g. for result.json), compiled once per object. */
const objectCache = new WeakMap<object, ValidateFunction>();
export function compileSchemaObject(schema: object): (data: unknown) => SchemaError[] {
  let fn = objectCache.get(schema);
  if (!fn) {
    fn = instance().compile(schema);
    objectCache.set(schema, fn);
  }
  const validate = fn;
  return (data) => (validate(data) ? [] : ((validate.errors ?? []) as SchemaError[]));
}
