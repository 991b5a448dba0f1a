// Bad input is a coded error with exit 1 within seconds, never a hang or a stack trace, and a
// build never overwrites or deletes a file that eegen did not write. Every case goes through
// the real CLI in a child process with a hard timeout.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const OK_CONFIG = 'experiment:\n  x: "1,2"\nscheduler: bash\nrun:\n  command: echo {experiment.x}\n';

function cli(cwd: string, ...args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 10_000, input: '' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

function expectUserError(r: ReturnType<typeof cli>, code: RegExp): void {
  expect(r.signal, `timed out: ${r.stderr}`).toBeNull();
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(code);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
  expect(r.ms).toBeLessThan(10_000);
}

function project(config = OK_CONFIG): string {
  const dir = tmpDir('eegen-bad-');
  writeFileSync(path.join(dir, 'config.yaml'), config);
  return dir;
}

describe('bad inputs: a coded error, exit 1, within seconds', () => {
  it('a YAML alias bomb (billion laughs) is EG1011 at the first alias', () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, n] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) rows.push(`${n}: &${n} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`);
    const dir = project(`${rows.join('\n')}\n${OK_CONFIG}`);
    const r = cli(dir, 'build', 'config.yaml');
    expectUserError(r, /config\.yaml:2:8 - error EG1011/);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('a FIFO as template, in files:, as the config; a device and an empty directory in files:', () => {
    const dir = project(`${OK_CONFIG}files: [pipe]\n`);
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    expectUserError(cli(dir, 'build', 'config.yaml'), /config\.yaml:\d+:\d+ - error EG2021: The file "pipe" listed in files is a named pipe/);
    expectUserError(cli(dir, 'build', 'config.yaml', '--template', 'pipe'), /EG4001: The template pipe is a named pipe/);
    expectUserError(cli(dir, 'build', 'pipe'), /EG1010: The file pipe is a named pipe/);
    symlinkSync('/dev/zero', path.join(dir, 'zero'));
    writeFileSync(path.join(dir, 'dev.yaml'), `${OK_CONFIG}files: [zero]\n`);
    expectUserError(cli(dir, 'build', 'dev.yaml'), /EG2021: The file "zero" listed in files is a device/);
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'dir.yaml'), `${OK_CONFIG}files: [data]\n`);
    // A directory is copied with the files below it (test/build/files-dirs.real.test.ts); one without files is an error.
    expectUserError(cli(dir, 'build', 'dir.yaml'), /dir\.yaml:\d+:\d+ - error EG2022: The directory "data" listed in files holds no file to copy/);
  });

  it('an output directory that cannot be written: a read-only mount, a file in the way', () => {
    const dir = project();
    const ro = path.join(dir, 'ro');
    mkdirSync(path.join(ro, 'out'), { recursive: true });
    let mounted = false;
    try {
      execFileSync('mount', ['--bind', ro, ro]);
      execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
      mounted = true;
    } catch {
      console.warn('bad-inputs: cannot bind-mount read-only here (not root?); only the file-in-the-way case runs');
    }
    try {
      if (mounted) expectUserError(cli(dir, 'build', 'config.yaml', '--out', 'ro/out'), /EG5011: Having trouble writing to the output directory/);
    } finally {
      if (mounted) execFileSync('umount', [ro]);
    }
    mkdirSync(path.join(dir, 'o2'));
    writeFileSync(path.join(dir, 'o2/.eegen'), 'not a dir');
    expectUserError(cli(dir, 'build', 'config.yaml', '--out', 'o2'), /EG5011/);
    writeFileSync(path.join(dir, 'o3'), 'a file');
    expectUserError(cli(dir, 'build', 'config.yaml', '--out', 'o3/sub'), /EG5011/);
  });
});

describe('a build never overwrites or deletes what eegen did not write', () => {
  for (const name of ['index.json', 'jobs.sh']) {
    it(`the user's own ${name} in the output directory: EG5014, nothing written`, () => {
      const dir = project();
      mkdirSync(path.join(dir, 'out'));
      writeFileSync(path.join(dir, 'out', name), 'my own notes\n');
      expectUserError(cli(dir, 'build', 'config.yaml'), new RegExp(`EG5014: ${name.replace('.', '\\.')} in the output directory was not written by eegen`));
      expect(readFileSync(path.join(dir, 'out', name), 'utf8')).toBe('my own notes\n');
      expect(readdirSync(path.join(dir, 'out')).filter((f) => f !== '.eegen')).toEqual([name]);
    });
  }

  it("eegen's own index.json and jobs.sh (an earlier build's) are replaced", () => {
    const dir = project();
    expect(cli(dir, 'build', 'config.yaml').code).toBe(0);
    writeFileSync(path.join(dir, 'config.yaml'), OK_CONFIG.replace('"1,2"', '"1,2,3"'));
    const r = cli(dir, 'build', 'config.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'out/index.json'), 'utf8')).count).toBe(3);
  });

  it("a user's file inside a directory named like a bundle is never overwritten", () => {
    const dir = project();
    mkdirSync(path.join(dir, 'out/x-1'), { recursive: true });
    writeFileSync(path.join(dir, 'out/x-1/config.yaml'), 'mine: true\n');
    writeFileSync(path.join(dir, 'out/x-1/notes.txt'), 'keep\n');
    expectUserError(cli(dir, 'build', 'config.yaml'), /EG5014: x-1\/config\.yaml exists and was not written by eegen/);
    expect(readFileSync(path.join(dir, 'out/x-1/config.yaml'), 'utf8')).toBe('mine: true\n');
    expect(existsSync(path.join(dir, 'out/x-2'))).toBe(false); // nothing else was written either
  });

  it('a file a run wrote is not replaced when a new version of the bundle adds a file of that name', () => {
    const dir = project();
    expect(cli(dir, 'build', 'config.yaml').code).toBe(0);
    writeFileSync(path.join(dir, 'out/x-1/data.txt'), 'written by the run\n');
    writeFileSync(path.join(dir, 'data.txt'), 'from the config\n');
    writeFileSync(path.join(dir, 'config.yaml'), `${OK_CONFIG}files: [data.txt]\n`);
    expectUserError(cli(dir, 'build', 'config.yaml'), /EG5014: x-1\/data\.txt exists and was not written by eegen/);
    expect(readFileSync(path.join(dir, 'out/x-1/data.txt'), 'utf8')).toBe('written by the run\n');
  });

  it('--prune never deletes a directory of the user that merely holds a manifest.json', () => {
    const dir = project();
    mkdirSync(path.join(dir, 'out/my-data'), { recursive: true });
    writeFileSync(path.join(dir, 'out/my-data/manifest.json'), '{"name": "my dataset"}\n');
    const r = cli(dir, 'build', 'config.yaml', '--prune');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out/my-data/manifest.json'), 'utf8')).toBe('{"name": "my dataset"}\n');
  });
});
