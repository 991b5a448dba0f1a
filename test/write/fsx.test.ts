import { afterEach, describe, expect, it } from 'vitest';
import { forEachAdaptive } from '../../src/write/fsx.js';
import { forEachLimit } from '../../src/write/pool.js';

afterEach(() => void delete process.env.EEGEN_FS);

describe('forEachAdaptive', () => {
  it('stays sync and in order while items are fast', async () => {
    const seen: [number, boolean][] = [];
    await forEachAdaptive([...Array(100).keys()], 5, async (x, _i, hot) => void seen.push([x, hot.sync]));
    expect(seen).toEqual([...Array(100).keys()].map((x) => [x, true]));
  });

  it('switches to async calls for the rest when items are slow', async () => {
    const modes: boolean[] = [];
    const items = [...Array(60).keys()];
    await forEachAdaptive(items, 0.5, async (_x, _i, hot) => {
      modes.push(hot.sync);
      const until = performance.now() + 1;
      while (performance.now() < until); // a slow filesystem
    });
    expect(modes).toHaveLength(60);
    expect(modes.slice(0, 24).every(Boolean)).toBe(true);
    expect(modes.slice(24).some(Boolean)).toBe(false);
  });

  it('can be pinned with EEGEN_FS', async () => {
    process.env.EEGEN_FS = 'async';
    const modes: boolean[] = [];
    await forEachAdaptive([1, 2, 3], 5, async (_x, _i, hot) => void modes.push(hot.sync));
    expect(modes).toEqual([false, false, false]);
  });
});

describe('forEachLimit', () => {
  it('keeps at most `limit` in flight and rethrows the first failure after the rest settle', async () => {
    let inFlight = 0;
    let peak = 0;
    let finished = 0;
    const run = forEachLimit([...Array(20).keys()], 4, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      finished++;
      if (x === 5) throw new Error('boom');
    });
    await expect(run).rejects.toThrow('boom');
    expect(peak).toBe(4);
    expect(inFlight).toBe(0);
    expect(finished).toBeLessThan(20);
  });
});
