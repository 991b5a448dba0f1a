/**
 * The build compiles schemas/ into validator code (scripts/gen-validators.mjs ->
 * dist/validate/schemas.cjs) so that no command compiles a schema at start-up. These
 * tests hold the promise that this changes nothing but speed: the generated code is
 * what runs after a build, it answers every document exactly as ajv compiling the
 * schemas here does (errors included: they become the user's diagnostics), and a
 * generated file made from other schema files is never used.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSchema, compileSchemaHere, generatedValidators } from '../../src/validate/ajv.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCHEMAS = readdirSync(path.join(ROOT, 'schemas'))
  .filter((f) => f.endsWith('.schema.json'))
  .map((f) => f.replace(/\.schema\.json$/, ''));

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(e.name)) out.push(full);
  }
  return out;
}

/** Real documents (every YAML file of the fixtures and tests) and each of them broken in many ways. */
function documents(): unknown[] {
  const docs: unknown[] = [];
  for (const f of [...yamlFiles(path.join(ROOT, 'fixtures')), ...yamlFiles(path.join(ROOT, 'test'))]) {
    try {
      docs.push(parse(readFileSync(f, 'utf8')));
    } catch {
      // A fixture that is broken YAML on purpose.
    }
  }
  const wrong: unknown[] = [42, 'text', true, null, [], [1, 'a'], {}, { nested: { deeper: [null] } }, -1.5, ''];
  const broken: unknown[] = [];
  const breakAt = (doc: unknown, depth: number): void => {
    if (depth > 1 || doc === null || typeof doc !== 'object') return;
    const entries = Array.isArray(doc) ? doc.map((v, i) => [String(i), v] as const) : Object.entries(doc);
    for (const [k, v] of entries) {
      for (const w of wrong) broken.push(Array.isArray(doc) ? doc.map((x, i) => (String(i) === k ? w : x)) : { ...doc, [k]: w });
      breakAt(v, depth + 1);
    }
    if (!Array.isArray(doc)) broken.push({ ...doc, unknown_key_here: 1 });
  };
  for (const d of docs) breakAt(d, 0);
  return [...docs, ...broken, ...wrong];
}

const shape = (errors: unknown[]) => JSON.parse(JSON.stringify(errors)) as unknown;

describe('generated schema validators', () => {
  it('are what a build leaves in dist/ (run `npm run build` when this fails)', () => {
    const g = generatedValidators();
    expect(g, 'dist/validate/schemas.cjs is missing or stale: npm run build writes it').not.toBeNull();
    for (const name of SCHEMAS) expect(typeof g![name], name).toBe('function');
  });

  it('answer every document as ajv compiling the schemas here does, errors and all', () => {
    const docs = documents();
    expect(docs.length).toBeGreaterThan(500);
    let failing = 0;
    let compared = 0;
    for (const name of SCHEMAS) {
      const fast = compileSchema(name);
      const here = compileSchemaHere(name);
      for (const d of docs) {
        const a = fast(d);
        const b = here(d);
        if (a.length) failing++;
        // Compared as JSON text first (fast); a difference is shown in full.
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(shape(a), `${name}: ${JSON.stringify(d).slice(0, 200)}`).toEqual(shape(b));
        compared++;
      }
    }
    // The corpus exercises the error paths, not only documents that pass.
    expect(failing).toBeGreaterThan(1000);
    expect(compared).toBe(docs.length * SCHEMAS.length);
  });

  // Beside the real file, so the copies resolve ajv's runtime helpers as it does.
  const tmp = mkdtempSync(path.join(ROOT, 'dist', 'validate', 'test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('are not used when made from other schema files (a schema edited since the build)', () => {
    const file = path.join(tmp, 'edited.cjs');
    const text = readFileSync(path.join(ROOT, 'dist/validate/schemas.cjs'), 'utf8');
    const hashes = /exports\.__schemaHashes = (\{.*\});/.exec(text)![1]!;
    const edited = JSON.parse(hashes) as Record<string, string>;
    edited.config = '0'.repeat(64);
    writeFileSync(file, text.replace(hashes, JSON.stringify(edited)));
    expect(generatedValidators(file)).toBeNull();
    // A schema added since the build (or one removed) counts as well.
    const fewer = JSON.parse(hashes) as Record<string, string>;
    delete fewer[Object.keys(fewer)[0]!];
    writeFileSync(path.join(tmp, 'fewer.cjs'), text.replace(hashes, JSON.stringify(fewer)));
    expect(generatedValidators(path.join(tmp, 'fewer.cjs'))).toBeNull();
    // The unchanged copy is taken: the check is on the hashes, not on the path.
    copyFileSync(path.join(ROOT, 'dist/validate/schemas.cjs'), path.join(tmp, 'same.cjs'));
    expect(generatedValidators(path.join(tmp, 'same.cjs'))).not.toBeNull();
  });

  it('are not used when the file is missing, empty or not code', () => {
    expect(generatedValidators(path.join(tmp, 'absent.cjs'))).toBeNull();
    writeFileSync(path.join(tmp, 'empty.cjs'), '');
    expect(generatedValidators(path.join(tmp, 'empty.cjs'))).toBeNull();
    writeFileSync(path.join(tmp, 'junk.cjs'), 'this is not javascript {');
    expect(generatedValidators(path.join(tmp, 'junk.cjs'))).toBeNull();
  });
});
