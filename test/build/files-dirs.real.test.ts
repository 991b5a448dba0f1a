// Real tier: ~30 CLI builds, one on worker threads, and a 5,000-file tree (over 15 s on 2 CPUs).
// `files:` entries that name directories: the tree is copied at the same relative path, in
// byte order of paths (never the file system's), modes normalised to 0755 (owner may
// execute) / 0644, symlinks inside the project copied as what they point to, and every
// way out (symlinks leaving the tree, dangling or looping, names a bundle cannot hold,
// collisions, eegen's own names) a coded error at the entry, exit 1, no stack trace.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFiles } from '../../src/load/files.js';
import { parseYaml } from '../../src/load/index.js';
import { BIN } from '../support/cli.js';
import { listFiles, tmpDir, treeFingerprint } from '../support/tree.js';

const HEAD = 'experiment:\n  x: "1,2"\nscheduler: bash\nrun:\n  command: echo {experiment.x}\n';

function cli(cwd: string, ...args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 20_000, input: '' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

function ok(r: ReturnType<typeof cli>): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(0);
}

function userError(r: ReturnType<typeof cli>, re: RegExp): void {
  expect(r.signal, `timed out: ${r.stderr}`).toBeNull();
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
}

type Tree = Record<string, string | { content: string; mode: number }>;

function write(dir: string, tree: Tree): void {
  for (const [p, v] of Object.entries(tree)) {
    const full = path.join(dir, p);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, typeof v === 'string' ? v : v.content);
    if (typeof v !== 'string') chmodSync(full, v.mode);
  }
}

