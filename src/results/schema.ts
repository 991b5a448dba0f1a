/** Checks result.json against a user's schema (ajv through src/validate/ajv.ts, its one import site). */
import { compileSchemaObject } from '../validate/ajv.js';

export interface SchemaProblem {
  /** JSON pointer into the data (`/history/3/loss`), '' for the whole document. */
  path: string;
  message: string;
}

/** Every way `data` breaks `schema` (ajv allErrors), or the reason the schema cannot be compiled. */
export function checkSchema(schema: object, data: unknown): { problems: SchemaProblem[] } | { schemaError: string } {
  let validate: (data: unknown) => { instancePath: string; message?: string }[];
  try {
    validate = compileSchemaObject(schema);
  } catch (e) {
    return { schemaError: e instanceof Error ? e.message : String(e) };
  }
  return { problems: validate(data).map((e) => ({ path: e.instancePath, message: e.message ?? 'is not valid' })) };
}
