import { describe, expect, it } from 'vitest';
import { parseEvents, parseMlLog, parsePowerTrace, parseProgressLines, parseStopWatch } from '../../src/results/index.js';

/**
 * Guards against readers that are not linear (a catastrophic regex, an accumulating
 * concatenation): a 20 MB log and megabyte-long lines must read in well under a second
 * each on a quiet machine; the bounds are loose for loaded CI machines.
 */
function bigLog(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    let line = 'Epoch 3/6 - loss: 0.3121 - accuracy: 0.8812 - val_loss: 0.35 - padding padding padding\n';
    if (i % 1000 === 0) line = `# eegen progress=${i % 100} msg="epoch ${i}, \\"q\\""\n`;
    else if (i % 1000 === 1) line = `# csv,t${i},ok,1.0,1.0,2026-11-25 15:00:00,,a, b,n,u,Linux,v\n`;
    else if (i % 1000 === 2) line = `:::MLLOG {"key":"eval_accuracy","value":0.5,"metadata":{"epoch_num":${i}}}\n`;
    parts.push(line);
    size += line.length;
  }
  return parts.join('');
}

describe('large inputs', () => {
  const log = bigLog(20e6);

  it.each([
    ['parseProgressLines', parseProgressLines, 200, 0],
    ['parseStopWatch', parseStopWatch, 200, 0],
    ['parseMlLog', parseMlLog, 200, 0],
    // Not an events file: every line is a (capped) problem.
    ['parseEvents', parseEvents, 0, 101],
  ] as const)('%s reads a 20 MB log', (_name, read, atLeast, problems) => {
    const t = performance.now();
    const r = read(log);
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(r.value.length).toBeGreaterThanOrEqual(atLeast);
    expect(r.problems).toHaveLength(problems);
  });

  it('megabyte-long lines', () => {
    const long = 'x'.repeat(2e6);
    const words = 'a '.repeat(1e6);
    const t = performance.now();
    expect(parseProgressLines(`# eegen msg="${long}"\n# eegen msg=${words}\n# cloudmesh msg="${'\\\\'.repeat(1e6)}\n`).value).toHaveLength(3);
    expect(parseStopWatch(`# csv,${',x'.repeat(1e6)}\n`).value).toHaveLength(1);
    expect(parseMlLog(`:::MLLOG {"key":"k","value":"${long}"}\n`).value[0]?.value).toBe(long);
    expect(parseEvents(`{"event":"progress","msg":"${long}"`).problems[0]?.code).toBe('EG7001');
    expect(parsePowerTrace(`timestamp, power.draw [W]\n${'2026/01/01 00:00:00.000, 1 W\n'.repeat(2e5)}`).value.samples).toHaveLength(2e5);
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});
