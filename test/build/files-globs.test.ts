// `files:` glob entries (picomatch syntax, relative to the config's directory): each match
// at its relative path, dot files only where the pattern names the dot, `!` exclusions,
// a glob matching nothing an error at its place, never a walk into .git or earlier output.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFiles } from '../../src/load/files.js';
import { parseYaml } from '../../src/load/index.js';
import { BIN } from '../support/cli.js';
import { listFiles, tmpDir } from '../support/tree.js';

const HEAD = 'experiment:\n  x: "1,2"\nscheduler: bash\nrun:\n  command: echo {experiment.x}\n';

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 20_000, input: '' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const TREE: Record<string, string> = {
  'src/main.py': 'm\n',
  'src/pkg/__init__.py': '',
  'src/pkg/a.py': 'a\n',
  'src/pkg/b.txt': 'b\n',
  'src/pkg/sub/deep/c.py': 'c\n',
  'src/pkg/sub/deep/test_c.py': 't\n',
  'src/pkg/__pycache__/a.cpython-312.pyc': 'bytecode\n',
  'src/.env': 'SECRET=1\n',
  'src/pkg/.hidden/h.py': 'h\n',
  'src/.git/config': 'git\n',
  'conf/a.yaml': 'a: 1\n',
  'conf/b.yaml': 'b: 1\n',
  'conf/c.yaml': 'c: 1\n',
  'conf/run2.yaml': '\n',
  'conf/run5.yaml': '\n',
  'conf/run7.yaml': '\n',
  'model[v2].onnx': 'weights\n',
};

function project(): string {
  const dir = tmpDir('eegen-globs-');
  for (const [p, c] of Object.entries(TREE)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), c);
  }
  return dir;
}

/** The bundle paths `files` copies, read in-process (no build). */
function copied(dir: string, files: string): { paths: string[]; errors: string[] } {
  const file = path.join(dir, 'config.yaml');
  const text = `${HEAD}files:\n${files}`;
  writeFileSync(file, text);
  const { loaded } = parseYaml(file, text);
  const r = readFiles(loaded!, (loaded!.data as { files: [] }).files, 'job.sh');
  return { paths: r.files.map((f) => f.to), errors: r.diagnostics.map((d) => `${d.code} ${d.message}`) };
}

