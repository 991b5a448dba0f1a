import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eegen } from '../support/cli.js';
import { listFiles, tmpDir } from '../support/tree.js';

const CONFIG = 'fixtures/cloudmask/config.yaml';
const TEMPLATE = 'fixtures/cloudmask/cloudmask.in.slurm';

describe('eegen CLI contracts', () => {
  it('build --dry-run --json writes nothing and lists bundles with id, dir and params', () => {
    const out = path.join(tmpDir(), 'out');
    const r = eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out, '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { bundles: { id: string; dir: string; params: Record<string, unknown> }[] };
    expect(json.bundles).toHaveLength(30);
    expect(json.bundles[0]).toMatchObject({ id: 'epoch-1_gpu-a100_repeat-1', dir: 'epoch-1_gpu-a100_repeat-1', params: { epoch: 1, gpu: 'a100', repeat: 1 } });
    expect(existsSync(out)).toBe(false);
  });

  it('a user error exits 1 with a positioned message and no stack trace', () => {
    const r = eegen(['build', 'fixtures/errors/schema-errors.yaml', '--out', tmpDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fixtures\/errors\/schema-errors\.yaml:\d+:\d+ - error EG2001: Unknown key "exlcude" in sweep\./m);
    expect(r.stderr).toContain('hint: Did you mean "exclude"?');
    expect(r.stderr).not.toMatch(/\n\s+at .*\.(js|ts):\d+/);
  });

  it('a missing config exits 1 naming the file', () => {
    const r = eegen(['build', 'no/such/config.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no/such/config.yaml does not exist');
  });

  it('an unknown option exits 1 with usage help', () => {
    const r = eegen(['build', CONFIG, '--no-such-flag']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('--help on every command shows examples', () => {
    for (const cmd of [[], ['build'], ['plan'], ['verify']]) {
      const r = eegen([...cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it('--check passes on a current tree and lists differences (exit 1) on a stale one', () => {
    const dir = tmpDir();
    cpSync('fixtures/cloudmask', dir, { recursive: true });
    const out = path.join(dir, 'out');
    const args = ['build', path.join(dir, 'config.yaml'), '--template', path.join(dir, 'cloudmask.in.slurm'), '--out', out];
    expect(eegen(args).code).toBe(0);
    expect(eegen([...args, '--check']).code).toBe(0);
    // A changed template changes every script; a removed bundle is missing.
    const tpl = path.join(dir, 'cloudmask.in.slurm');
    writeFileSync(tpl, readFileSync(tpl, 'utf8').replace('--mem=64G', '--mem=128G'));
    rmSync(path.join(out, 'epoch-60_gpu-v100_repeat-5'), { recursive: true });
    const before = listFiles(out).join('\n');
    const r = eegen([...args, '--check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('changed-file: epoch-1_gpu-a100_repeat-1/cloudmask.slurm');
    expect(r.stdout).toContain('missing-bundle: epoch-60_gpu-v100_repeat-5');
    expect(listFiles(out).join('\n')).toBe(before);
  });

  it('--archive writes a byte-reproducible tar.gz that lists every bundle file', () => {
    const dir = tmpDir();
    const a = path.join(dir, 'a.tar.gz');
    const b = path.join(dir, 'b.tar.gz');
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', path.join(dir, 'o1'), '--archive', a]).code).toBe(0);
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', path.join(dir, 'o2'), '--archive', b]).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const list = spawnSync('tar', ['-tzf', a], { encoding: 'utf8' }).stdout;
    expect(list).toContain('epoch-1_gpu-a100_repeat-1/cloudmask.slurm');
    expect(list).toContain('index.json');
  });

  it('jobs.sh runs every bash bundle without eegen installed', () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'config.yaml'), 'experiment:\n  n: "[1-3]"\nrun:\n  command: echo "hello {experiment.n}" > hello.txt\n');
    const out = path.join(dir, 'out');
    expect(eegen(['build', path.join(dir, 'config.yaml'), '--out', out]).code).toBe(0);
    const r = spawnSync('bash', [path.join(out, 'jobs.sh')], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.status, r.stderr).toBe(0);
    for (const n of [1, 2, 3]) expect(readFileSync(path.join(out, `n-${n}`, 'hello.txt'), 'utf8')).toBe(`hello ${n}\n`);
  });
});
