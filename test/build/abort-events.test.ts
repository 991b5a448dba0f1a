/**
 * The build as a library call: one event stream (BuildEvent), cancellation with an
 * AbortSignal that leaves the output directory as it was (as kill -9 would), and no
 * state shared between two builds in one process.
 */
import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, type BuildEvent } from '../../src/index.js';
import { verifyTree } from '../../src/verify/index.js';
import { eegen, ROOT } from '../support/cli.js';
import { tmpDir, treeFingerprint } from '../support/tree.js';

const sweep = (a: string, b: string) => ['application: {name: ab}', 'experiment:', `  a: "${a}"`, `  b: "${b}"`, 'run:', '  command: echo {experiment.a} {experiment.b}', ''].join('\n');
/** What a build leaves that is this machine's (inode signatures), not the build's bytes. */
const ownBytes = (p: string): boolean => !p.startsWith('.eegen/sigs.json') && !p.startsWith('.eegen/lock');

describe('build events', () => {
  it('reports compile progress in order up to the total, and its diagnostics once', async () => {
    const dir = tmpDir('eegen-events-');
    const config = path.join(dir, 'config.yaml');
    // A repeated comma item is dropped with a warning: once, not once per bundle.
    writeFileSync(config, sweep(`1,1,${[...Array(19).keys()].map((i) => i + 2).join(',')}`, '[1-15]'));
    const events: BuildEvent[] = [];
    const r = await build({ config, out: path.join(dir, 'out'), onEvent: (e) => events.push(e) });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    const compile = events.filter((e) => e.type === 'compile');
    expect(compile.map((e) => e.done)).toEqual([...Array(300).keys()].map((i) => i + 1));
    expect(compile.every((e) => e.total === 300)).toBe(true);
    const diags = events.filter((e) => e.type === 'diagnostic');
    expect(diags.map((e) => e.diagnostic)).toEqual(r.diagnostics);
    expect(diags.length).toBeGreaterThan(0);
    expect(events.at(-1)!.type).toBe('diagnostic');
    // --check reads every bundle: those are write-phase events.
    const checked: BuildEvent[] = [];
    await build({ config, out: path.join(dir, 'out'), archive: path.join(dir, 'a.tar.gz'), onEvent: (e) => checked.push(e) });
    expect(checked.filter((e) => e.type === 'write').at(-1)).toEqual({ type: 'write', done: 300, total: 300 });
  });
});

describe('aborting a build', () => {
  it('at any moment leaves the previous build byte for byte, and nothing staged; the next build completes', async () => {
    const dir = tmpDir('eegen-abort-');
    const config = path.join(dir, 'config.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(config, sweep('[1-20]', '[1-25]'));
    expect((await build({ config, out })).ok).toBe(true);
    const before = treeFingerprint(out, ownBytes);
    // The second build keeps some bundles, drops some and adds 600 (past the staging thread's start).
    writeFileSync(config, sweep('[11-30]', '[1-40]'));
    for (const at of [1, 100, 400, 799, 800]) {
      const ac = new AbortController();
      const p = build({ config, out, signal: ac.signal, onEvent: (e) => void (e.type === 'compile' && e.done === at && ac.abort()) });
      await expect(p, `abort after ${at}`).rejects.toMatchObject({ name: 'AbortError' });
      expect(treeFingerprint(out, ownBytes), `abort after ${at}`).toBe(before);
      expect(readdirSync(path.join(out, '.eegen', 'tmp'))).toEqual([]);
    }
    const done = await build({ config, out });
    expect(done.ok).toBe(true);
    expect(done.report!.added.length + done.report!.unchanged.length + done.report!.changed.length).toBe(800);
    expect((await verifyTree(out)).problems).toEqual([]);
  });

  it('of a new output directory creates nothing; an already aborted signal renders nothing', async () => {
    const dir = tmpDir('eegen-abort-new-');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, sweep('[1-40]', '[1-40]'));
    const ac = new AbortController();
    const out = path.join(dir, 'new-out');
    await expect(build({ config, out, signal: ac.signal, onEvent: (e) => void (e.type === 'compile' && e.done === 700 && ac.abort()) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(existsSync(out)).toBe(false);
    const events: BuildEvent[] = [];
    await expect(build({ config, out, signal: AbortSignal.abort(), onEvent: (e) => events.push(e) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(events.filter((e) => e.type === 'compile')).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('two builds in one process', () => {
  it('of different projects at once give the same bytes as two separate CLI runs', async () => {
    const dir = tmpDir('eegen-two-');
    cpSync(path.join(ROOT, 'fixtures/cloudmask'), path.join(dir, 'cm'), { recursive: true });
    cpSync(path.join(ROOT, 'fixtures/example'), path.join(dir, 'ex'), { recursive: true });
    const cm = { config: path.join(dir, 'cm/config.yaml'), template: path.join(dir, 'cm/cloudmask.in.slurm') };
    const ex = { config: path.join(dir, 'ex/config.yaml') };
    const [a, b] = await Promise.all([build({ ...cm, out: path.join(dir, 'lib-cm') }), build({ ...ex, out: path.join(dir, 'lib-ex') })]);
    expect([a.ok, b.ok], JSON.stringify([a.diagnostics, b.diagnostics])).toEqual([true, true]);
    expect(eegen(['build', cm.config, '--template', cm.template, '--out', path.join(dir, 'cli-cm')]).code).toBe(0);
    expect(eegen(['build', ex.config, '--out', path.join(dir, 'cli-ex')]).code).toBe(0);
    expect(treeFingerprint(path.join(dir, 'lib-cm'), ownBytes)).toBe(treeFingerprint(path.join(dir, 'cli-cm'), ownBytes));
    expect(treeFingerprint(path.join(dir, 'lib-ex'), ownBytes)).toBe(treeFingerprint(path.join(dir, 'cli-ex'), ownBytes));
    expect(treeFingerprint(path.join(dir, 'lib-cm'), ownBytes)).not.toBe(treeFingerprint(path.join(dir, 'lib-ex'), ownBytes));
  });
});
