import { execFile } from 'node:child_process';
import { appendFile, chmod, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkBuild, writeBuild as writeBuildWith, WriteError } from '../../src/write/index.js';

const writeBuild = writeBuildWith;
import { finalizeBundle } from '../../src/write/manifest.js';
import { verifyTree } from '../../src/verify/index.js';
import type { BuildPlan } from '../../src/types.js';
import { makeDraft, makePlan, mtimes, snapshot, tempDir } from './helpers.js';

const run = promisify(execFile);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WriteError);
    return (e as WriteError).code;
  }
  return 'ok';
}

describe.each(['sync', 'async'] as const)('writeBuild (%s fs calls)', (mode) => {
  const writeBuild = (plan: Parameters<typeof writeBuildWith>[0], out: string, opts: Parameters<typeof writeBuildWith>[2] = {}) => writeBuildWith(plan, out, { fs: mode, ...opts });

  it('writes bundles that `sha256sum -c` and `shasum -a 256 -c` accept, with script modes', async () => {
    const out = await tempDir();
    const report = await writeBuild(makePlan(3), out);
    expect(report.added).toEqual(['b0000', 'b0001', 'b0002']);
    const bundle = join(out, 'b0001');
    const { stdout } = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: bundle });
    expect(stdout.trim().split('\n')).toEqual(['config.yaml: OK', 'data/input.txt: OK', 'manifest.json: OK', 'run.sh: OK']);
    await run('shasum', ['-a', '256', '-c', 'SHA256SUMS'], { cwd: bundle });
    expect((await stat(join(bundle, 'run.sh'))).mode & 0o111).not.toBe(0);
    expect((await stat(join(bundle, 'config.yaml'))).mode & 0o111).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'index.json'), 'utf8'))).toHaveLength(3);
    expect(await readdir(join(out, '.eegen', 'tmp'))).toEqual([]);
    expect((await verifyTree(out)).ok).toBe(true);
  });

  it('writes byte-identical trees for the same plan', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await writeBuild(makePlan(5), a);
    await writeBuild(makePlan(5), b);
    expect(await snapshot(a)).toEqual(await snapshot(b));
  });

  it('is incremental: unchanged bundles keep their mtimes; added, changed and stale are reported', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(4), out);
    const before = await mtimes(out);
    await new Promise((r) => setTimeout(r, 20));

    const again = await writeBuild(makePlan(4), out);
    expect(again).toMatchObject({ added: [], changed: [], unchanged: ['b0000', 'b0001', 'b0002', 'b0003'], stale: [], removed: [] });
    expect(await mtimes(out)).toEqual(before); // bundles, their files and index.json untouched

    // b0000 unchanged, b0001 and b0002 changed (B variant), b0003 gone, b0004 new.
    const plan: BuildPlan = makePlan(1);
    const b = makePlan(2, 'B', 1).bundles;
    plan.bundles.push(...b, makePlan(1, 'A', 4).bundles[0]!);
    const r = await writeBuild(plan, out);
    expect(r).toMatchObject({ added: ['b0004'], changed: ['b0001', 'b0002'], unchanged: ['b0000'], stale: ['b0003'], removed: [], changedAfterSubmit: [] });
    const after = await mtimes(out);
    for (const f of ['b0000', 'b0000/run.sh', 'b0003/run.sh']) expect(after.get(f)).toBe(before.get(f));
    // b0001 dropped data/input.txt for data/other.txt; the old file is gone.
    expect(after.has('b0001/data/input.txt')).toBe(false);
    expect(after.has('b0001/data/other.txt')).toBe(true);
    expect((await verifyTree(out)).ok).toBe(true);

    const pruned = await writeBuild(plan, out, { prune: true });
    expect(pruned).toMatchObject({ removed: ['b0003'], stale: [], unchanged: ['b0000', 'b0001', 'b0002', 'b0004'] });
    expect(after.has('b0003')).toBe(true);
    await expect(stat(join(out, 'b0003'))).rejects.toThrow();
  });

  it('never deletes run outputs: they survive a rebuild of the bundle and a prune', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(3), out);
    await writeFile(join(out, 'b0001', 'slurm-123.out'), 'log\n');
    await mkdir(join(out, 'b0001', 'data', 'results'));
    await writeFile(join(out, 'b0001', 'data', 'results', 'r.csv'), '1,2\n');
    await writeFile(join(out, 'b0002', 'status'), 'done\n');

    const plan = makePlan(2, 'B'); // b0001 changes (drops data/input.txt), b0002 is stale
    const r = await writeBuild(plan, out, { prune: true });
    expect(r.changed).toEqual(['b0000', 'b0001']);
    expect(r.changedAfterSubmit).toEqual(['b0001']); // it holds run outputs
    expect(r.removed).toEqual([]);
    expect(r.stale).toEqual(['b0002']);
    expect(r.warnings.map((w) => w.code)).toEqual(['EG5040']);
    expect(r.warnings[0]!.message).toContain('status');
    expect(await readFile(join(out, 'b0001', 'slurm-123.out'), 'utf8')).toBe('log\n');
    expect(await readFile(join(out, 'b0001', 'data', 'results', 'r.csv'), 'utf8')).toBe('1,2\n');
    expect(await readFile(join(out, 'b0002', 'status'), 'utf8')).toBe('done\n');
    await expect(stat(join(out, 'b0001', 'data', 'input.txt'))).rejects.toThrow();
    expect((await verifyTree(out)).ok).toBe(true);
  });

  it('reports changedAfterSubmit from the ledger (last entry per id, malformed lines ignored)', async () => {
    const out = await tempDir();
    const a = makePlan(3);
    await writeBuild(a, out);
    const ledger = [
      { id: 'b0000', bundleHash: a.bundles[0]!.hash },
      { id: 'b0001', bundleHash: 'f'.repeat(64) },
      { id: 'b0001', bundleHash: a.bundles[1]!.hash },
      { id: 'b0002', bundleHash: a.bundles[2]!.hash },
    ];
    await writeFile(join(out, '.eegen', 'ledger.jsonl'), ledger.map((l) => JSON.stringify(l)).join('\n') + '\n{not json\n{"id": 5}\n');
    const b = makePlan(2, 'B');
    b.bundles.push(a.bundles[2]!);
    const r = await writeBuild(b, out);
    expect(r.changed).toEqual(['b0000', 'b0001']);
    expect(r.changedAfterSubmit).toEqual(['b0000', 'b0001']);
    expect(r.unchanged).toEqual(['b0002']);
  });

  it('finds stale bundles in nested dirs it wrote before', async () => {
    const out = await tempDir();
    const nested = (n: number) => ({
      bundles: Array.from({ length: n }, (_, i) => finalizeBundle(makeDraft(i, 'A', { dir: `sweep/x/b${i}` }))),
      sideFiles: [],
      diagnostics: [],
    });
    await writeBuild(nested(3), out);
    const r = await writeBuild(nested(2), out, { prune: true });
    expect(r.removed).toEqual(['b0002']);
    await expect(stat(join(out, 'sweep/x/b2'))).rejects.toThrow();
    expect((await verifyTree(out)).bundles).toBe(2);
  });

  it('refuses to escape the output dir and writes nothing', async () => {
    const out = await tempDir();
    const outside = await tempDir();
    const plan = makePlan(2);
    const evil = (dir: string): BuildPlan => ({ ...plan, bundles: [{ ...plan.bundles[0]!, dir }, plan.bundles[1]!] });
    expect(await codeOf(writeBuild(evil('../escape'), out))).toBe('EG5001');
    expect(await codeOf(writeBuild(evil('/abs/dir'), out))).toBe('EG5001');
    expect(await codeOf(writeBuild({ ...plan, sideFiles: [{ path: '../x', content: Buffer.from(''), mode: 0o644 }] }, out))).toBe('EG5001');

    await symlink(outside, join(out, 'link'));
    expect(await codeOf(writeBuild(evil('link/b0'), out))).toBe('EG5007');
    await symlink(outside, join(out, 'b0000'));
    expect(await codeOf(writeBuild(plan, out))).toBe('EG5007');
    expect(await readdir(outside)).toEqual([]);
    expect((await readdir(out)).sort()).toEqual(['b0000', 'link']);
  });

  it('refuses a symlinked directory inside an existing bundle that leads out', async () => {
    const out = await tempDir();
    const outside = await tempDir();
    await writeBuild(makePlan(1), out);
    await import('node:fs/promises').then((fs) => fs.rm(join(out, 'b0000', 'data'), { recursive: true }));
    await symlink(outside, join(out, 'b0000', 'data'));
    expect(await codeOf(writeBuild(makePlan(1, 'B'), out))).toBe('EG5007');
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses duplicate and nested bundle dirs, and side files over bundles', async () => {
    const out = await tempDir();
    const p = makePlan(2);
    expect(await codeOf(writeBuild({ ...p, bundles: [p.bundles[0]!, p.bundles[0]!] }, out))).toBe('EG5005');
    expect(await codeOf(writeBuild({ ...p, bundles: [p.bundles[0]!, { ...p.bundles[1]!, dir: 'b0000/inner' }] }, out))).toBe('EG5006');
    expect(await codeOf(writeBuild({ ...p, sideFiles: [{ path: 'b0000', content: Buffer.from(''), mode: 0o644 }] }, out))).toBe('EG5008');
    expect(await codeOf(writeBuild({ ...p, sideFiles: [{ path: '.eegen/x', content: Buffer.from(''), mode: 0o644 }] }, out))).toBe('EG5008');
  });

  it('refuses a second build while one holds the lock, and takes over a dead one', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(1), out);
    await writeFile(join(out, '.eegen', 'lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }));
    expect(await codeOf(writeBuild(makePlan(1), out))).toBe('EG5010');
    await writeFile(join(out, '.eegen', 'lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: (await import('node:os')).hostname() }));
    const r = await writeBuild(makePlan(1), out);
    expect(r.warnings.map((w) => w.code)).toEqual(['EG5042']);
  });

  it('adopts a bundle dir that has no manifest, keeping what is in it', async () => {
    const out = await tempDir();
    await mkdir(join(out, 'b0000'));
    await writeFile(join(out, 'b0000', 'notes.txt'), 'mine');
    const r = await writeBuild(makePlan(1), out);
    expect(r.added).toEqual(['b0000']);
    expect(await readFile(join(out, 'b0000', 'notes.txt'), 'utf8')).toBe('mine');
    expect((await verifyTree(out)).ok).toBe(true);
  });

  it('reports progress for every bundle', async () => {
    const out = await tempDir();
    const seen: number[] = [];
    await writeBuild(makePlan(5), out, { onProgress: (d, t) => (expect(t).toBe(5), seen.push(d)) });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('checkBuild', () => {
  it('lists differences and writes nothing', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(3), out);
    await appendFile(join(out, 'b0002', 'run.sh'), '# edited\n'); // behind an intact SHA256SUMS: verify's job
    const before = await snapshot(out, () => false);
    const beforeTimes = await mtimes(out);

    const plan = makePlan(1);
    plan.bundles.push(makePlan(1, 'B', 1).bundles[0]!, makePlan(1, 'A', 3).bundles[0]!);
    const { report, differences } = await checkBuild(plan, out);
    expect(report).toMatchObject({ added: ['b0003'], changed: ['b0001'], unchanged: ['b0000'], stale: ['b0002'], removed: [] });
    expect(differences).toEqual([
      { id: '', file: 'index.json', kind: 'changed-file' },
      { id: 'b0001', file: 'SHA256SUMS', kind: 'changed-file' },
      { id: 'b0001', file: 'config.yaml', kind: 'changed-file' },
      { id: 'b0001', file: 'data/other.txt', kind: 'missing-file' },
      { id: 'b0001', file: 'manifest.json', kind: 'changed-file' },
      { id: 'b0001', file: 'run.sh', kind: 'changed-file' },
      { id: 'b0002', kind: 'extra-bundle' },
      { id: 'b0003', kind: 'missing-bundle' },
    ]);
    expect(await snapshot(out, () => false)).toEqual(before);
    expect(await mtimes(out)).toEqual(beforeTimes);
  });

  it('reports everything missing for an output dir that does not exist, and creates nothing', async () => {
    const out = join(await tempDir(), 'nope');
    const { report, differences } = await checkBuild(makePlan(2), out);
    expect(report.added).toEqual(['b0000', 'b0001']);
    expect(differences.map((d) => d.kind)).toEqual(['missing-file', 'missing-bundle', 'missing-bundle']);
    await expect(stat(out)).rejects.toThrow();
  });

  it('agrees with writeBuild on a clean tree', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(3), out);
    const { report, differences } = await checkBuild(makePlan(3), out);
    expect(report.unchanged).toHaveLength(3);
    expect(differences).toEqual([]);
  });
});

describe('modes', () => {
  it('creates scripts executable even when the staging file would not be', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(1), out);
    await chmod(join(out, 'b0000', 'run.sh'), 0o644);
    await writeBuild(makePlan(1, 'B'), out);
    expect((await stat(join(out, 'b0000', 'run.sh'))).mode & 0o100).toBe(0o100);
  });
});
