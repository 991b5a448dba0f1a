// The staging thread records each new bundle's signature (inode, size, ctime of every
// file) from an fstat while the file is open, instead of a stat after the write. A no-op
// rebuild trusts that signature to skip reading the bundle, so it must be exactly what a
// stat of the files in place gives; and a file changed after the build must not match.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { bundleSignature, bundleSignatureHolds } from '../../src/write/disk.js';
import { tmpDir } from '../support/tree.js';

/** More bundles than the writer stages on its own thread's first few (THREAD_AFTER = 256). */
const N = 400;

function project(dir: string): string {
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, ['application: {name: sig}', 'experiment:', '  epoch: "[1-20]"', '  repeat: "[1-20]"', 'run:', '  command: echo {experiment.epoch} {experiment.repeat}', ''].join('\n'));
  return config;
}

describe('signatures from the staging thread', () => {
  it('equal a stat of every file in place, for every bundle, and stop holding when a file changes', async () => {
    const dir = tmpDir('eegen-sig-');
    const out = path.join(dir, 'out');
    const r = await build({ config: project(dir), out });
    expect(r.plan?.bundles.length).toBe(N);
    const sigs = JSON.parse(readFileSync(path.join(out, '.eegen', 'sigs.json'), 'utf8')).bundles as Record<string, string>;
    expect(Object.keys(sigs)).toHaveLength(N);
    for (const b of r.plan!.bundles) {
      const names = sigs[b.id]!.split('|').map((p) => p.slice(0, p.lastIndexOf('=')));
      // Every file of the bundle is in the signature, names sorted.
      expect(names).toEqual(readFileSync(path.join(out, b.dir, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.slice(66)).concat('SHA256SUMS').sort());
      expect(sigs[b.id]).toBe(bundleSignature(path.join(out, b.dir), names));
    }
    const last = r.plan!.bundles[N - 1]!;
    appendFileSync(path.join(out, last.dir, 'config.yaml'), '# edited\n');
    expect(bundleSignatureHolds(path.join(out, last.dir), sigs[last.id]!)).toBe(false);
    expect(bundleSignatureHolds(path.join(out, r.plan!.bundles[0]!.dir), sigs[r.plan!.bundles[0]!.id]!)).toBe(true);
  }, 60_000);
});
