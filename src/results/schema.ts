/** The one import site of `ajv` among the result readers: checks result.json against a user's schema. */
import { Ajv, type ValidateFunction } from 'ajv';

let ajv: Ajv | undefined;
/** Compiled once per schema object: a collect over 1,000 runs shares one schema. */
const cache = new WeakMap<object, ValidateFunction>();

export interface SchemaProblem {
  /** JSON pointer into the data (`/history/3/loss`), '' for the whole document. */
  path: string;
  message: string;
}

/** Every way `data` breaks `schema` (ajv allErrors), or the reason the schema cannot be compiled. */
export function checkSchema(schema: object, data: unknown): { problems: SchemaProblem[] } | { schemaError: string } {
  let validate = cache.get(schema);
  if (!validate) {
    try {
      ajv ??= new Ajv({ allErrors: true, strict: false });
      validate = ajv.compile(schema);
    } catch (e) {
      return { schemaError: e instanceof Error ? e.message : String(e) };
    }
    cache.set(schema, validate);
  }
  if (validate(data)) return { problems: [] };
  return { problems: (validate.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? 'is not valid' })) };
}
