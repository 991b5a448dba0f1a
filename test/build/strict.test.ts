import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { compile } from '../../src/compile/index.js';

/** `--strict`: placeholder-shaped text that eegen leaves alone is reported, and warnings fail the build. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eegen-strict-'));
  await writeFile(join(dir, 'config.yaml'), 'experiment:\n  epoch: "1,2"\n');
  await writeFile(join(dir, 'job.in.sh'), '#!/bin/bash\necho {epoch} {experiment.epoch}\nawk \'{print $2}\' "{x,y}" ${HOME}\necho {experimnt.epoch}\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('--strict', () => {
  it('without it, only near misses warn (once, not once per bundle) and the build succeeds', async () => {
    const r = await compile({ config: join(dir, 'config.yaml'), template: join(dir, 'job.in.sh') });
    expect(r.plan?.bundles).toHaveLength(2);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['EG4003', 'warning']]);
  });

  it('reports every {word} left as written, suggests the experiment key, and fails', async () => {
    const r = await compile({ config: join(dir, 'config.yaml'), template: join(dir, 'job.in.sh'), strict: true });
    expect(r.plan).toBeUndefined();
    const strict = r.diagnostics.filter((d) => d.code === 'EG4012');
    expect(strict.map((d) => [d.line, d.severity, d.hint])).toEqual([
      [2, 'error', 'Did you mean {experiment.epoch}?'],
      [4, 'error', 'Did you mean {experiment.epoch}?'],
    ]);
    expect(strict[0]!.message).toContain('{epoch} on line 2 is left as written');
    // Shell text that is not placeholder-shaped is never reported: '{print $2}', "{x,y}", ${HOME}.
    expect(r.diagnostics.some((d) => /print|x,y|HOME/.test(d.message))).toBe(false);
  });

  it('writes nothing when it fails', async () => {
    const out = join(dir, 'out');
    const r = await build({ config: join(dir, 'config.yaml'), template: join(dir, 'job.in.sh'), strict: true, out });
    expect(r.ok).toBe(false);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});
