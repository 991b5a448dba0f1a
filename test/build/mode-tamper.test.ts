// A chmod changes no byte, so hashes alone cannot see it: a script made non-executable
// does not run as `./job.slurm`, a data file made executable is not what the build wrote.
// verify, build --check and a plain rebuild (whose fast path trusts inode, size and
// change time) must each see an execute bit eegen did not write, on every kind of file
// (script, run wrapper, config.yaml, a copied executable, a copied data file), and a
// rebuild must put it back. The owner's execute bit is what counts: a build under
// umask 077 (files 0700/0600) verifies clean.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { verifyTree as verify } from '../../src/verify/index.js';
import { BIN, eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

function project(): { dir: string; config: string } {
  const dir = tmpDir('eegen-mode-');
  writeFileSync(path.join(dir, 'tool.sh'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  chmodSync(path.join(dir, 'tool.sh'), 0o755);
  writeFileSync(path.join(dir, 'data.txt'), 'numbers\n', { mode: 0o644 });
  chmodSync(path.join(dir, 'data.txt'), 0o644);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, 'application: {name: modes}\nscheduler: slurm\nexperiment: {epoch: "1,2"}\nfiles: [tool.sh, data.txt]\nrun: {command: "./tool.sh {experiment.epoch}"}\n');
  return { dir, config };
}

const mode = (p: string) => statSync(p).mode & 0o777;
const BUNDLE = 'epoch-1';

describe('execute bits eegen did not write', () => {
  const cases: { file: string; to: number; what: string }[] = [
    { file: 'job.slurm', to: 0o644, what: 'the script made non-executable' },
    { file: 'eegen-run.sh', to: 0o644, what: 'the run wrapper made non-executable' },
    { file: 'tool.sh', to: 0o644, what: 'a copied executable made non-executable' },
    { file: 'config.yaml', to: 0o755, what: 'config.yaml made executable' },
    { file: 'data.txt', to: 0o755, what: 'a copied data file made executable' },
  ];

  for (const c of cases) {
    it(`${c.what}: verify and --check report it, a rebuild puts it back`, async () => {
      const { dir, config } = project();
      const out = path.join(dir, 'out');
      expect((await build({ config, out })).ok).toBe(true);
      expect((await verify(out)).ok).toBe(true);
      const file = path.join(out, BUNDLE, c.file);
      const written = mode(file);
      chmodSync(file, c.to);

      const v = await verify(out);
      expect(v.problems).toEqual([{ bundle: BUNDLE, file: c.file, kind: 'mode' }]);
      const check = await build({ config, out, check: true });
      expect(check.ok).toBe(false);
      expect(check.differences).toEqual([{ id: BUNDLE, file: c.file, kind: 'changed-mode' }]);
      // The CLI says so and exits 1.
      const cli = eegen(['verify', out]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`mode: ${BUNDLE}/${c.file}`);

      const again = await build({ config, out });
      expect(again.ok).toBe(true);
      expect(again.report?.changed).toEqual([BUNDLE]);
      expect(mode(file)).toBe(written);
      expect((await verify(out)).ok).toBe(true);
      // And the next rebuild touches nothing.
      expect((await build({ config, out })).report?.unchanged).toEqual(['epoch-1', 'epoch-2']);
    });
  }

  it('modes as written: executables 0755, the rest 0644, and nothing reported for an untouched build', async () => {
    const { dir, config } = project();
    const out = path.join(dir, 'out');
    expect((await build({ config, out })).ok).toBe(true);
    const b = path.join(out, BUNDLE);
    const umask = process.umask();
    const want = (m: number) => m & ~umask;
    expect(mode(path.join(b, 'job.slurm'))).toBe(want(0o755));
    expect(mode(path.join(b, 'eegen-run.sh'))).toBe(want(0o755));
    expect(mode(path.join(b, 'tool.sh'))).toBe(want(0o755));
    expect(mode(path.join(b, 'config.yaml'))).toBe(want(0o644));
    expect(mode(path.join(b, 'data.txt'))).toBe(want(0o644));
    expect(mode(path.join(b, 'manifest.json'))).toBe(want(0o644));
    expect((await build({ config, out, check: true })).differences).toEqual([]);
  });

  it('a build under umask 077 (0700 and 0600 files) verifies and checks clean', () => {
    const { dir, config } = project();
    const out = path.join(dir, 'out77');
    mkdirSync(out);
    const r = spawnSync('bash', ['-c', 'umask 077 && exec "$0" "$1" build "$2" --out "$3" -q', process.execPath, BIN, config, out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(mode(path.join(out, BUNDLE, 'job.slurm'))).toBe(0o700);
    expect(mode(path.join(out, BUNDLE, 'config.yaml'))).toBe(0o600);
    const v = eegen(['verify', out]);
    expect(v.code, v.stderr).toBe(0);
    const c = eegen(['build', config, '--out', out, '--check']);
    expect(c.code, c.stdout + c.stderr).toBe(0);
  });
});
