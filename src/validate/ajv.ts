/** The only import site of `ajv`. Schemas live in the package's `schemas/` folder. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export type SchemaError = ErrorObject & { parentSchema?: Record<string, unknown> };

/** Package root: this file is src/validate/ajv.ts or dist/validate/ajv.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function schemaPath(name: string): string {
  return `${ROOT}schemas/${name}.schema.json`;
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/** One ajv instance that knows every schema in schemas/, so they can $ref each other by $id. */
function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
    for (const f of readdirSync(`${ROOT}schemas`).filter((n) => n.endsWith('.schema.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(`${ROOT}schemas/${f}`, 'utf8')) as object, f.replace(/\.schema\.json$/, ''));
    }
  }
  return ajv;
}

export function compileSchema(name: string): (data: unknown) => SchemaError[] {
  let fn = compiled.get(name);
  if (!fn) {
    fn = instance().getSchema(name);
    if (!fn) throw new Error(`no schema named ${name} in ${ROOT}schemas`);
    compiled.set(name, fn);
  }
  const validate = fn;
  return (data) => (validate(data) ? [] : ((validate.errors ?? []) as SchemaError[]));
}

/** The keys a schema documents at the top level (its `properties`). */
export function topLevelKeys(name: string): string[] {
  compileSchema(name);
  const schema = compiled.get(name)!.schema as { properties?: Record<string, unknown> };
  return Object.keys(schema.properties ?? {});
}

/** The keys the schema lists under the top-level key `section` (its `properties`). */
export function sectionKeys(name: string, section: string): string[] {
  compileSchema(name);
  const schema = compiled.get(name)!.schema as { properties?: Record<string, { properties?: Record<string, unknown> }> };
  return Object.keys(schema.properties?.[section]?.properties ?? {});
}

/** The schema's own version string (its $id), recorded in manifests. */
export function schemaVersion(name: string): string {
  const schema = JSON.parse(readFileSync(schemaPath(name), 'utf8')) as { $id?: string };
  return schema.$id ?? name;
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
