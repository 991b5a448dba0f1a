/**
 * Each bundle's config.yaml as cloudmesh-ee writes it, where it is right
 * (render/job-config.ts): cloudmesh-ee writes the job's computed values into the job's
 * config.yaml before rendering (experimentexecutor.py generate_setup_from_configuration):
 * experiment.card_name, ee.identifier, ee.uuid and slurm.sbatch. eegen writes the same
 * values, the ones its templates get, deterministically: a name-based uuid instead of
 * uuid4(), and never the environment (cloudmesh copies os.environ into the file).
 * fixtures/cloudmesh-compat/job-config: a config in cloudmesh's shape, cloudmesh-config.yaml
 * (what cloudmesh computes, written out from its code), golden config.yaml files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { parseYaml } from '../../src/load/index.js';
import type { BuildPlan, Mapping } from '../../src/types.js';
import { expectBaseline } from '../support/baseline.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const DIR = 'fixtures/cloudmesh-compat/job-config';
const SCRIPT = 'earthquake.slurm';
const cloudmesh = parseYaml('cloudmesh-config.yaml', readFileSync(path.join(DIR, 'cloudmesh-config.yaml'), 'utf8')).loaded!.data as Mapping;

function fileOf(plan: BuildPlan | undefined, id: string, name: string): string {
  const b = plan!.bundles.find((x) => x.id === id);
  expect(b, `bundle ${id} in ${plan!.bundles.map((x) => x.id).join(', ')}`).toBeDefined();
  return b!.files.find((f) => f.path === name)!.content.toString('utf8');
}

const yamlOf = (text: string): Mapping => parseYaml('config.yaml', text).loaded!.data as Mapping;

async function fixture() {
  return compile({ config: path.join(DIR, 'config.yaml'), template: path.join(DIR, 'earthquake.in.slurm'), workers: 0 });
}

async function project(config: string, template: string, files: Record<string, string> = {}) {
  const dir = tmpDir('eegen-jobconfig-');
  for (const [name, text] of Object.entries({ ...files, 'config.yaml': config, 'job.in.slurm': template })) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return compile({ config: path.join(dir, 'config.yaml'), template: path.join(dir, 'job.in.slurm'), workers: 0 });
}

describe("config.yaml holds cloudmesh-ee's computed job values", () => {
  it("the fixture: cloudmesh's card_name, ee.identifier and slurm.sbatch, byte for byte golden files", async () => {
    const r = await fixture();
    expect(r.diagnostics).toEqual([]);
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['directive-a100-dgx_repeat-1', 'directive-a100-dgx_repeat-2', 'directive-v100_repeat-1', 'directive-v100_repeat-2']);
    for (const b of r.plan!.bundles) expectBaseline(`${DIR}/expected/${b.id}/config.yaml`, fileOf(r.plan, b.id, 'config.yaml'));
    const job = yamlOf(fileOf(r.plan, 'directive-a100-dgx_repeat-1', 'config.yaml'));
    expect(job.experiment).toEqual(cloudmesh.experiment);
    expect(Object.keys(job.experiment as Mapping)).toEqual(Object.keys(cloudmesh.experiment as Mapping));
    expect((job.ee as Mapping).identifier).toBe((cloudmesh.ee as Mapping).identifier);
    expect(job.slurm).toEqual(cloudmesh.slurm);
    // The config's own ee keys stay, in their order, the computed ones after them.
    expect(Object.keys(job.ee as Mapping)).toEqual(['time', 'mode', 'dir', 'identifier', 'uuid']);
  });

  it('the values in config.yaml are the ones the script got from {ee.identifier}, {ee.uuid}, {slurm.sbatch}', async () => {
    const r = await fixture();
    for (const b of r.plan!.bundles) {
      const job = yamlOf(fileOf(r.plan, b.id, 'config.yaml'));
      const script = fileOf(r.plan, b.id, SCRIPT);
      const ee = job.ee as Mapping;
      expect(script).toContain(`#SBATCH --job-name=${String(ee.identifier)}\n${String((job.slurm as Mapping).sbatch)}\n#SBATCH --time=12:00:00\n`);
      expect(script).toContain(`echo "uuid ${String(ee.uuid)}"`);
      expect(String(ee.uuid)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const uuids = r.plan!.bundles.map((b) => (yamlOf(fileOf(r.plan, b.id, 'config.yaml')).ee as Mapping).uuid);
    expect(new Set(uuids).size).toBe(4);
  });

  it('the same bytes on every build and whatever the builder\'s environment holds: no secret, user or home reaches config.yaml', () => {
    const run = (env: NodeJS.ProcessEnv) => {
      const out = tmpDir('eegen-jobconfig-cli-');
      const r = eegen(['build', path.join(DIR, 'config.yaml'), '--template', path.join(DIR, 'earthquake.in.slurm'), '--out', out], { env });
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(path.join(out, 'directive-a100-dgx_repeat-1', 'config.yaml'), 'utf8');
    };
    const a = run({ ...process.env, USER: 'alice', HOME: '/home/alice', EEGEN_TEST_SECRET: 'hunter2-token' });
    const b = run({ ...process.env, USER: 'bob', HOME: '/nowhere', LANG: 'C', TZ: 'Pacific/Kiritimati' });
    expect(b).toBe(a);
    for (const leak of ['hunter2-token', 'alice', 'bob', '/home/', 'EEGEN_TEST_SECRET']) expect(a).not.toContain(leak);
    // {os.USER} stays a run-time expansion, as in every bundle.
    expect(a).toContain('git: /scratch/${USER}/mlcommons');
  });

  it('the older section name sbatch: gets sbatch.identifier and sbatch.uuid (cloudmesh-sbatch); ee: wins when both exist', async () => {
    const t = '#!/bin/bash\necho {ee.identifier}\n';
    const old = await project('sbatch:\n  time: "1:00:00"\nexperiment:\n  x: "1,2"\n', t);
    expect(old.diagnostics).toEqual([]);
    const job = yamlOf(fileOf(old.plan, 'x-1', 'config.yaml'));
    expect(job.sbatch).toMatchObject({ time: '1:00:00', identifier: 'x_1' });
    expect(job).not.toHaveProperty('ee');
    const both = await project('ee:\n  mode: h\nsbatch:\n  time: "1:00:00"\nexperiment:\n  x: 1\n', t);
    const j2 = yamlOf(fileOf(both.plan, both.plan!.bundles[0]!.id, 'config.yaml'));
    expect(j2.ee).toMatchObject({ mode: 'h', identifier: 'x_1' });
    expect(j2.sbatch).toEqual({ time: '1:00:00' });
  });

  it("a config's own values: its ee.uuid and slurm: are kept; its ee.identifier becomes the job's name, as {ee.identifier} says", async () => {
    const t = '#!/bin/bash\n#SBATCH --job-name={ee.identifier}\necho {ee.uuid} {slurm.sbatch}\n';
    const r = await project('ee:\n  identifier: mine\n  uuid: fixed-id\nslurm:\n  sbatch: my own text\nsystem:\n  host: rivanna\nexperiment:\n  directive: a100\n', t);
    expect(r.diagnostics).toEqual([]);
    const id = r.plan!.bundles[0]!.id;
    const job = yamlOf(fileOf(r.plan, id, 'config.yaml'));
    expect(job.ee).toEqual({ identifier: 'directive_a100', uuid: 'fixed-id' });
    expect(job.slurm).toEqual({ sbatch: 'my own text' });
    expect(fileOf(r.plan, id, 'job.slurm')).toContain('#SBATCH --job-name=directive_a100\n');
    expect(fileOf(r.plan, id, 'job.slurm')).toContain("echo fixed-id 'my own text'\n");
  });

  it('nothing is invented: no ee: section, no directive, a profile without a table, a gpu count: no ee and no slurm added', async () => {
    const t = '#!/bin/bash\necho {ee.identifier}\n';
    for (const config of ['experiment:\n  x: 1\n', 'ee:\n  mode: h\nsystem: {host: rivanna}\nexperiment:\n  gpu: 1\n', 'system: {host: localhost}\nexperiment:\n  directive: a100\n']) {
      const r = await project(config, t);
      expect(r.diagnostics, config).toEqual([]);
      const job = yamlOf(fileOf(r.plan, r.plan!.bundles[0]!.id, 'config.yaml'));
      expect(job, config).not.toHaveProperty('slurm');
      if (!config.startsWith('ee:')) expect(job, config).not.toHaveProperty('ee');
    }
  });

  it('the block written is the merged one the template gets (resources override in place); a block that cannot be built is left out, not a crash', async () => {
    const r = await project('system: {host: rivanna}\nresources: {partition: mine, time: "00:10:00"}\nexperiment:\n  directive: v100\n', '#!/bin/bash\n{slurm.sbatch}\necho x\n');
    expect(r.diagnostics).toEqual([]);
    const id = r.plan!.bundles[0]!.id;
    const sbatch = String((yamlOf(fileOf(r.plan, id, 'config.yaml')).slurm as Mapping).sbatch);
    expect(sbatch).toBe('#SBATCH --gres=gpu:v100:1\n#SBATCH --partition=mine\n#SBATCH --account=bii_dsc_community\n#SBATCH --time=00:10:00');
    expect(fileOf(r.plan, id, 'job.slurm')).toContain(`${sbatch}\n`);
    // A value that is no single line: the template does not use the block, so the build is fine, and config.yaml has no block.
    const bad = await project('system: {host: rivanna}\nresources: {partition: "a\\n#SBATCH --x"}\nexperiment:\n  directive: v100\n', '#!/bin/bash\necho x\n');
    expect(bad.diagnostics).toEqual([]);
    expect(yamlOf(fileOf(bad.plan, bad.plan!.bundles[0]!.id, 'config.yaml'))).not.toHaveProperty('slurm');
  });

  it('the same config.yaml bytes from render workers', async () => {
    const here = await fixture();
    const there = await compile({ config: path.join(DIR, 'config.yaml'), template: path.join(DIR, 'earthquake.in.slurm'), workers: 2 });
    expect(there.diagnostics).toEqual([]);
    for (const b of here.plan!.bundles) expect(fileOf(there.plan, b.id, 'config.yaml'), b.id).toBe(fileOf(here.plan, b.id, 'config.yaml'));
  });
});
