/**
 * A plain build's memory is flat in the sweep's size: the live heap once every bundle
 * is compiled and staged (the most a build holds before its commit) grows by its name and
 * a few table entries per bundle (~150-220 bytes measured), not by the bundles themselves. Measured in a child process (its own
 * heap, a full GC before each reading) at a third of a sweep and at its end; the difference per bundle is
 * what a sweep ten or a hundred times larger would add (part of it is a bounded cache of
 * shell-quoted values, shell/context.ts, full at 20,000). Before builds streamed their
 * bundles and side files this was about 1.5 KB per bundle (the plan's bundles, the
 * collision check's params, the staging thread's signatures, the side files at the end).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/dist-fresh.js';
import { tmpDir } from '../support/tree.js';

/** Bytes of live heap a build may keep per bundle until its commit. */
const PER_BUNDLE = 300;

function config(dir: string, a: number, b: number): string {
  const file = path.join(dir, `c${a}x${b}.yaml`);
  writeFileSync(file, ['application: {name: mem}', 'scheduler: slurm', 'experiment:', `  epoch: "[1-${a}]"`, `  lr: "[1-${b}]"`, 'run:', '  command: python train.py --epochs {experiment.epoch} --lr {experiment.lr}', ''].join('\n'));
  return file;
}

/** The live heap at a third of the bundles and at all of them, in one build. */
function liveHeap(dir: string, a: number, b: number): [number, number] {
  const out = path.join(dir, `out${a}x${b}`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(import.meta.dirname, 'memory-child.mjs'), path.join(ROOT, 'dist', 'index.js'), config(dir, a, b), out], { encoding: 'utf8' });
  rmSync(out, { recursive: true, force: true });
  expect(r.status, r.stderr).toBe(0);
  const m = JSON.parse(r.stdout) as { ok: boolean; live: Record<string, number>; count: number; diagnostics: string[] };
  expect(m.ok, m.diagnostics.join('\n')).toBe(true);
  expect(m.count).toBe(a * b);
  return [m.live[String(Math.floor((a * b) / 3))]!, m.live[String(a * b)]!];
}

describe('a build\'s memory does not grow with its bundles', () => {
  it(`keeps at most ${PER_BUNDLE} bytes of live heap per bundle until the commit`, () => {
    const dir = tmpDir('eegen-memory-');
    try {
      const [third, all] = liveHeap(dir, 120, 100);
      const perBundle = (all - third) / (12_000 - 4_000);
      console.log(`memory: live heap ${(third / 2 ** 20).toFixed(1)} MiB at 4,000 bundles, ${(all / 2 ** 20).toFixed(1)} MiB at 12,000: ${perBundle.toFixed(0)} bytes per bundle`);
      expect(perBundle).toBeLessThan(PER_BUNDLE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
