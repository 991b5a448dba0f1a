/**
 * README.md's `files:` example: built with the library beside test/readme/files-example/
 * (plus a __pycache__ directory, which git does not keep), each bundle holds what the
 * README's sentence after the block lists, and only that, with run.sh executable.
 * (readme.real.test.ts builds the same block with the CLI and checks the count.)
 */
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/index.js';
import { ROOT } from '../support/cli.js';
import { listFiles, tmpDir } from '../support/tree.js';

function filesBlock(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /^```yaml\n(name: files-example\n[\s\S]*?)^```$/m.exec(readme);
  expect(m, 'the README block starting "name: files-example"').not.toBeNull();
  return m![1]!;
}

describe("README's files: example", () => {
  it('copies what the README says, in every bundle', async () => {
    const dir = tmpDir('eegen-readme-files-');
    cpSync(path.join(ROOT, 'test/readme/files-example'), dir, { recursive: true });
    mkdirSync(path.join(dir, 'src/pkg/__pycache__'));
    writeFileSync(path.join(dir, 'src/pkg/__pycache__/mod.cpython-312.pyc'), 'x');
    writeFileSync(path.join(dir, 'config.yaml'), filesBlock());
    const out = path.join(dir, 'out');
    const r = await build({ config: path.join(dir, 'config.yaml'), out });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    const ids = r.plan!.bundles.map((b) => b.id);
    expect(ids).toHaveLength(2);
    const own = new Set(['config.yaml', 'job.sh', 'eegen-run.sh', 'manifest.json', 'SHA256SUMS']);
    for (const id of ids) {
      const copied = listFiles(path.join(out, id)).filter((f) => !own.has(f));
      expect(copied).toEqual(['bin/x/run.sh', 'conf/a.yaml', 'conf/b.json', 'data/labels.csv', 'src/pkg/mod.py', 'train.py']);
      expect(statSync(path.join(out, id, 'bin/x/run.sh')).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(out, id, 'train.py')).mode & 0o777).toBe(0o644);
    }
    // The sentence after the block names the same files.
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const after = readme.slice(readme.indexOf('it builds 2 bundles'), readme.indexOf('it builds 2 bundles') + 300);
    for (const f of ['train.py', 'data/labels.csv', 'src/pkg/mod.py', 'conf/a.yaml', 'conf/b.json', 'bin/x/run.sh']) expect(after).toContain(`\`${f}\``);
  });
});
