import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyTree } from '../../src/verify/index.js';
import { writeBuild } from '../../src/write/index.js';
import { makePlan, tempDir } from './helpers.js';

describe('verifyTree', () => {
  it('passes a fresh build, counting bundles, and ignores run outputs', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(4), out);
    await writeFile(join(out, 'b0002', 'job.log'), 'ran\n');
    expect(await verifyTree(out)).toMatchObject({ ok: true, bundles: 4, problems: [] });
    expect(await verifyTree(join(out, 'b0002'))).toMatchObject({ ok: true, bundles: 1, problems: [] });
  });

  it('names changed and missing files', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(3), out);
    await appendFile(join(out, 'b0000', 'run.sh'), 'rm -rf /\n');
    await rm(join(out, 'b0001', 'data', 'input.txt'));
    await rm(join(out, 'b0002', 'SHA256SUMS'));
    const r = await verifyTree(out);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      { bundle: 'b0000', file: 'run.sh', kind: 'changed' },
      { bundle: 'b0001', file: 'data/input.txt', kind: 'missing' },
      { bundle: 'b0002', file: 'SHA256SUMS', kind: 'missing' },
    ]);
    expect((await verifyTree(join(out, 'b0000'))).problems).toEqual([{ bundle: '.', file: 'run.sh', kind: 'changed' }]);
  });

  it('checks the manifest against SHA256SUMS', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(3), out);
    // b0000: manifest edited -> changed; b0001: manifest not listed; b0002: manifest not JSON.
    const m0 = join(out, 'b0000', 'manifest.json');
    await writeFile(m0, (await readFile(m0, 'utf8')).replace('"id": "b0000"', '"id": "b9999"'));
    const s1 = join(out, 'b0001', 'SHA256SUMS');
    await writeFile(s1, (await readFile(s1, 'utf8')).split('\n').filter((l) => !l.endsWith('manifest.json')).join('\n'));
    await writeFile(join(out, 'b0002', 'manifest.json'), '{oops');
    const r = await verifyTree(out);
    expect(r.problems).toEqual([
      { bundle: 'b0000', file: 'manifest.json', kind: 'changed' },
      { bundle: 'b0001', file: 'manifest.json', kind: 'unlisted-manifest' },
      { bundle: 'b0002', file: 'manifest.json', kind: 'changed' },
      { bundle: 'b0002', file: 'manifest.json', kind: 'bad-manifest' },
    ]);
  });

  it('skips eegen state and hidden dirs, finds nested bundles', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(2), join(out, 'a', 'run1'));
    await mkdir(join(out, '.hidden'));
    await writeFile(join(out, '.hidden', 'manifest.json'), '{}');
    expect(await verifyTree(out)).toMatchObject({ ok: true, bundles: 2 });
  });
});
