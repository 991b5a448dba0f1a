#!/usr/bin/env node
// Compiles the JSON Schemas in schemas/ into validator code once, at build time (ajv's
// standalone code), so that a command does not load ajv's compiler and compile the config
// schema on every start (measured: most of ajv's share of start-up). The output,
// dist/validate/schemas.cjs, records the sha256 of each schema it was made from:
// src/validate/ajv.ts uses it only while every schema file still has that hash, and
// compiles the schemas itself otherwise (a stale or missing file is slower, never wrong).
//
//   node scripts/gen-validators.mjs     (run by npm run build, prepare, test and bench)
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
// The same options as src/validate/ajv.ts (AJV_OPTIONS there), plus code generation.
const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, code: { source: true } });
const hashes = {};
for (const f of readdirSync(path.join(root, 'schemas')).filter((n) => n.endsWith('.schema.json')).sort()) {
  const text = readFileSync(path.join(root, 'schemas', f));
  const name = f.replace(/\.schema\.json$/, '');
  hashes[name] = createHash('sha256').update(text).digest('hex');
  ajv.addSchema(JSON.parse(text.toString('utf8')), name);
}
const code = `${standaloneCode(ajv)}\nexports.__schemaHashes = ${JSON.stringify(hashes)};\n`;
const out = path.join(root, 'dist', 'validate', 'schemas.cjs');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, code);
renameSync(`${out}.tmp`, out);
