/**
 * What `status --watch` draws (pure): the whole table while it fits the terminal; when it
 * does not, a summary and the bundles not done, cut so that no line wraps and the screen
 * is never taller than the terminal. Progress in whole percentages.
 */
import { describe, expect, it } from 'vitest';
import { formatStatus, formatWatch, percent, summaryLine } from '../../src/cli/format-dispatch.js';
import type { BundleStatus } from '../../src/index.js';

const bundle = (i: number, state: BundleStatus['state'], progress?: number): BundleStatus => ({ id: `b-${i}`, state, host: 'box', jobId: `slurm:${i}`, ...(progress !== undefined ? { progress } : {}) });

describe('status --watch screen', () => {
  it('fits: the same text as status', () => {
    const bs = [bundle(1, 'done', 100), bundle(2, 'running', 33.3333)];
    expect(formatWatch(bs, [], 40, 200)).toBe(formatStatus(bs, []));
  });

  it('taller than the terminal: summary first, then running and queued before others, never more lines than rows, no line wider than columns', () => {
    const bs: BundleStatus[] = [];
    for (let i = 0; i < 500; i++) bs.push(bundle(i, i < 400 ? 'done' : i < 420 ? 'running' : i < 490 ? 'queued' : 'failed', i < 400 ? 100 : 12.5));
    for (const [rows, cols] of [
      [24, 80],
      [10, 40],
      [50, 120],
      [3, 20],
    ] as const) {
      const screen = formatWatch(bs, [{ host: 'dead', error: 'cannot connect '.repeat(20) }], rows, cols).split('\n');
      expect(screen.length, `${rows}x${cols}`).toBeLessThan(rows);
      for (const l of screen) expect(l.length, l).toBeLessThanOrEqual(cols);
      const summary = '410 of 500 submitted bundles finished (82%); queued 70, running 20, done 400, failed 10';
      expect(summary.startsWith(screen[0]!.replace(/…$/, '')), screen[0]).toBe(true);
      expect(screen.join('\n')).not.toMatch(/\bdone\s+\S*\s*$/m);
    }
    const s = formatWatch(bs, [], 24, 200).split('\n');
    // The first rows listed are running ones, and the cut is said.
    expect(s[3]).toMatch(/^b-400\s+box\s+running/);
    expect(s.at(-1)).toMatch(/^\.\.\. \d+ more not done \(of 500; the terminal has 24 lines\)$/);
  });

  it('progress shows as whole percentages', () => {
    expect(percent(33.3333)).toBe('33%');
    expect(percent(99.6)).toBe('100%');
    expect(percent(undefined)).toBe('');
    expect(formatStatus([bundle(1, 'running', 12.5)], [])).toMatch(/running\s+slurm:1\s+13%/);
    expect(summaryLine([bundle(1, 'done'), bundle(2, 'running'), bundle(3, 'queued')])).toBe('1 of 3 submitted bundles finished (33%); queued 1, running 1, done 1');
  });
});
