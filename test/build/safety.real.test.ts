import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { parseYaml } from '../../src/load/index.js';
import { listFiles, tmpDir } from '../support/tree.js';

const values = (parseYaml('c', readFileSync('fixtures/hostile/config.yaml', 'utf8')).loaded!.data as { experiment: { value: string[] } }).experiment.value;
const PWNED = ['/tmp/eegen-pwned-1', '/tmp/eegen-pwned-2', '/tmp/eegen-pwned-3'];

function runAll(out: string, bundles: { dir: string; script: string }[]): void {
  for (const b of bundles) {
    const r = spawnSync('bash', [b.script], { cwd: path.join(out, b.dir), encoding: 'utf8' });
    expect(r.status, `${b.dir}: ${r.stderr}`).toBe(0);
  }
}

describe('hostile parameter values', () => {
  beforeEach(() => {
    for (const f of PWNED) rmSync(f, { force: true });
  });

  it('never execute and reach the program byte-exactly through a cloudmesh template (unquoted, quoted, heredoc)', async () => {
    const out = tmpDir();
    const r = await build({ config: 'fixtures/hostile/config.yaml', template: 'fixtures/hostile/printargs.in.sh', out });
    expect(r.diagnostics).toEqual([]);
    runAll(out, r.plan!.bundles);
    for (const f of PWNED) expect(existsSync(f), f).toBe(false);
    for (const b of r.plan!.bundles) {
      const expected = `${b.params.value as string}\n`;
      for (const f of ['unquoted.txt', 'single.txt', 'double.txt', 'heredoc.txt']) {
        expect(readFileSync(path.join(out, b.dir, f), 'utf8'), `${b.dir}/${f}`).toBe(expected);
      }
    }
    expect(r.plan!.bundles.map((b) => b.params.value)).toEqual(values);
  });

  it('never execute and reach the program byte-exactly through the built-in Eta template', async () => {
    const out = tmpDir();
    const r = await build({ config: 'fixtures/hostile/config.yaml', out });
    expect(r.diagnostics).toEqual([]);
    runAll(out, r.plan!.bundles);
    for (const f of PWNED) expect(existsSync(f), f).toBe(false);
    // run.command is the user's own shell text; {experiment.value} inside it is quoted.
    for (const b of r.plan!.bundles) expect(readFileSync(path.join(out, b.dir, 'received.txt'), 'utf8')).toBe(`${b.params.value as string}\n`);
  });

  it('cannot write outside the output directory, whatever the value', async () => {
    const parent = tmpDir();
    const out = path.join(parent, 'out');
    const r = await build({ config: 'fixtures/hostile/config.yaml', out });
    expect(r.ok).toBe(true);
    expect(listFiles(parent).every((f) => f.startsWith('out/'))).toBe(true);
    const dirs = r.plan!.bundles.map((b) => b.dir);
    expect(new Set(dirs.map((d) => d.toLowerCase())).size).toBe(values.length);
    for (const d of dirs) {
      expect(d).toMatch(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/);
      expect(d.length).toBeLessThanOrEqual(100);
    }
  });
});
