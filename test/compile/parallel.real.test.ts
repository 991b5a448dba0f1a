import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { compile } from '../../src/compile/index.js';
import { workerScript } from '../../src/compile/pool.js';
import { writeBuild } from '../../src/write/index.js';
import { stagerScript } from '../../src/write/stage-thread.js';
import { verifyTree } from '../../src/verify/index.js';
import { mtimes, snapshot } from '../write/helpers.js';

/**
 * Rendering on worker threads must not change a single byte, nor which diagnostics a
 * broken config gives, nor the promise that a failed build leaves the output as it was.
 * The workers run the compiled dist/compile/worker.js (`npm test` compiles first).
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eegen-parallel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const N = 600;
async function config(name: string, extra: string[] = [], template?: string): Promise<string> {
  const sub = join(dir, name);
  await mkdir(sub, { recursive: true });
  await writeFile(join(sub, 'data.txt'), 'shared input\n');
  if (template) await writeFile(join(sub, 'job.sh.eta'), template);
  const file = join(sub, 'config.yaml');
  await writeFile(
    file,
    [
      'application: {name: par}',
      `experiment:`,
      `  i: "[1-${N / 3}]"`,
      `  mode: "a,b c,it's"`,
      'run:',
      '  command: echo {experiment.i} {experiment.mode}',
      'files: [data.txt]',
      ...(template ? ['template: job.sh.eta'] : []),
      ...extra,
      '',
    ].join('\n'),
  );
  return file;
}

describe('parallel rendering (worker threads)', () => {
  it('has a compiled worker to run', () => {
    expect(workerScript(), 'dist/compile/worker.js is missing: run `npm run build`').toBeDefined();
  });

  it('gives the same bundles, byte for byte and in the same order, as rendering on one thread', async () => {
    const file = await config('same');
    const seq = await compile({ config: file, workers: 0 });
    const par = await compile({ config: file, workers: 2 });
    expect(seq.stats).toMatchObject({ workers: 0, renderedOnWorkers: 0, renderedHere: N });
    expect(par.stats!.workers).toBe(2);
    expect(par.stats!.renderedOnWorkers, 'most bundles rendered on workers').toBeGreaterThan(N / 2);
    expect(par.plan!.bundles.map((b) => b.id)).toEqual(seq.plan!.bundles.map((b) => b.id));
    for (const [i, b] of par.plan!.bundles.entries()) {
      const s = seq.plan!.bundles[i]!;
      expect(b.hash).toBe(s.hash);
      expect(b.files.map((f) => [f.path, f.mode, f.content.toString('base64')])).toEqual(s.files.map((f) => [f.path, f.mode, f.content.toString('base64')]));
    }
    expect(par.plan!.sideFiles.map((f) => f.content.toString())).toEqual(seq.plan!.sideFiles.map((f) => f.content.toString()));
  });

  it('writes the same tree as a one-thread build, and a rebuild reuses every bundle', async () => {
    const file = await config('tree');
    const a = join(dir, 'tree-out-seq');
    const b = join(dir, 'tree-out-par');
    const ra = await build({ config: file, out: a, workers: 0 });
    const rb = await build({ config: file, out: b, workers: 2 });
    expect(ra.ok && rb.ok).toBe(true);
    expect(rb.stats!.renderedOnWorkers).toBeGreaterThan(0);
    expect(rb.report!.added).toHaveLength(N);
    expect(await snapshot(b)).toEqual(await snapshot(a));
    expect((await verifyTree(b)).problems).toEqual([]);
    // Those builds wrote through the staging thread (over 256 new bundles); the plain writer writes inline.
    expect(stagerScript()).toBeDefined();
    const c = join(dir, 'tree-out-inline');
    await writeBuild((await compile({ config: file, workers: 0 })).plan!, c);
    expect(await snapshot(c)).toEqual(await snapshot(a));
    const again = await build({ config: file, out: b, workers: 2 });
    expect(again.report!.unchanged).toHaveLength(N);
    expect(again.stats).toMatchObject({ reused: N, renderedHere: 0, renderedOnWorkers: 0 });
  });

  it('reports the same diagnostics, and stops at the same bundle, when bundles fail to render', async () => {
    // Bundles with i > 150 fail at render time; a compile stops after 20 failing bundles.
    const file = await config('fail', [], '#!/bin/bash\n<% if (it.params.i > 150) throw new Error("too big: " + it.params.i) %>\necho <%= it.params.i %>\n');
    const seq = await compile({ config: file, workers: 0 });
    const par = await compile({ config: file, workers: 2 });
    expect(seq.plan).toBeUndefined();
    expect(par.plan).toBeUndefined();
    expect(par.stats!.workers).toBe(2);
    expect(par.diagnostics).toEqual(seq.diagnostics);
    expect(seq.diagnostics.map((d) => d.code)).toContain('EG4007');
  });

  it('leaves the output directory exactly as it was when a later bundle fails', async () => {
    const good = await config('keep', [], '#!/bin/bash\necho <%= it.params.i %>\n');
    const out = join(dir, 'keep-out');
    expect((await build({ config: good, out, workers: 2 })).ok).toBe(true);
    const before = await snapshot(out, () => false);
    const times = await mtimes(out);
    // The same sweep, now failing at bundle 500 of 600, after hundreds were rendered (and staged).
    await writeFile(join(dir, 'keep', 'job.sh.eta'), '#!/bin/bash\n<% if (it.bundle.index >= 500) throw new Error("late failure") %>\necho changed <%= it.params.i %>\n');
    const r = await build({ config: good, out, workers: 2 });
    expect(r.ok).toBe(false);
    expect(r.stats!.renderedHere + r.stats!.renderedOnWorkers).toBeGreaterThan(400);
    expect(await snapshot(out, (rel) => rel.startsWith('.eegen/lock'))).toEqual(before);
    expect(await mtimes(out)).toEqual(times);
    expect(await readdir(join(out, '.eegen', 'tmp'))).toEqual([]);
  });

  it('creates nothing in a new output directory when the build fails', async () => {
    const file = await config('fresh', [], '#!/bin/bash\n<% if (it.bundle.index >= 500) throw new Error("late failure") %>\necho <%= it.params.i %>\n');
    const out = join(dir, 'fresh-out');
    const r = await build({ config: file, out, workers: 2 });
    expect(r.ok).toBe(false);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});

describe('rebuilds skip unchanged bundles without reading them', () => {
  it('trusts a bundle only while every file\'s inode, size and change time are as recorded', async () => {
    const file = await config('sig', [], '#!/bin/bash\necho <%= it.params.i %>\n');
    const out = join(dir, 'sig-out');
    expect((await build({ config: file, out })).ok).toBe(true);
    const keys = () => JSON.parse(readFileSync(join(out, '.eegen', 'sigs.json'), 'utf8')).bundles as Record<string, string>;
    const first = keys();
    expect(Object.keys(first)).toHaveLength(N);
    // One signature per file of the bundle, SHA256SUMS and the script included.
    const SIG = /^[^=|]+=\d+:\d+:[\d.]+$/;
    expect(Object.values(first).every((sig) => sig.split('|').every((p) => SIG.test(p)) && sig.includes('SHA256SUMS=') && sig.includes('manifest.json='))).toBe(true);

    const again = await build({ config: file, out });
    expect(again.report!.unchanged).toHaveLength(N);
    // Signatures matched: nothing was read, so the reused bundles carry no file contents.
    expect(again.plan!.bundles.every((b) => b.reused && b.files.length === 0)).toBe(true);

    // Rewriting SHA256SUMS with the same bytes changes its ctime: it is read and hashed, and still unchanged.
    const [a, b] = again.plan!.bundles;
    const sumsA = join(out, a!.dir, 'SHA256SUMS');
    writeFileSync(sumsA, readFileSync(sumsA));
    // Corrupting another's SHA256SUMS makes that bundle render and write again.
    const sumsB = join(out, b!.dir, 'SHA256SUMS');
    writeFileSync(sumsB, 'tampered\n');
    const third = await build({ config: file, out });
    expect(third.report!.unchanged).toHaveLength(N - 1);
    expect(third.report!.changed).toEqual([b!.id]);
    expect(third.plan!.bundles[0]!.files.map((f) => f.path)).toEqual(['SHA256SUMS']);
    expect(keys()[a!.id]).not.toBe(first[a!.id]);
    expect((await verifyTree(out)).problems).toEqual([]);

    // Touching any other file of a bundle (here its script, same bytes) also costs a read and a hash, not a render.
    const c = third.plan!.bundles[2]!;
    const script = join(out, c.dir, c.script);
    writeFileSync(script, readFileSync(script));
    const fourth = await build({ config: file, out });
    expect(fourth.report!.unchanged).toHaveLength(N);
    expect(fourth.plan!.bundles[2]!.files.map((f) => f.path)).toEqual(['SHA256SUMS']);
    expect(fourth.plan!.bundles[3]!.files).toEqual([]);
  });
});
