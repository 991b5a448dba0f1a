/**
 * `{ee.uuid}`: cloudmesh-ee wrote a random UUID into every job (so no two builds were
 * byte-identical); templates use it to tell jobs apart. eegen's is a name-based UUID of
 * the experiment and the bundle: a valid RFC 9562 version-5 layout, different for every
 * bundle and experiment, the same on every build; a config's own ee.uuid wins.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { tmpDir } from '../support/tree.js';

async function uuids(config: string): Promise<string[]> {
  const dir = tmpDir('eegen-uuid-');
  writeFileSync(path.join(dir, 'config.yaml'), config);
  writeFileSync(path.join(dir, 'job.in.sh'), '#!/bin/bash\necho {ee.uuid} {sbatch.uuid}\n');
  const r = await build({ config: path.join(dir, 'config.yaml'), template: path.join(dir, 'job.in.sh'), out: path.join(dir, 'out') });
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
  return r.plan!.bundles.map((b) => {
    const line = readFileSync(path.join(dir, 'out', b.dir, 'job.sh'), 'utf8').split('\n').find((l) => l.startsWith('echo '))!;
    const [a, c] = line.slice(5).split(' ');
    expect(c).toBe(a);
    return a!;
  });
}

describe('{ee.uuid}', () => {
  it('is a version-5 UUID, one per bundle, the same on every build, different per experiment', async () => {
    const a = await uuids('name: alpha\nexperiment:\n  x: "1,2,3"\n');
    for (const u of a) expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(a).size).toBe(3);
    expect(await uuids('name: alpha\nexperiment:\n  x: "1,2,3"\n')).toEqual(a);
    const b = await uuids('name: beta\nexperiment:\n  x: "1,2,3"\n');
    expect(b.filter((u) => a.includes(u))).toEqual([]);
  });

  it("a config's own ee.uuid is used as written", async () => {
    expect(await uuids('ee:\n  uuid: fixed-id\nexperiment:\n  x: "1,2"\n')).toEqual(['fixed-id', 'fixed-id']);
  });
});