function project(files: string, tree: Tree = {}): string {
  const dir = tmpDir('eegen-files-');
  writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n${files}`);
  write(dir, tree);
  return dir;
}

const NAMES = ['plain.txt', 'with space.txt', 'quote\'s "double".txt', 'ünïcødé-文件.txt', 'Zed.txt', 'a-b.txt', 'a.b.txt', 'a_b.txt'];

describe('files: a directory', () => {
  it('copies a tree nested 3 deep at the same relative path, in byte order, with modes kept as 0755/0644', () => {
    const tree: Tree = {
      'src/pkg/__init__.py': '',
      'src/pkg/sub/deep/mod.py': 'x = 1\n',
      'src/pkg/sub/deep/deeper/leaf.py': 'y = 2\n',
      'src/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o700 },
      'src/group-exec.sh': { content: 'echo g\n', mode: 0o675 }, // owner may not execute: 0644
      'src/secret.txt': { content: 'odd mode\n', mode: 0o600 },
      'src/setuid': { content: 'x\n', mode: 0o4755 },
      'src/.env': 'A=1\n', // a directory entry copies dot files
      'src/.git/config': 'never copied\n',
      ...Object.fromEntries(NAMES.map((n) => [`src/names/${n}`, `${n}\n`])),
    };
    const dir = project('  - src\n', tree);
    ok(cli(dir, 'build', 'config.yaml'));
    const b = path.join(dir, 'out/x-1');
    const expected = Object.keys(tree).filter((p) => !p.includes('.git/'));
    const copied = listFiles(b).filter((p) => p.startsWith('src/'));
    expect(copied.sort()).toEqual(expected.sort());
    for (const p of expected) expect(readFileSync(path.join(b, p), 'utf8')).toBe(typeof tree[p] === 'string' ? tree[p] : (tree[p] as { content: string }).content);
    const mode = (p: string) => statSync(path.join(b, p)).mode & 0o7777;
    expect(mode('src/run.sh')).toBe(0o755);
    expect(mode('src/setuid')).toBe(0o755);
    expect(mode('src/group-exec.sh')).toBe(0o644);
    expect(mode('src/secret.txt')).toBe(0o644);
    expect(mode('src/pkg/sub/deep/deeper/leaf.py')).toBe(0o644);
    // SHA256SUMS and the manifest list the files in byte order of their UTF-8 paths.
    const sums = readFileSync(path.join(b, 'SHA256SUMS'), 'utf8').trimEnd().split('\n').map((l) => l.slice(66));
    expect(sums).toEqual([...sums].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(sums).toContain('src/names/ünïcødé-文件.txt');
    const manifest = JSON.parse(readFileSync(path.join(b, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files)).toEqual(sums.filter((p) => p !== 'manifest.json'));
    expect(manifest.inputs['mode:src/run.sh']).toBe('755');
    expect(manifest.inputs['mode:src/secret.txt']).toBeUndefined();
    // sha256sum -c reads every name, spaces, quotes and unicode included.
    const check = spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: b, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('`to:` places a directory elsewhere, `to: .` at the bundle root; a single file keeps its base name as before, `to: dir/` keeps it in dir', () => {
    const dir = project('  - {from: conf/site, to: etc}\n  - {from: extra, to: .}\n  - data/input.csv\n  - {from: data/input.csv, to: inputs/}\n', {
      'conf/site/a.yaml': 'a: 1\n',
      'conf/site/b/c.yaml': 'c: 1\n',
      'extra/README.txt': 'hello\n',
      'data/input.csv': 'x\n1\n',
    });
    ok(cli(dir, 'build', 'config.yaml'));
    const files = listFiles(path.join(dir, 'out/x-2'));
    expect(files).toEqual(expect.arrayContaining(['etc/a.yaml', 'etc/b/c.yaml', 'README.txt', 'input.csv', 'inputs/input.csv']));
  });

  it('a directory outside the config directory needs a `to` (EG2020); with one it is copied', () => {
    const root = tmpDir('eegen-files-');
    write(root, { 'shared/lib/util.py': 'u\n' });
    mkdirSync(path.join(root, 'proj'));
    writeFileSync(path.join(root, 'proj/config.yaml'), `${HEAD}files:\n  - ../shared/lib\n`);
    userError(cli(path.join(root, 'proj'), 'build', 'config.yaml'), /config\.yaml:7:5 - error EG2020: The directory "\.\.\/shared\/lib" lies outside the config's directory[\s\S]*hint: Give it a place in the bundle: \{from: "\.\.\/shared\/lib", to: "lib"\}/);
    writeFileSync(path.join(root, 'proj/abs.yaml'), `${HEAD}files:\n  - ${path.join(root, 'shared/lib')}\n`);
    userError(cli(path.join(root, 'proj'), 'build', 'abs.yaml'), /abs\.yaml:7:5 - error EG2020/);
    writeFileSync(path.join(root, 'proj/config.yaml'), `${HEAD}files:\n  - {from: ../shared/lib, to: lib}\n`);
    ok(cli(path.join(root, 'proj'), 'build', 'config.yaml'));
    expect(readFileSync(path.join(root, 'proj/out/x-1/lib/util.py'), 'utf8')).toBe('u\n');
    writeFileSync(path.join(root, 'proj/config.yaml'), `${HEAD}files:\n  - {from: ../shared/lib, to: ../lib}\n`);
    userError(cli(path.join(root, 'proj'), 'build', 'config.yaml'), /EG2020: The bundle path "\.\.\/lib" would land outside the bundle/);
  });

  it('symlinks inside the project are copied as what they point to (files and directories)', () => {
    const dir = project('  - src\n', { 'src/real.py': 'real\n', 'common/helpers.py': 'help\n', 'common/tool.sh': { content: 'echo\n', mode: 0o755 } });
    symlinkSync('real.py', path.join(dir, 'src/alias.py'));
    symlinkSync('../common', path.join(dir, 'src/common'));
    ok(cli(dir, 'build', 'config.yaml'));
    const b = path.join(dir, 'out/x-1');
    expect(lstatSync(path.join(b, 'src/alias.py')).isFile()).toBe(true); // a file, not a link
    expect(readFileSync(path.join(b, 'src/alias.py'), 'utf8')).toBe('real\n');
    expect(readFileSync(path.join(b, 'src/common/helpers.py'), 'utf8')).toBe('help\n');
    expect(statSync(path.join(b, 'src/common/tool.sh')).mode & 0o777).toBe(0o755);
  });

  it('a symlink out of the tree, a dangling one and loops are EG2023 at the entry, at once', () => {
    const dir = project('  - src\n', { 'src/ok.py': 'ok\n', 'src/sub/x.py': 'x\n' });
    symlinkSync('/etc/hostname', path.join(dir, 'src/outside'));
    userError(cli(dir, 'build', 'config.yaml'), /config\.yaml:7:5 - error EG2023: The symlink "src\/outside" \(in files\) points to "\/etc\/hostname", outside the project/);
    rmSync(path.join(dir, 'src/outside'));
    symlinkSync('/', path.join(dir, 'src/root'));
    userError(cli(dir, 'build', 'config.yaml'), /EG2023: The symlink "src\/root" \(in files\) points to "\/", outside the project/);
    rmSync(path.join(dir, 'src/root'));
    symlinkSync('nowhere.py', path.join(dir, 'src/dangling.py'));
    userError(cli(dir, 'build', 'config.yaml'), /config\.yaml:7:5 - error EG2023: The symlink "src\/dangling\.py" \(in files\) points to "nowhere\.py", which does not exist/);
    rmSync(path.join(dir, 'src/dangling.py'));
    // Two links up in every directory: followed naively this is 2^40 paths.
    symlinkSync('..', path.join(dir, 'src/sub/up'));
    symlinkSync('../..', path.join(dir, 'src/sub/up2'));
    const r = cli(dir, 'build', 'config.yaml');
    userError(r, /EG2023: The symlink "src\/sub\/up" \(in files\) points to "\.\.", a directory that contains it: copying it would never end/);
    expect(r.ms).toBeLessThan(5_000);
    rmSync(path.join(dir, 'src/sub/up'));
    rmSync(path.join(dir, 'src/sub/up2'));
    symlinkSync('self', path.join(dir, 'src/self'));
    userError(cli(dir, 'build', 'config.yaml'), /EG2023: The symlink "src\/self" \(in files\) is a loop of symlinks/);
    rmSync(path.join(dir, 'src/self'));
    // Excluded, a link is never looked at.
    symlinkSync('/etc', path.join(dir, 'src/data'));
    writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n  - src\n  - "!src/data"\n`);
    ok(cli(dir, 'build', 'config.yaml'));
    expect(listFiles(path.join(dir, 'out/x-1')).filter((p) => p.startsWith('src/'))).toEqual(['src/ok.py', 'src/sub/x.py']);
  });

  it('a file named with a newline is EG2026 (sha256sum -c cannot read it); a FIFO inside is EG2021', () => {
    const dir = project('  - src\n', { 'src/ok.py': 'ok\n', 'src/bad\nname.txt': 'x\n' });
    userError(cli(dir, 'build', 'config.yaml'), /config\.yaml:7:5 - error EG2026: The file "src\/bad\\nname\.txt" from files cannot be copied: its bundle path "src\/bad\\nname\.txt" contains a newline or backslash/);
    rmSync(path.join(dir, 'src/bad\nname.txt'));
    spawnSync('mkfifo', [path.join(dir, 'src/pipe')]);
    const r = cli(dir, 'build', 'config.yaml');
    userError(r, /EG2021: The file "src\/pipe" listed in files is a named pipe \(FIFO\), not a regular file/);
  });

  it('two entries at the same bundle path are EG2024 naming both; so is a file where another needs a directory', () => {
    const dir = project('  - src\n  - {from: other, to: src}\n', { 'src/a.py': 'a\n', 'other/a.py': 'other a\n', 'other/b.py': 'b\n' });
    userError(cli(dir, 'build', 'config.yaml'), /config\.yaml:8:5 - error EG2024: files\[1\] puts "other\/a\.py" at src\/a\.py, and files\[0\] \(config\.yaml:7:5\) already puts "src\/a\.py" there/);
    writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n  - src\n  - {from: other/b.py, to: src/a.py/b.py}\n`);
    userError(cli(dir, 'build', 'config.yaml'), /EG2024: files\[1\] puts "other\/b\.py" at src\/a\.py\/b\.py, and files\[0\] \(config\.yaml:7:5\) puts the file "src\/a\.py" at src\/a\.py, where this one needs a directory/);
    writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n  - src\n  - {from: other/b.py, to: src}\n`);
    userError(cli(dir, 'build', 'config.yaml'), /EG2024: files\[1\] puts "other\/b\.py" at src, and files\[0\] \(config\.yaml:7:5\) puts "src\/a\.py" below it, so src must be a directory/);
    // Two file entries with the same base name (before: EG5002 without a place).
    writeFileSync(path.join(dir, 'config.yaml'), `${HEAD}files:\n  - src/a.py\n  - other/a.py\n`);
    userError(cli(dir, 'build', 'config.yaml'), /config\.yaml:8:5 - error EG2024: files\[1\] puts "other\/a\.py" at a\.py/);
  });

  it("a copied file with one of eegen's names is EG2025: config.yaml, the script, the wrapper, manifest, run records", () => {
    const cases: [Tree, string][] = [
      [{ 'bundle/config.yaml': 'x: 1\n' }, "config\\.yaml, which is the bundle's frozen config"],
      [{ 'bundle/job.sh': 'echo\n' }, 'job\\.sh, which is the rendered job script'],
      [{ 'bundle/eegen-run.sh': 'echo\n' }, 'eegen-run\\.sh, which is the run wrapper'],
      [{ 'bundle/SHA256SUMS': '\n' }, "SHA256SUMS, which is the bundle's checksums"],
      [{ 'bundle/manifest.json': '{}\n' }, "manifest\\.json, which is the bundle's manifest"],
      [{ 'bundle/eegen-run/events.jsonl': '\n' }, "eegen-run/events\\.jsonl, which is the run's records"],
      [{ 'bundle/eegen-run.attempt-1/x': '\n' }, "eegen-run\\.attempt-1/x, which is the run's records"],
      [{ 'bundle/.eegen-tmp-x': '\n' }, "\\.eegen-tmp-x, which is the writer's temporary files"],
    ];
    for (const [tree, what] of cases) {
      const dir = project('  - {from: bundle, to: .}\n', tree);
      userError(cli(dir, 'build', 'config.yaml'), new RegExp(`config\\.yaml:7:5 - error EG2025: The file "bundle/[^"]+" from files would land at ${what}`));
    }
  });

  it('an empty directory is EG2022; .git is never copied; an eegen output directory below is skipped', () => {
    const dir = project('  - src\n', { 'src/.git/HEAD': 'ref\n' });
    userError(cli(dir, 'build', 'config.yaml'), /EG2022: The directory "src" listed in files holds no file to copy/);
    write(dir, { 'src/a.py': 'a\n' });
    writeFileSync(path.join(dir, 'src.yaml'), `${HEAD}`);
    ok(cli(dir, 'build', 'src.yaml', '--out', 'src/old-out')); // an output directory inside src
    ok(cli(dir, 'build', 'config.yaml'));
    expect(listFiles(path.join(dir, 'out/x-1')).filter((p) => p.startsWith('src/'))).toEqual(['src/a.py']);
  });

  it('the same bytes on two builds from two copies of the project made in different orders', () => {
    const tree: Tree = {};
    for (let i = 0; i < 40; i++) tree[`src/d${i % 5}/e${i % 3}/f-${String(39 - i).padStart(2, '0')}.py`] = `v = ${i}\n`;
    tree['src/tool.sh'] = { content: 'echo\n', mode: 0o755 };
    const a = project('  - src\n  - "!src/d4"\n', tree);
    const reversed: Tree = Object.fromEntries(Object.entries(tree).reverse());
    const b = project('  - src\n  - "!src/d4"\n', reversed);
    ok(cli(a, 'build', 'config.yaml'));
    ok(cli(b, 'build', 'config.yaml'));
    const fa = treeFingerprint(path.join(a, 'out'), (p) => !p.startsWith('.eegen/'));
    expect(fa).toBe(treeFingerprint(path.join(b, 'out'), (p) => !p.startsWith('.eegen/')));
    expect(fa).toContain('755  x-1/src/tool.sh');
    expect(fa).not.toContain('src/d4/');
    for (const f of ['x-1/manifest.json', 'x-2/SHA256SUMS', 'index.json', '.eegen/keys.json']) expect(readFileSync(path.join(a, 'out', f))).toEqual(readFileSync(path.join(b, 'out', f)));
    // Rendered on worker threads (the copied files and their modes cross to the workers): the same tree.
    ok(cli(b, 'build', 'config.yaml', '--out', 'out-jobs', '--jobs', '2'));
    expect(treeFingerprint(path.join(b, 'out-jobs'), (p) => !p.startsWith('.eegen/'))).toBe(fa);
    // A rebuild writes nothing; a chmod alone rewrites the bundle with the new mode.
    const r = cli(a, 'build', 'config.yaml');
    ok(r);
    expect(r.stdout).toMatch(/0 added, 0 changed, 2 unchanged/);
    chmodSync(path.join(a, 'src/d0/e0/f-39.py'), 0o755);
    const r2 = cli(a, 'build', 'config.yaml');
    ok(r2);
    expect(r2.stdout).toMatch(/0 added, 2 changed/);
    expect(statSync(path.join(a, 'out/x-1/src/d0/e0/f-39.py')).mode & 0o777).toBe(0o755);
  });

  it('build --check and verify pass for bundles with directories, and fail when a copied file is tampered with', () => {
    const dir = project('  - src\n', { 'src/a/b/c/deep.py': 'deep\n', 'src/top.py': 'top\n' });
    ok(cli(dir, 'build', 'config.yaml'));
    ok(cli(dir, 'build', 'config.yaml', '--check'));
    ok(cli(dir, 'verify', 'out'));
    const victim = path.join(dir, 'out/x-2/src/a/b/c/deep.py');
    const before = statSync(victim);
    writeFileSync(victim, 'DEEP\n');
    utimesSync(victim, before.atime, before.mtime);
    const check = cli(dir, 'build', 'config.yaml', '--check');
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout + check.stderr).toContain('x-2/src/a/b/c/deep.py');
    const verify = cli(dir, 'verify', 'out');
    expect(verify.code).toBe(1);
    expect(verify.stdout + verify.stderr).toContain('src/a/b/c/deep.py');
    ok(cli(dir, 'build', 'config.yaml')); // a plain build repairs it
    expect(readFileSync(victim, 'utf8')).toBe('deep\n');
  });

  it('a 5,000-file tree is read once, well under a second, and builds', () => {
    const dir = project('  - src\n');
    for (let d = 0; d < 50; d++) {
      mkdirSync(path.join(dir, `src/m${d}/n${d % 7}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(path.join(dir, `src/m${d}/n${d % 7}/f${f}.py`), `# ${d} ${f}\n`);
    }
    const config = path.join(dir, 'config.yaml');
    const { loaded } = parseYaml(config, readFileSync(config, 'utf8'));
    const times: number[] = [];
    let n = 0;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const r = readFiles(loaded!, ['src']);
      times.push(performance.now() - t0);
      expect(r.diagnostics).toEqual([]);
      n = r.files.length;
    }
    expect(n).toBe(5000);
    const best = Math.min(...times);
    console.log(`files-dirs: reading a 5,000-file tree: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    expect(best).toBeLessThan(1000);
    const small = project('  - src/m0/n0/f0.py\n');
    cpSync(path.join(dir, 'src/m0'), path.join(small, 'src/m0'), { recursive: true });
    const t1 = cli(small, 'build', 'config.yaml', '--dry-run');
    const t2 = cli(dir, 'build', 'config.yaml', '--dry-run');
    ok(t1);
    ok(t2);
    console.log(`files-dirs: build --dry-run of 2 bundles, 1 copied file vs 5,000: ${t1.ms} ms vs ${t2.ms} ms`);
    const w = cli(dir, 'build', 'config.yaml');
    ok(w);
    console.log(`files-dirs: full build of 2 bundles with 5,000 copied files each: ${w.ms} ms`);
    expect(readdirSync(path.join(dir, 'out/x-1/src'))).toHaveLength(50);
  });
});
