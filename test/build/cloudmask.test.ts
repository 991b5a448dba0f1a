import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { expectBaseline } from '../support/baseline.js';
import { eegen } from '../support/cli.js';
import { listFiles, mtimes, tmpDir, treeFingerprint } from '../support/tree.js';

const CONFIG = 'fixtures/cloudmask/config.yaml';
const TEMPLATE = 'fixtures/cloudmask/cloudmask.in.slurm';
const FIRST = 'epoch-1_gpu-a100_repeat-1';

describe('the seed paper example (fixtures/cloudmask)', () => {
  it('builds 30 bundles whose tree matches the golden files', async () => {
    const out = tmpDir();
    const r = eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; params: Record<string, unknown> }[] };
    expect(index.bundles).toHaveLength(30);
    // Cartesian product in key order, last key fastest.
    expect(index.bundles[0]!.params).toEqual({ epoch: 1, gpu: 'a100', repeat: 1 });
    expect(index.bundles[1]!.params).toEqual({ epoch: 1, gpu: 'a100', repeat: 2 });
    expect(index.bundles[29]!.params).toEqual({ epoch: 60, gpu: 'v100', repeat: 5 });
    expect(index.bundles[0]!.id).toBe(FIRST);
    expectBaseline('test/golden/cloudmask/tree.txt', `${treeFingerprint(out, (p) => !p.startsWith('.eegen/'))}\n`);
    for (const f of ['index.json', 'jobs.sh', `${FIRST}/cloudmask.slurm`, `${FIRST}/config.yaml`, `${FIRST}/manifest.json`, `${FIRST}/SHA256SUMS`]) {
      expectBaseline(`test/golden/cloudmask/${f}`, readFileSync(path.join(out, f), 'utf8'));
    }
  });

  it('is byte-identical across builds, users, homes and working directories', async () => {
    const a = tmpDir();
    const b = tmpDir();
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', a]).code).toBe(0);
    // Another user, another home, a secret in the environment, another cwd and absolute paths.
    const root = path.resolve('.');
    const r = eegen(['build', path.join(root, CONFIG), '--template', path.join(root, TEMPLATE), '--out', b], {
      cwd: tmpDir(),
      env: { USER: 'mallory', HOME: '/home/mallory', AWS_SECRET_ACCESS_KEY: 'sekrit-do-not-leak', LOGNAME: 'mallory' },
    });
    expect(r.code).toBe(0);
    // sigs.json caches inode numbers and change times: this machine's, by design.
    const notSigs = (p: string) => p !== '.eegen/sigs.json';
    expect(treeFingerprint(b, notSigs)).toBe(treeFingerprint(a, notSigs));
    for (const f of listFiles(b)) {
      const text = readFileSync(path.join(b, f), 'utf8');
      expect(text).not.toContain('sekrit');
      expect(text).not.toContain('mallory');
      expect(text).not.toContain(root);
    }
  });

  it('defers {os.USER} to the running user: config.yaml shows ${USER}, the script expands it at run time', () => {
    const out = tmpDir();
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out]).code).toBe(0);
    const config = readFileSync(path.join(out, FIRST, 'config.yaml'), 'utf8');
    expect(config).toContain('/scratch/${USER}/cloudmask');
    const manifest = JSON.parse(readFileSync(path.join(out, FIRST, 'manifest.json'), 'utf8')) as { env: { used: string[]; deferred: string[] }; params: unknown; files: Record<string, string> };
    expect(manifest.env.used).toEqual(['USER']);
    expect(manifest.env.deferred).toEqual(['USER']);
    expect(Object.keys(manifest.files).sort()).toEqual(['cloudmask.slurm', 'cloudmask_v2.py', 'config.yaml', 'eegen-run.sh']);
    const script = readFileSync(path.join(out, FIRST, 'cloudmask.slurm'), 'utf8');
    const dataLine = script.split('\n').find((l) => l.startsWith('DATA='))!;
    const r = spawnSync('bash', ['-c', `${dataLine}; printf '%s' "$DATA"`], { env: { ...process.env, USER: 'alice' }, encoding: 'utf8' });
    expect(r.stdout).toBe('/scratch/alice/cloudmask');
  });

  it('keeps every #SBATCH directive above the first command and passes shell syntax through', () => {
    const out = tmpDir();
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out]).code).toBe(0);
    const script = readFileSync(path.join(out, FIRST, 'cloudmask.slurm'), 'utf8');
    const lines = script.split('\n');
    const firstCommand = lines.findIndex((l) => l.trim() && !l.startsWith('#'));
    const lastDirective = lines.map((l, i) => (l.startsWith('#SBATCH') ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(lastDirective).toBeLessThan(firstCommand);
    // The GPU directives come from the site profile ({slurm.sbatch}): none without --host.
    expect(script).not.toContain('--gres');
    // {ee.identifier} names the job as cloudmesh-ee does: every experiment key, key_value.
    expect(script).toContain("#SBATCH --job-name=cloudmask-epoch_1_gpu_a100_repeat_1\n");
    expect(script).toContain(`awk -F, '{print "gpu:", $1, "driver:", $2}'`);
    expect(script).toContain('${SLURM_SUBMIT_DIR:-$(cd "$(dirname "$0")" && pwd)}');
    expect(spawnSync('bash', ['-n', path.join(out, FIRST, 'cloudmask.slurm')]).status).toBe(0);
  });

  it('takes partition, account and gres from the site profile with --host rivanna', () => {
    const out = tmpDir();
    const r = eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out, '--host', 'rivanna']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const script = readFileSync(path.join(out, FIRST, 'cloudmask.slurm'), 'utf8');
    // cloudmesh-rivanna's a100, in its order: gres, partition gpu, account; no reservation or constraint (that is a100-dgx).
    expect(script).toContain('#SBATCH --gres=gpu:a100:1\n#SBATCH --partition=gpu\n#SBATCH --account=bii_dsc_community\n');
    expect(readFileSync(path.join(out, 'epoch-1_gpu-v100_repeat-1', 'cloudmask.slurm'), 'utf8')).toContain('#SBATCH --gres=gpu:v100:1\n');
    const lines = script.split('\n');
    const firstCommand = lines.findIndex((l) => l.trim() && !l.startsWith('#'));
    expect(lines.findLastIndex((l) => l.startsWith('#SBATCH'))).toBeLessThan(firstCommand);
  });

  it('each bundle verifies with plain sha256sum -c, and with eegen verify', () => {
    const out = tmpDir();
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out]).code).toBe(0);
    const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: path.join(out, FIRST), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('manifest.json: OK');
    expect(eegen(['verify', out]).code).toBe(0);
    writeFileSync(path.join(out, FIRST, 'config.yaml'), 'tampered\n');
    const bad = eegen(['verify', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${FIRST}/config.yaml`);
  });

  it('rebuilds incrementally: a new sweep value adds bundles, a comment edit changes nothing', async () => {
    const dir = tmpDir();
    cpSync('fixtures/cloudmask', dir, { recursive: true });
    const config = path.join(dir, 'config.yaml');
    const out = path.join(dir, 'out');
    const opts = { config, template: path.join(dir, 'cloudmask.in.slurm'), out };
    const first = await build(opts);
    expect(first.report?.added).toHaveLength(30);
    const before = mtimes(out);
    await new Promise((r) => setTimeout(r, 20));

    writeFileSync(config, `# a comment the user added\n${readFileSync(config, 'utf8')}`);
    const second = await build(opts);
    expect(second.report).toMatchObject({ added: [], changed: [], removed: [] });
    expect(second.report?.unchanged).toHaveLength(30);

    writeFileSync(config, readFileSync(config, 'utf8').replace('epoch: "1,30,60"', 'epoch: "1,30,60,90"'));
    const third = await build(opts);
    expect(third.report?.added).toHaveLength(10);
    expect(third.report?.changed).toEqual([]);
    expect(third.report?.unchanged).toHaveLength(30);
    const after = mtimes(out);
    // A value added to the LAST key shifts every bundle's position in the sweep; a
    // bundle's content does not depend on its position, so nothing is rewritten.
    writeFileSync(config, readFileSync(config, 'utf8').replace('repeat: "1,2,3,4,5"', 'repeat: "1,2,3,4,5,6"'));
    const fourth = await build(opts);
    expect(fourth.report?.added).toHaveLength(8);
    expect(fourth.report?.changed).toEqual([]);
    expect(fourth.report?.unchanged).toHaveLength(40);
    // Every bundle file keeps its mtime; only the side files and eegen's own state change.
    const bundleFiles = [...before.keys()].filter((f) => f.includes('/') && !f.startsWith('.eegen/'));
    expect(bundleFiles).toHaveLength(30 * 6);
    for (const file of bundleFiles) expect(after.get(file), file).toBe(before.get(file));
  });
});
