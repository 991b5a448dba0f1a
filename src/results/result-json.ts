/**
 * result.json: the figures an app reports about its run, one JSON object, written by the
 * app (see runtime/) into the bundle. Free-form unless the experiment gives a JSON schema.
 */
import type { Mapping } from '../types.js';
import { Problems, RESULT_CODES as C, type Parsed, type ReadOptions } from './codes.js';
import { checkSchema } from './schema.js';
import { isRecord, parseJsonLenient } from './text.js';

/**
 * Reads result.json; with `schema` (a JSON Schema as an object), checks it and lists every
 * violation. The value is undefined only when the text is not a JSON object; a document
 * that breaks the schema is still returned, beside its errors.
 */
export function readResultJson(text: string, schema?: object, options: ReadOptions = {}): Parsed<Mapping | undefined> {
  const problems = new Problems(options.file);
  const parsed = parseJsonLenient(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) {
    problems.add(C.resultNotJson, 'result.json is not valid JSON.', undefined, 'Write it with the runtime helper result(), which writes atomically.', 'error');
    return { value: undefined, problems: problems.done() };
  }
  if (!isRecord(parsed.value)) {
    problems.add(C.resultNotObject, 'result.json must hold one JSON object.', undefined, 'Wrap the values: {"accuracy": 0.91}.', 'error');
    return { value: undefined, problems: problems.done() };
  }
  const value = parsed.value as Mapping;
  if (schema) {
    const checked = checkSchema(schema, value);
    if ('schemaError' in checked) problems.add(C.resultBadSchema, `The result schema cannot be used: ${checked.schemaError}`, undefined, undefined, 'error');
    else for (const p of checked.problems) problems.add(C.resultSchema, `result.json${p.path ? ` at ${p.path}` : ''} ${p.message}.`, undefined, undefined, 'error');
  }
  return { value, problems: problems.done() };
}
