/** The only import site of `ajv`. Schemas live in the package's `schemas/` folder. */
import { readFileSync } from 'node:fs';
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

export function compileSchema(name: string): (data: unknown) => SchemaError[] {
  let fn = compiled.get(name);
  if (!fn) {
    ajv ??= new Ajv({ allErrors: true, verbose: true, strict: false });
    fn = ajv.compile(JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object);
    compiled.set(name, fn);
  }
  const validate = fn;
  return (data) => (validate(data) ? [] : ((validate.errors ?? []) as SchemaError[]));
}

/** The schema's own version string (its $id), recorded in manifests. */
export function schemaVersion(name: string): string {
  const schema = JSON.parse(readFileSync(schemaPath(name), 'utf8')) as { $id?: string };
  return schema.$id ?? name;
}
