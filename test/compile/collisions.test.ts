/**
 * The name-collision check (EG3091) keeps a small hash of each id, not the id and its
 * params (compile/name.ts): two ids with one hash are no collision, a real one is still
 * reported with both combinations' params, the earlier one evaluated again.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { smallHash } from '../../src/compile/name.js';
import { tmpDir } from '../support/tree.js';

function project(lines: string[]): string {
  const dir = tmpDir('eegen-collide-');
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, [...lines, 'run:', '  command: echo {experiment.a}', ''].join('\n'));
  return config;
}

describe('bundle name collisions', () => {
  it('two ids with the same hash are two bundles', async () => {
    // Found by search: different ids, one 30-bit hash.
    expect(smallHash('a-w30462')).toBe(smallHash('a-w229400'));
    const r = await compile({ config: project(['experiment:', '  a: [w30462, x, w229400]']) });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['a-w30462', 'a-x', 'a-w229400']);
  });

  it('a real collision names both combinations, also when another id shares the hash', async () => {
    const r = await compile({ config: project(['identifier: "run-{experiment.b}"', 'experiment:', '  a: [w30462, w229400]', '  b: "1,2"']) });
    const clashes = r.diagnostics.filter((d) => d.code === 'EG3091');
    expect(clashes.map((d) => d.message)).toEqual([
      'Two combinations get the same bundle name "run-1": {"a":"w30462","b":1} and {"a":"w229400","b":1}.',
      'Two combinations get the same bundle name "run-2": {"a":"w30462","b":2} and {"a":"w229400","b":2}.',
    ]);
  });
});
