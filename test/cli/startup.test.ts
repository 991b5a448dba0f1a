/**
 * Start-up: a command loads what it needs when it needs it. A build validates the
 * config with the validators the build compiled from schemas/ (dist/validate/schemas.cjs),
 * so ajv's compiler never loads, and --version loads no more than the command table.
 * Checked in real CLI processes: a preload records every CommonJS module loaded and
 * prints the list when the process exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'eegen.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'eegen-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PRELOAD = path.join(work, 'modules.cjs');
writeFileSync(PRELOAD, "process.on('exit', () => { process.stderr.write('@@MODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n'); });\n");

/** The CommonJS modules a CLI run loaded (ESM ones are ours, eta and yaml's ESM build). */
function loaded(args: string[]): { modules: string[]; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--require', PRELOAD, BIN, ...args], { cwd: work, encoding: 'utf8' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('@@MODULES '));
  return { modules: line ? (JSON.parse(line.slice(10)) as string[]) : [], status: r.status, stderr: r.stderr };
}

describe('start-up loads what the command needs', () => {
  it('a build validates its config without loading ajv or compiling a schema', () => {
    writeFileSync(path.join(work, 'config.yaml'), 'application: {name: s}\nexperiment: {epoch: "1,2"}\nrun: {command: "echo {experiment.epoch}"}\n');
    const r = loaded(['build', 'config.yaml', '--out', 'out', '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.modules.some((m) => m.endsWith(path.join('dist', 'validate', 'schemas.cjs')))).toBe(true);
    expect(r.modules.filter((m) => /[\\/]ajv[\\/]dist[\\/](ajv|core|compile[\\/]index)\.js$/.test(m))).toEqual([]);
  });

  it('a config error is still found (and reported at its place) by the generated validators', () => {
    writeFileSync(path.join(work, 'bad.yaml'), 'application: {name: s}\nexperiment: {epoch: "1,2"}\nrun: {command: "echo"}\nsweep: {repeat: "many"}\n');
    const r = loaded(['build', 'bad.yaml', '--out', 'out-bad']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+ - error EG2\d\d\d/);
    expect(r.modules.filter((m) => /[\\/]ajv[\\/]dist[\\/](ajv|core)\.js$/.test(m))).toEqual([]);
  });

  it('--version loads neither ajv, yaml, nor the schemas', () => {
    const r = loaded(['--version']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.modules.filter((m) => /[\\/](ajv|yaml|archiver|zx)[\\/]|schemas\.cjs$/.test(m))).toEqual([]);
  });
});
