/**
 * A plain build keeps a bundle's bytes only until the writer holds them: the plan it
 * returns lists each file's path, mode and size (`written`), and the staging thread is
 * never more than HIGH_WATER bundles behind, so a compile faster than the disk cannot
 * queue a whole sweep's bytes in messages.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { HIGH_WATER, stagerScript, StagingThread } from '../../src/write/stage-thread.js';
import { tmpDir } from '../support/tree.js';

const CONFIG = ['application: {name: mem}', 'experiment:', '  a: "[1-30]"', '  b: "[1-40]"', 'run:', '  command: echo {experiment.a} {experiment.b}', ''].join('\n');

describe('a plain build does not hold its bundles\' bytes', () => {
  it('returns every written bundle without bytes, its files listed as they are on disk; --dry-run keeps them', async () => {
    const dir = tmpDir('eegen-stream-');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, CONFIG);
    const out = path.join(dir, 'out');
    const r = await build({ config, out });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    expect(r.plan!.bundles).toHaveLength(1200);
    for (const b of r.plan!.bundles) {
      expect(b.files).toEqual([]);
      expect(b.written!.map((f) => f.path)).toContain('SHA256SUMS');
      for (const f of b.written!) {
        const st = statSync(path.join(out, b.dir, f.path));
        expect([f.path, st.size, st.mode & 0o111 ? 0o755 : 0o644]).toEqual([f.path, f.size, f.mode]);
      }
    }
    const dry = await build({ config, out, dryRun: true });
    const b = dry.plan!.bundles[7]!;
    expect(b.written).toBeUndefined();
    for (const f of b.files) expect(f.content.equals(readFileSync(path.join(out, b.dir, f.path)))).toBe(true);
  });

  it('the staging thread is never more than HIGH_WATER bundles behind a producer that waits on ready()', async () => {
    const dir = tmpDir('eegen-backlog-');
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp);
    const thread = new StagingThread(stagerScript()!);
    let peak = 0;
    const content = Buffer.from('x'.repeat(2000));
    try {
      for (let i = 0; i < 4 * HIGH_WATER; i++) {
        // A producer with nothing else to do: without ready() the backlog would reach every bundle.
        thread.stage(path.join(tmp, `b${i}`), [{ path: 'f', mode: 0o644, content }]);
        peak = Math.max(peak, thread.backlog);
        await thread.ready();
      }
      await thread.finish();
    } finally {
      await thread.close();
    }
    expect(peak).toBeGreaterThan(HIGH_WATER / 2);
    expect(peak).toBeLessThanOrEqual(HIGH_WATER);
    expect(readFileSync(path.join(tmp, `b${4 * HIGH_WATER - 1}`, 'f'), 'utf8')).toBe(content.toString());
  });
});
