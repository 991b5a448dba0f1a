/**
 * A Rivanna config as cloudmesh-ee users write it (fixtures/cloudmesh-compat/rivanna: a sweep
 * over experiment.directive, a cloudmesh template with {slurm.sbatch} and
 * {experiment.card_name}) builds unchanged through the library, and every job gets the
 * #SBATCH lines cloudmesh-ee + cloudmesh-rivanna give it (cloudmesh-sbatch.yaml there, written
 * out from their code) and the card_name cloudmesh writes. The rendered scripts and one
 * config.yaml are golden files, compared byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { parseYaml } from '../../src/load/index.js';
import { expectBaseline } from '../support/baseline.js';
import { tmpDir } from '../support/tree.js';

const DIR = 'fixtures/cloudmesh-compat/rivanna';
const SCRIPT = 'cloudmask_v2.slurm';

interface Cloudmesh {
  card_name: string;
  sbatch: string;
}

const cloudmesh = parseYaml('cloudmesh-sbatch.yaml', readFileSync(path.join(DIR, 'cloudmesh-sbatch.yaml'), 'utf8')).loaded!.data as unknown as Record<string, Cloudmesh>;

async function buildFixture(opts: { workers?: number } = {}) {
  const out = tmpDir('eegen-rivanna-');
  const r = await build({ config: path.join(DIR, 'config.yaml'), template: path.join(DIR, 'cloudmask_v2.in.slurm'), out, workers: opts.workers ?? 0 });
  return { r, out };
}

/** The lines {slurm.sbatch} became: between the template's --error line and its `#SBATCH -c` line. */
function siteBlock(script: string): string[] {
  const lines = script.split('\n');
  const from = lines.findIndex((l) => l.startsWith('#SBATCH --error='));
  const to = lines.findIndex((l) => l.startsWith('#SBATCH -c '));
  expect(from).toBeGreaterThan(0);
  expect(to).toBeGreaterThan(from);
  return lines.slice(from + 1, to);
}

describe('a cloudmesh-ee Rivanna config (fixtures/cloudmesh-compat/rivanna)', () => {
  it('builds 8 jobs with no diagnostic; every script is the golden file, byte for byte', async () => {
    const { r, out } = await buildFixture();
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    const ids = r.plan!.bundles.map((b) => b.id);
    // Key order, last key fastest: directive (4 values) x repeat (2 values).
    expect(ids).toEqual(['a100', 'a6000', 'v100', 'a100-dgx'].flatMap((d) => [1, 2].map((n) => `directive-${d}_repeat-${n}`)));
    for (const id of ids) expectBaseline(`${DIR}/expected/${id}/${SCRIPT}`, readFileSync(path.join(out, id, SCRIPT), 'utf8'));
    expectBaseline(`${DIR}/expected/directive-a100-dgx_repeat-1/config.yaml`, readFileSync(path.join(out, 'directive-a100-dgx_repeat-1', 'config.yaml'), 'utf8'));
  });

  it("{slurm.sbatch} is cloudmesh-rivanna's entry for the directive: the same lines cloudmesh writes", async () => {
    const { out, r } = await buildFixture();
    for (const b of r.plan!.bundles) {
      const directive = String(b.params.directive);
      const expected = cloudmesh[directive];
      expect(expected, directive).toBeDefined();
      const block = siteBlock(readFileSync(path.join(out, b.id, SCRIPT), 'utf8'));
      // The same #SBATCH lines, each once, in the table entry's key order as cloudmesh writes
      // them (render/directive-table.ts mergeDirectives; test/cloudmesh/directive-order.test.ts).
      expect(block, `${b.id}`).toEqual(expected!.sbatch.split('\n'));
      expect(new Set(block.map((l) => l.split('=')[0])).size).toBe(block.length);
    }
  });

  it('experiment.card_name is what cloudmesh writes: in the script and in config.yaml, after the swept keys', async () => {
    const { out, r } = await buildFixture();
    for (const b of r.plan!.bundles) {
      const want = cloudmesh[String(b.params.directive)]!.card_name;
      const script = readFileSync(path.join(out, b.id, SCRIPT), 'utf8');
      expect(script).toContain(`#SBATCH --job-name=${want}-cloudmask-2-${String(b.params.repeat)}\n`);
      expect(script).toContain(`#SBATCH --gres=gpu:${want}:1\n`);
      expect(script).toContain(`\necho cardname ${want}\n`);
      const frozen = parseYaml('config.yaml', readFileSync(path.join(out, b.id, 'config.yaml'), 'utf8')).loaded!.data as { experiment: Record<string, unknown> };
      const keys = Object.keys(frozen.experiment);
      expect(keys.at(-1)).toBe('card_name');
      expect(frozen.experiment).toMatchObject({ directive: b.params.directive, card_name: want, repeat: b.params.repeat, gpu: 1 });
      // The index and manifest keep the config's own values only.
      expect(b.params).not.toHaveProperty('card_name');
    }
  });

  it('gpu: 1 (a count) is only a parameter; every directive stays above the first command; bash -n passes', async () => {
    const { out, r } = await buildFixture();
    for (const b of r.plan!.bundles) {
      const file = path.join(out, b.id, SCRIPT);
      const lines = readFileSync(file, 'utf8').split('\n');
      const firstCommand = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
      expect(lines.findLastIndex((l) => l.startsWith('#SBATCH'))).toBeLessThan(firstCommand);
      expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    }
  });

  it('the same bytes with render workers', async () => {
    const a = await buildFixture({ workers: 0 });
    const b = await buildFixture({ workers: 2 });
    expect(b.r.ok).toBe(true);
    for (const x of a.r.plan!.bundles) {
      for (const f of [SCRIPT, 'config.yaml']) expect(readFileSync(path.join(b.out, x.id, f), 'utf8'), `${x.id}/${f}`).toBe(readFileSync(path.join(a.out, x.id, f), 'utf8'));
    }
  });
});
