/**
 * The order of the #SBATCH lines {slurm.sbatch} gives: cloudmesh-rivanna writes one line
 * per key of the table entry, in the entry's key order (create_slurm_directives), and
 * cloudmesh-ee puts that block into the template as is. eegen writes a site entry's keys in
 * the entry's order too (render/directive-table.ts mergeDirectives), so every directive of
 * the Rivanna table gives cloudmesh's lines, line for line (fixtures/cloudmesh-compat/
 * directive-order: cloudmesh-sbatch.yaml written out from that code and table; the scripts
 * are golden files). Keys the entry lacks (profile defaults, the config's resources) follow
 * it in eegen's fixed order; an override keeps the entry's place.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { parseYaml } from '../../src/load/index.js';
import type { BuildPlan } from '../../src/types.js';
import { expectBaseline } from '../support/baseline.js';
import { tmpDir } from '../support/tree.js';

const DIR = 'fixtures/cloudmesh-compat/directive-order';
const cloudmesh = parseYaml('cloudmesh-sbatch.yaml', readFileSync(path.join(DIR, 'cloudmesh-sbatch.yaml'), 'utf8')).loaded!.data as Record<string, string>;

function fileOf(plan: BuildPlan | undefined, id: string, name: string): string {
  const b = plan!.bundles.find((x) => x.id === id);
  expect(b, `bundle ${id}`).toBeDefined();
  return b!.files.find((f) => f.path === name)!.content.toString('utf8');
}

/** The #SBATCH lines of a script, in order. */
const sbatch = (script: string): string[] => script.split('\n').filter((l) => l.startsWith('#SBATCH'));

async function project(config: string, files: Record<string, string>) {
  const dir = tmpDir('eegen-order-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  writeFileSync(path.join(dir, 'config.yaml'), config);
  return compile({ config: path.join(dir, 'config.yaml'), template: files['job.in.slurm'] ? path.join(dir, 'job.in.slurm') : undefined, workers: 0 });
}

describe('{slurm.sbatch} lines in the order cloudmesh-rivanna writes them', () => {
  it('every directive of the Rivanna table: the same lines as cloudmesh, in the same order; the scripts are golden files', async () => {
    const r = await compile({ config: path.join(DIR, 'config.yaml'), template: path.join(DIR, 'job.in.slurm'), workers: 0 });
    expect(r.diagnostics).toEqual([]);
    const directives = r.plan!.bundles.map((b) => String(b.params.directive));
    expect(directives).toEqual(Object.keys(cloudmesh));
    for (const b of r.plan!.bundles) {
      const script = fileOf(r.plan, b.id, 'job.slurm');
      expectBaseline(`${DIR}/expected/${b.id}/job.slurm`, script);
      // Line 2 on: the block, then the template's own --time line.
      const lines = sbatch(script);
      expect(lines.at(-1)).toBe('#SBATCH --time=01:00:00');
      expect(lines.slice(0, -1).join('\n'), String(b.params.directive)).toBe(cloudmesh[String(b.params.directive)]);
    }
  });

  it("the order is the table entry's, not a fixed one: a project profile's entry written account, time, gres, partition", async () => {
    const profile = 'name: mysite\nscheduler: slurm\ndirectives:\n  big:\n    account: acct\n    time: "02:00:00"\n    gres: gpu:h100:4\n    partition: large\n  small:\n    partition: small\n    gres: gpu:1\n';
    const r = await project('system: {host: mysite}\nexperiment:\n  directive: "big,small"\n', { 'profiles/mysite.yaml': profile, 'job.in.slurm': '#!/bin/bash\n{slurm.sbatch}\necho x\n' });
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, 'directive-big', 'job.slurm'))).toEqual(['#SBATCH --account=acct', '#SBATCH --time=02:00:00', '#SBATCH --gres=gpu:h100:4', '#SBATCH --partition=large']);
    expect(sbatch(fileOf(r.plan, 'directive-small', 'job.slurm'))).toEqual(['#SBATCH --partition=small', '#SBATCH --gres=gpu:1']);
  });

  it("an override from resources: keeps the entry's place; profile defaults and resources the entry lacks follow in eegen's order", async () => {
    const profile = 'name: mysite\nscheduler: slurm\ndefaults:\n  mem: 8G\n  job_name: site-default\ndirectives:\n  a100:\n    gres: gpu:a100:1\n    partition: gpu\n    account: acct\n';
    const r = await project('system: {host: mysite}\nresources:\n  time: "00:10:00"\n  partition: mine\n  extra: [--exclusive]\nexperiment:\n  directive: a100\n', { 'profiles/mysite.yaml': profile, 'job.in.slurm': '#!/bin/bash\n{slurm.sbatch}\necho x\n' });
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.slurm'))).toEqual([
      '#SBATCH --gres=gpu:a100:1',
      '#SBATCH --partition=mine',
      '#SBATCH --account=acct',
      '#SBATCH --job-name=site-default',
      '#SBATCH --time=00:10:00',
      '#SBATCH --mem=8G',
      '#SBATCH --exclusive',
    ]);
  });

  it('without a site entry the lines are in eegen\'s fixed order, whatever order resources: has (built-in slurm template)', async () => {
    const r = await project('resources:\n  gres: gpu:2\n  mem: 4G\n  time: "00:05:00"\n  partition: debug\nrun:\n  command: echo hi\nscheduler: slurm\nexperiment:\n  x: 1\n', {});
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.slurm')).slice(0, 4)).toEqual(['#SBATCH --partition=debug', '#SBATCH --time=00:05:00', '#SBATCH --mem=4G', '#SBATCH --gres=gpu:2']);
  });

  it("the built-in slurm template's it.sbatch has the entry's order too", async () => {
    const r = await project('system: {host: rivanna}\nrun:\n  command: echo hi\nexperiment:\n  directive: a100-dgx\n', {});
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.slurm')).slice(0, 4).join('\n')).toBe(cloudmesh['a100-dgx']);
  });
});