describe('files: globs', () => {
  it('`**` matches at any depth, each file at its path relative to the config directory, dot files left out', () => {
    const dir = project();
    expect(copied(dir, '  - "src/**/*.py"\n')).toEqual({ paths: ['src/main.py', 'src/pkg/__init__.py', 'src/pkg/a.py', 'src/pkg/sub/deep/c.py', 'src/pkg/sub/deep/test_c.py'], errors: [] });
    // `src/**` is the whole tree but .env, .hidden/ and .git/ (fast-glob's dot: false).
    expect(copied(dir, '  - "src/**"\n').paths).toEqual(['src/main.py', 'src/pkg/__init__.py', 'src/pkg/__pycache__/a.cpython-312.pyc', 'src/pkg/a.py', 'src/pkg/b.txt', 'src/pkg/sub/deep/c.py', 'src/pkg/sub/deep/test_c.py']);
    // Naming the dot reaches dot files; .git never.
    expect(copied(dir, '  - "src/**/.*"\n  - "src/**/.hidden/*"\n  - "src/.git/*"\n')).toEqual({ paths: ['src/.env', 'src/pkg/.hidden/h.py'], errors: [expect.stringMatching(/^EG2025 The entry "src\/\.git\/\*" lies in \.git, which eegen never copies/)] });
    expect(copied(dir, '  - src/.git\n  - src/.git/config\n').errors).toEqual([expect.stringMatching(/^EG2025 The entry "src\/\.git" lies in \.git/), expect.stringMatching(/^EG2025 The entry "src\/\.git\/config" lies in \.git/)]);
  });

  it('{a,b}, [25], ?, ranges; `to` puts matches below it relative to the static base', () => {
    const dir = project();
    expect(copied(dir, '  - "conf/{a,c}.yaml"\n  - "conf/run[25].yaml"\n').paths).toEqual(['conf/a.yaml', 'conf/c.yaml', 'conf/run2.yaml', 'conf/run5.yaml']);
    expect(copied(dir, '  - "conf/run{5..7}.yaml"\n  - "conf/?.yaml"\n').paths).toEqual(['conf/a.yaml', 'conf/b.yaml', 'conf/c.yaml', 'conf/run5.yaml', 'conf/run7.yaml']);
    expect(copied(dir, '  - {from: "src/pkg/**/*.py", to: lib}\n  - {from: "conf/*.yaml", to: .}\n').paths).toEqual(['a.yaml', 'b.yaml', 'c.yaml', 'lib/__init__.py', 'lib/a.py', 'lib/sub/deep/c.py', 'lib/sub/deep/test_c.py', 'run2.yaml', 'run5.yaml', 'run7.yaml']);
    // An existing path is that path, glob characters and all.
    expect(copied(dir, '  - "model[v2].onnx"\n')).toEqual({ paths: ['model[v2].onnx'], errors: [] });
  });

  it('"!pattern" entries leave files and whole directories out of every directory and glob entry', () => {
    const dir = project();
    expect(copied(dir, '  - src\n  - "!**/__pycache__"\n  - "!src/**/test_*"\n  - "!src/.env"\n').paths).toEqual(['src/main.py', 'src/pkg/.hidden/h.py', 'src/pkg/__init__.py', 'src/pkg/a.py', 'src/pkg/b.txt', 'src/pkg/sub/deep/c.py']);
    expect(copied(dir, '  - "!src/pkg/sub"\n  - "src/**/*.py"\n').paths).toEqual(['src/main.py', 'src/pkg/__init__.py', 'src/pkg/a.py']);
    // An exclusion that leaves a glob empty makes it match nothing.
    expect(copied(dir, '  - "conf/*.yaml"\n  - "!conf/**"\n').errors).toEqual([expect.stringMatching(/^EG2022 The pattern "conf\/\*\.yaml"/)]);
  });

  it('a glob matching nothing is EG2022 at its entry (file:line:col), naming the pattern; exit 1', () => {
    const dir = project();
    writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n  - src/main.py\n  - "src/**/*.pyx"\n  - "nope/*.py"\n`);
    const r = cli(dir, 'build', 'config.yaml');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/config\.yaml:8:5 - error EG2022: The pattern "src\/\*\*\/\*\.pyx" listed in files matches no file\.\n[\s\S]*hint: Patterns are relative to the config file's directory/);
    expect(r.stderr).toMatch(/config\.yaml:9:5 - error EG2022: The pattern "nope\/\*\.py" listed in files matches no file \(there is no directory "nope"\)/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
  });

  it('a glob from outside the config directory needs a `to` (EG2020)', () => {
    const root = tmpDir('eegen-globs-');
    mkdirSync(path.join(root, 'shared'));
    writeFileSync(path.join(root, 'shared/u.py'), 'u\n');
    mkdirSync(path.join(root, 'proj'));
    expect(copied(path.join(root, 'proj'), '  - "../shared/*.py"\n').errors).toEqual([expect.stringMatching(/^EG2020 The pattern "\.\.\/shared\/\*\.py" lies outside the config's directory/)]);
    expect(copied(path.join(root, 'proj'), '  - {from: "../shared/*.py", to: shared}\n').paths).toEqual(['shared/u.py']);
  });

  it('symlinks: followed inside the project, refused outside only where the glob would copy or enter them', () => {
    const dir = project();
    symlinkSync('../../conf', path.join(dir, 'src/pkg/conf'));
    symlinkSync('/etc/hostname', path.join(dir, 'src/pkg/host.txt'));
    symlinkSync('..', path.join(dir, 'src/pkg/sub/up'));
    // `*.yaml` through a directory symlink inside the project; host.txt is not a match: not looked at.
    expect(copied(dir, '  - "src/pkg/*/*.yaml"\n')).toEqual({ paths: ['src/pkg/conf/a.yaml', 'src/pkg/conf/b.yaml', 'src/pkg/conf/c.yaml', 'src/pkg/conf/run2.yaml', 'src/pkg/conf/run5.yaml', 'src/pkg/conf/run7.yaml'], errors: [] });
    const t0 = performance.now();
    const all = copied(dir, '  - "src/**/*.txt"\n');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(all.errors).toEqual([expect.stringMatching(/^EG2023 The symlink "src\/pkg\/host\.txt" \(in files\) points to "\/etc\/hostname", outside the project/), expect.stringMatching(/^EG2023 The symlink "src\/pkg\/sub\/up" \(in files\) points to "\.\.", a directory that contains it/)]);
    expect(copied(dir, '  - "src/**/*.txt"\n  - "!src/pkg/host.txt"\n  - "!**/up"\n')).toEqual({ paths: ['src/pkg/b.txt'], errors: [] });
  });

  it('`**/*.py` from the project root skips an earlier build\'s output directory and keeps the executable bit', () => {
    const dir = project();
    writeFileSync(path.join(dir, 'tool.py'), '#!/usr/bin/env python3\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n  - "**/*.py"\n  - "!src/pkg/sub"\n`);
    for (let k = 0; k < 2; k++) {
      const r = cli(dir, 'build', 'config.yaml');
      expect(r.code, r.stderr).toBe(0);
    }
    const b = path.join(dir, 'out/x-1');
    expect(listFiles(b).filter((p) => p.endsWith('.py'))).toEqual(['src/main.py', 'src/pkg/__init__.py', 'src/pkg/a.py', 'tool.py']);
    expect(statSync(path.join(b, 'tool.py')).mode & 0o777).toBe(0o755);
    expect(readFileSync(path.join(b, 'src/pkg/a.py'), 'utf8')).toBe('a\n');
  });
});
