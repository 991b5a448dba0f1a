/**
 * Numbers reach scripts as the user wrote them: a plain YAML number that would not print
 * the same (`1e-4`, `1.0`, `0x10`, `007`, `.inf`, `.nan`, `1e21`) keeps its spelling, in
 * cloudmesh and Eta templates, bundle names, frozen configs and --json; numbers that print
 * as written stay numbers; expressions still compare them by value.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { parseYaml } from '../../src/load/index.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

describe('numbers as written', () => {
  it('the loader keeps the spelling of numbers that would print otherwise, and only those', () => {
    const text = 'a: 1e-4\nb: 1.0\nc: 0x10\nd: 007\ne: .inf\nf: -.inf\ng: .nan\nh: 1e21\ni: 5\nj: 0.1\nk: -3\nl: "1e-4"\nm: [1e-4, 2.50, 3]\n1.0: key\n';
    const data = parseYaml('n.yaml', text).loaded!.data;
    expect(data).toEqual({ a: '1e-4', b: '1.0', c: '0x10', d: '007', e: '.inf', f: '-.inf', g: '.nan', h: '1e21', i: 5, j: 0.1, k: -3, l: '1e-4', m: ['1e-4', '2.50', 3], '1.0': 'key' });
  });

  it('through a build: scripts (cloudmesh and Eta), bundle names, config.yaml, --json and exclude by value', async () => {
    const dir = tmpDir('eegen-numbers-');
    writeFileSync(
      path.join(dir, 'config.yaml'),
      ['experiment:', '  lr: [1e-4, 1e-3, 0.01]', 'eps: .inf', 'scale: 1.0', 'sweep:', '  exclude:', '    - "lr > 0.005"', ''].join('\n'),
    );
    writeFileSync(path.join(dir, 'job.in.sh'), '#!/bin/bash\necho {experiment.lr} {eps} {scale}\n');
    writeFileSync(path.join(dir, 'job.sh.eta'), '#!/bin/bash\necho <%= it.params.lr %> <%= it.config.eps %> <%= it.config.scale %>\n');
    for (const t of ['job.in.sh', 'job.sh.eta']) {
      const out = path.join(dir, `out-${t}`);
      const r = await build({ config: path.join(dir, 'config.yaml'), template: path.join(dir, t), out });
      expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
      expect(r.plan!.bundles.map((b) => b.id)).toEqual(['lr-1e-4', 'lr-1e-3']);
      expect(readFileSync(path.join(out, 'lr-1e-4', 'job.sh'), 'utf8')).toContain('echo 1e-4 .inf 1.0\n');
      expect(readFileSync(path.join(out, 'lr-1e-4', 'config.yaml'), 'utf8')).toMatch(/lr: "1e-4"[\s\S]*eps: ".inf"[\s\S]*scale: "1.0"/);
    }
    const cli = eegen(['build', path.join(dir, 'config.yaml'), '--template', path.join(dir, 'job.in.sh'), '--out', path.join(dir, 'out-json'), '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).not.toMatch(/Infinity|null/);
    const index = JSON.parse(readFileSync(path.join(dir, 'out-json', 'index.json'), 'utf8')) as { bundles: { params: { lr: unknown } }[] };
    expect(index.bundles.map((b) => b.params.lr)).toEqual(['1e-4', '1e-3']);
  });
});
