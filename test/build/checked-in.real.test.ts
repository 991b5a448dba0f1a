// Checked-in bundles (real git) and `eegen verify` on what is not a bundle tree.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { eegen, ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });

/** A project folder with the cloudmask fixture, its bundles built into out/ and committed. */
async function committedProject(): Promise<string> {
  const repo = tmpDir('eegen-git-');
  cpSync(path.join(ROOT, 'fixtures/cloudmask'), path.join(repo, 'cloudmask'), { recursive: true });
  const r = eegen(['build', 'cloudmask/config.yaml', '--template', 'cloudmask/cloudmask.in.slurm', '--out', 'out'], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'bundles');
  return repo;
}

describe('checked-in bundles', () => {
  it('a rebuild in a fresh clone leaves git status clean and --check passes; tampering in the clone fails --check', async () => {
    const repo = await committedProject();
    const tracked = git(repo, 'ls-files', 'out/.eegen').split('\n').filter(Boolean).sort();
    expect(tracked).toEqual(['out/.eegen/.gitignore', 'out/.eegen/keys.json', 'out/.eegen/side-files.json']);
    const clone = tmpDir('eegen-clone-');
    execFileSync('git', ['clone', '-q', repo, clone]);
    const keys = path.join(clone, 'out/.eegen/keys.json');
    const before = statSync(keys).mtimeMs;
    const rebuild = eegen(['build', 'cloudmask/config.yaml', '--template', 'cloudmask/cloudmask.in.slurm', '--out', 'out'], { cwd: clone });
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(rebuild.stdout).toMatch(/30 unchanged/);
    expect(git(clone, 'status', '--porcelain')).toBe('');
    expect(statSync(keys).mtimeMs).toBe(before); // same bytes are not rewritten
    expect(eegen(['build', 'cloudmask/config.yaml', '--template', 'cloudmask/cloudmask.in.slurm', '--out', 'out', '--check'], { cwd: clone }).code).toBe(0);

    appendFileSync(path.join(clone, 'out/epoch-60_gpu-v100_repeat-5/cloudmask.slurm'), 'echo tampered\n');
    const check = eegen(['build', 'cloudmask/config.yaml', '--template', 'cloudmask/cloudmask.in.slurm', '--out', 'out', '--check'], { cwd: clone });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('epoch-60_gpu-v100_repeat-5/cloudmask.slurm');
  });

  it('a no-op rebuild rewrites nothing in .eegen', async () => {
    const out = tmpDir();
    const cfg = { config: 'fixtures/cloudmask/config.yaml', template: 'fixtures/cloudmask/cloudmask.in.slurm', out };
    await build(cfg);
    const files = ['keys.json', 'sigs.json', '.gitignore', 'side-files.json'].map((f) => path.join(out, '.eegen', f));
    const mtimes = files.map((f) => statSync(f).mtimeMs);
    await new Promise((r) => setTimeout(r, 20));
    await build(cfg);
    expect(files.map((f) => statSync(f).mtimeMs)).toEqual(mtimes);
  });

  it('the CI recipe in docs/checked-in-bundles.md runs and catches a stale checkout', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/checked-in-bundles.md'), 'utf8');
    const recipe = /```sh\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(recipe, 'docs/checked-in-bundles.md has a ```sh recipe').toBeTruthy();
    const repo = await committedProject();
    // `eegen` as an installed user has it: a command on PATH.
    const bin = tmpDir('eegen-bin-');
    writeFileSync(path.join(bin, 'eegen'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'bin/eegen.js')}" "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const run = () => {
      try {
        return { code: 0, out: execFileSync('bash', ['-euo', 'pipefail', '-c', recipe!], { cwd: repo, env, encoding: 'utf8', stdio: 'pipe' }) };
      } catch (e) {
        const err = e as { status: number; stdout: string; stderr: string };
        return { code: err.status, out: err.stdout + err.stderr };
      }
    };
    expect(run().code).toBe(0);
    // The config changed but the bundles were not rebuilt and committed: CI must fail.
    appendFileSync(path.join(repo, 'cloudmask/config.yaml'), 'extra: 1\n');
    git(repo, 'commit', '-qam', 'config changed, bundles not rebuilt');
    const stale = run();
    expect(stale.code).not.toBe(0);
    expect(stale.out).toMatch(/differ|changed/);
  });
});

describe('eegen verify refuses what is not a bundle tree', () => {
  it('a directory that does not exist: EG5050, exit 1', () => {
    const r = eegen(['verify', path.join(tmpDir(), 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EG5050.*does not exist/);
    expect(r.stdout).not.toMatch(/intact/);
  });

  it('a file, and an empty directory: exit 1', () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'f'), 'x');
    expect(eegen(['verify', path.join(dir, 'f')]).stderr).toMatch(/EG5050.*not a directory/);
    mkdirSync(path.join(dir, 'empty'));
    const r = eegen(['verify', path.join(dir, 'empty')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EG5051/);
  });

  it('a bundle without its manifest is reported, and so is a bundle index.json lists but that is gone', async () => {
    const out = tmpDir();
    await build({ config: 'fixtures/cloudmask/config.yaml', template: 'fixtures/cloudmask/cloudmask.in.slurm', out });
    rmSync(path.join(out, 'epoch-1_gpu-a100_repeat-1/manifest.json'));
    rmSync(path.join(out, 'epoch-1_gpu-a100_repeat-2'), { recursive: true });
    const r = eegen(['verify', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing: epoch-1_gpu-a100_repeat-1/manifest.json');
    expect(r.stderr).toContain('missing-bundle: epoch-1_gpu-a100_repeat-2');
    expect(r.stderr).toMatch(/in 29 bundles/);
  });
});
