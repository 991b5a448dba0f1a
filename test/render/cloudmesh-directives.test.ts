// experiment.card_name and the choice of site directives, as cloudmesh-ee and cloudmesh-rivanna
// do them (src/render/directive-table.ts): card_name from directive, the name is directive, else
// card_name, gpu only when it names a table entry; an unknown name is an error at the value in
// the config; a missing host profile is an error at system.host. Everything goes through the
// real compiler with real files and the built-in profiles.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { lineColumn } from '../../src/diagnostics/format.js';
import { formatDiagnostics, type Diagnostic } from '../../src/diagnostics/index.js';
import { parseYaml } from '../../src/load/index.js';
import type { BuildPlan } from '../../src/types.js';
import { tmpDir } from '../support/tree.js';

const SLURM = '#!/bin/bash\n{slurm.sbatch}\n#SBATCH --job-name=x\necho "card={experiment.card_name}"\n';

function project(config: string, files: Record<string, string> = { 'job.in.slurm': SLURM }): string {
  const dir = tmpDir('eegen-cm-directives-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  writeFileSync(path.join(dir, 'config.yaml'), config);
  return path.join(dir, 'config.yaml');
}

async function compiled(config: string, files?: Record<string, string>, opts: { template?: string; host?: string; hostsFile?: string } = {}) {
  const file = project(config, files);
  const dir = path.dirname(file);
  const r = await compile({ config: file, template: path.join(dir, opts.template ?? 'job.in.slurm'), workers: 0, ...(opts.host ? { host: opts.host } : {}), ...(opts.hostsFile ? { hostsFile: path.join(dir, opts.hostsFile) } : {}) });
  return { ...r, file, text: readFileSync(file, 'utf8') };
}

function fileOf(plan: BuildPlan | undefined, id: string, name: string): string {
  const b = plan!.bundles.find((x) => x.id === id);
  expect(b, `bundle ${id} in ${plan!.bundles.map((x) => x.id).join(', ')}`).toBeDefined();
  return b!.files.find((f) => f.path === name)!.content.toString('utf8');
}

/** `line:col` of a diagnostic's start, and the text it points at. */
function where(d: Diagnostic, text: string): { at: string; points: string } {
  expect(d.start, JSON.stringify(d)).toBeTypeOf('number');
  const { line, column } = lineColumn(text, d.start!);
  return { at: `${line}:${column}`, points: text.slice(d.start!, d.start! + d.length!) };
}

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');
const sbatch = (script: string) => script.split('\n').filter((l) => l.startsWith('#SBATCH'));

describe('experiment.card_name, as cloudmesh-ee sets it', () => {
  it('comes from directive up to its first "-", in the template and in config.yaml', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: "a100-dgx,v100"\n');
    expect(r.diagnostics).toEqual([]);
    expect(fileOf(r.plan, 'directive-a100-dgx', 'job.slurm')).toContain('echo "card=a100"\n');
    expect(fileOf(r.plan, 'directive-v100', 'job.slurm')).toContain('echo "card=v100"\n');
    // config.yaml: the bundle's experiment with card_name after the user's keys.
    const frozen = parseYaml('config.yaml', fileOf(r.plan, 'directive-a100-dgx', 'config.yaml')).loaded!.data as { experiment: Record<string, unknown> };
    expect(frozen.experiment).toEqual({ directive: 'a100-dgx', card_name: 'a100' });
    expect(Object.keys(frozen.experiment)).toEqual(['directive', 'card_name']);
    // The index and the manifest keep the swept values only (cloudmesh's index does too).
    expect(r.plan!.bundles[0]!.params).toEqual({ directive: 'a100-dgx' });
  });

  it("a user's own card_name wins, also one that is not a table entry; directive still chooses", async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: a100-dgx\n  card_name: "A100 80GB (DGX)"\n');
    expect(r.diagnostics).toEqual([]);
    const script = fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.slurm');
    expect(script).toContain('echo "card=A100 80GB (DGX)"\n');
    expect(sbatch(script)).toContain('#SBATCH --reservation=bi_fox_dgx');
    const frozen = parseYaml('c.yaml', fileOf(r.plan, r.plan!.bundles[0]!.id, 'config.yaml')).loaded!.data as { experiment: unknown };
    expect(frozen.experiment).toEqual({ directive: 'a100-dgx', card_name: 'A100 80GB (DGX)' });
  });

  it('is there for Eta templates as it.params.card_name and it.config.experiment.card_name', async () => {
    const eta = '#!/bin/bash\n<%~ it.sbatch %>\necho <%= it.params.card_name %> <%= it.config.experiment.card_name %>\n';
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: "a6000,a100-pod"\n', { 'job.slurm.eta': eta }, { template: 'job.slurm.eta' });
    expect(r.diagnostics).toEqual([]);
    expect(fileOf(r.plan, 'directive-a6000', 'job.slurm')).toContain('echo a6000 a6000\n');
    expect(fileOf(r.plan, 'directive-a100-pod', 'job.slurm')).toContain('echo a100 a100\n');
  });

  it('can name the bundles: identifier: "{experiment.card_name}_..."', async () => {
    const r = await compiled('system: {host: rivanna}\nidentifier: "{experiment.card_name}_{experiment.directive}_{experiment.repeat}"\nexperiment:\n  directive: "a100,a100-dgx"\n  repeat: "1,2"\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['a100_a100_1', 'a100_a100_2', 'a100_a100-dgx_1', 'a100_a100-dgx_2']);
  });

  it('is not invented without a directive: {experiment.card_name} then refers to nothing', async () => {
    const r = await compiled('experiment:\n  gpu: "a100"\n');
    expect(errors(r.diagnostics).map((d) => d.code)).toEqual(['EG4002']);
    const eta = await compiled('experiment:\n  gpu: a100\n', { 'job.sh.eta': 'echo <%= "card_name" in it.params %>\ncat config.yaml\n' }, { template: 'job.sh.eta' });
    expect(eta.diagnostics).toEqual([]);
    expect(fileOf(eta.plan, eta.plan!.bundles[0]!.id, 'job.sh')).toContain('echo false\n');
    expect(fileOf(eta.plan, eta.plan!.bundles[0]!.id, 'config.yaml')).not.toContain('card_name');
  });

  it('a directive without "-" is its own card_name, also a number; an empty one gives none', async () => {
    const r = await compiled('experiment:\n  directive: [v100, 7, ""]\n', { 'job.sh.eta': 'echo [<%= "card_name" in it.params ? it.params.card_name : "none" %>]\n' }, { template: 'job.sh.eta' });
    expect(r.diagnostics).toEqual([]);
    expect(r.plan!.bundles.map((b) => fileOf(r.plan, b.id, 'job.sh').split('\n').at(-2))).toEqual(['echo [v100]', 'echo [7]', 'echo [none]']);
  });
});

describe('which site directives a bundle gets', () => {
  it('gpu: "1" (a GPU count, as real configs have it) never selects directives and gives no warning', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  gpu: "1"\n  epoch: "1,2"\n', { 'job.in.slurm': '#!/bin/bash\n{slurm.sbatch}\n#SBATCH --gres=gpu:{experiment.gpu}\necho {experiment.epoch}\n' });
    expect(r.diagnostics).toEqual([]);
    for (const b of r.plan!.bundles) expect(sbatch(fileOf(r.plan, b.id, 'job.slurm'))).toEqual(['#SBATCH --gres=gpu:1']);
  });

  it('gpu: a100 still selects a100 when the table has it; a gpu value it lacks is just a parameter', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  gpu: "a100,h100"\n', { 'job.in.slurm': '#!/bin/bash\n{slurm.sbatch}\n#SBATCH --job-name=x\necho {experiment.gpu}\n' });
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, 'gpu-a100', 'job.slurm'))).toEqual(['#SBATCH --gres=gpu:a100:1', '#SBATCH --partition=gpu', '#SBATCH --account=bii_dsc_community', '#SBATCH --job-name=x']);
    expect(sbatch(fileOf(r.plan, 'gpu-h100', 'job.slurm'))).toEqual(['#SBATCH --job-name=x']);
  });

  it('directive wins over card_name and gpu; card_name chooses when there is no directive', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: a100-dgx\n  card_name: v100\n  gpu: k80\n');
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.slurm'))).toContain('#SBATCH --reservation=bi_fox_dgx');
    const c = await compiled('system: {host: rivanna}\nexperiment:\n  card_name: "v100,a6000"\n  gpu: k80\n');
    expect(c.diagnostics).toEqual([]);
    expect(sbatch(fileOf(c.plan, 'card_name-v100', 'job.slurm'))).toContain('#SBATCH --gres=gpu:v100:1');
    expect(sbatch(fileOf(c.plan, 'card_name-a6000', 'job.slurm'))).toContain('#SBATCH --gres=gpu:a6000:1');
  });

  it('the config resources still override the site entry: in its place in the entry, keys it lacks after it', async () => {
    const r = await compiled('system: {host: rivanna}\nresources: {partition: mine, time: "01:00:00"}\nexperiment:\n  directive: a100\n');
    expect(r.diagnostics).toEqual([]);
    expect(sbatch(fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.slurm'))).toEqual(['#SBATCH --gres=gpu:a100:1', '#SBATCH --partition=mine', '#SBATCH --account=bii_dsc_community', '#SBATCH --time=01:00:00', '#SBATCH --job-name=x']);
  });
});

describe('an unknown directive name is an error at the value in the config', () => {
  it('directive: a1000 on rivanna: EG4010 at the value, naming a100 first', async () => {
    const r = await compiled('name: t\nsystem:\n  host: rivanna\nexperiment:\n  epoch: "1,2"\n  directive: a1000\n');
    expect(r.plan).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ code: 'EG4010', severity: 'error', file: r.file });
    expect(where(d, r.text)).toEqual({ at: '6:14', points: 'a1000' });
    expect(d.message).toMatch(/has no directives for "a1000" \(experiment\.directive\); it knows: a100, a6000, /);
    expect(d.hint).toMatch(/^Did you mean "a100"\?/);
    // The printed form starts with file:line:col, as editors read it.
    expect(formatDiagnostics(r.diagnostics, r.sources)).toMatch(new RegExp(`^${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:14 - error EG4010`));
  });

  it('inside a comma string it points at the item; once per name, not once per bundle', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: "a100, a1000,v10"\n  repeat: "1,2,3"\n');
    expect(r.diagnostics.map((d) => [d.code, d.severity, where(d, r.text).at, where(d, r.text).points])).toEqual([
      ['EG4010', 'error', '3:21', 'a1000'],
      ['EG4010', 'error', '3:27', 'v10'],
    ]);
    expect(r.diagnostics[1]!.hint).toMatch(/^Did you mean "v100"\?/);
  });

  it('in a YAML list it points at the list item', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive:\n    - a100\n    - rtx4090\n');
    expect(r.diagnostics.map((d) => [d.code, where(d, r.text).at, where(d, r.text).points])).toEqual([['EG4010', '5:7', 'rtx4090']]);
  });

  it('an unknown card_name (no directive) is an error at card_name; with a directive it is only a label', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  card_name: "a100,b200"\n');
    expect(r.diagnostics.map((d) => [d.code, where(d, r.text).points])).toEqual([['EG4010', 'b200']]);
    expect(r.diagnostics[0]!.message).toContain('(experiment.card_name)');
    const ok = await compiled('system: {host: rivanna}\nexperiment:\n  directive: a100\n  card_name: "a100,b200"\n');
    expect(ok.diagnostics).toEqual([]);
  });

  it('a name that is an Object property ("constructor", "__proto__") is unknown, not a crash', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: "constructor,toString"\n  gpu: __proto__\n');
    expect(r.diagnostics.map((d) => [d.code, where(d, r.text).points])).toEqual([
      ['EG4010', 'constructor'],
      ['EG4010', 'toString'],
    ]);
  });

  it('an unknown value that sweep.exclude removes from every bundle is no error', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: "a100,a1000"\nsweep:\n  exclude:\n    - {directive: a1000}\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['directive-a100']);
  });

  it('a derived directive that is unknown is an error at sweep.derive.directive', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  gpu: "a100,v100"\nsweep:\n  derive:\n    directive: "gpu + \'-dgx\'"\n');
    expect(r.diagnostics.map((d) => [d.code, where(d, r.text).at])).toEqual([['EG4010', '6:16']]);
    expect(r.diagnostics[0]!.message).toContain('"v100-dgx"');
  });

  it('with --strict too (an error stays an error)', async () => {
    const file = project('system: {host: rivanna}\nexperiment:\n  directive: a1000\n');
    const r = await compile({ config: file, template: path.join(path.dirname(file), 'job.in.slurm'), strict: true, workers: 0 });
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['EG4010', 'error']]);
  });

  it('a profile without a directive table never errors: the built-in localhost, an inventory host', async () => {
    const local = await compiled('system: {host: localhost}\nexperiment:\n  directive: "a1000,zz"\n');
    expect(local.diagnostics).toEqual([]);
    expect(local.plan!.bundles).toHaveLength(2);
    const inv = await compiled('system: {host: box}\nexperiment:\n  directive: a1000\n', { 'job.in.slurm': SLURM, 'hosts.yaml': 'hosts:\n  box: {kind: local}\n' }, { hostsFile: 'hosts.yaml' });
    expect(inv.diagnostics).toEqual([]);
    const none = await compiled('experiment:\n  directive: a1000\n');
    expect(none.diagnostics).toEqual([]);
  });

  it("a project profile's own table is the one checked", async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  directive: "h100,a100"\n', { 'job.in.slurm': SLURM, 'profiles/rivanna.yaml': 'scheduler: slurm\ndirectives:\n  h100: {gres: "gpu:h100:1"}\n' });
    expect(r.diagnostics.map((d) => [d.code, where(d, r.text).points])).toEqual([['EG4010', 'a100']]);
    expect(r.diagnostics[0]!.message).toContain('it knows: h100.');
  });
});

describe('a missing host profile', () => {
  it('system.host: rivana is EG4020 at the value, naming rivanna first and where eegen looked', async () => {
    const r = await compiled('name: t\nsystem:\n  partition: gpu\n  host: rivana\nexperiment:\n  directive: a100\n');
    expect(r.plan).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ code: 'EG4020', severity: 'error', file: r.file });
    expect(where(d, r.text)).toEqual({ at: '4:9', points: 'rivana' });
    expect(d.message).toMatch(/the profiles there are rivanna, localhost\.$/);
    expect(d.message).toContain(path.join(path.dirname(r.file), 'profiles'));
    expect(d.message).toContain(`${path.sep}profiles`);
    expect(d.hint).toBe('Did you mean "rivanna"?');
  });

  it('system.host: nosuch names every profile and says how to add one', async () => {
    const r = await compiled('system: {host: nosuch}\nexperiment:\n  x: 1\n', { 'job.in.slurm': '#!/bin/bash\necho\n', 'profiles/mysite.yaml': 'scheduler: slurm\n' });
    const d = r.diagnostics[0]!;
    expect(r.diagnostics.map((x) => x.code)).toEqual(['EG4020']);
    expect(where(d, r.text)).toEqual({ at: '1:16', points: 'nosuch' });
    expect(d.message).toContain('the profiles there are localhost, mysite, rivanna.');
    expect(d.hint).toMatch(/Create profiles\/nosuch\.yaml beside the config/);
  });

  it('a name that is no file name (system.host: ../x) is EG4021 at the value', async () => {
    const r = await compiled('system:\n  host: "../etc/passwd"\nexperiment:\n  x: 1\n');
    expect(r.diagnostics.map((d) => [d.code, where(d, r.text).at])).toEqual([['EG4021', '2:9']]);
  });

  it('--host nosuch is the same error, without a place in the config', async () => {
    const r = await compiled('system: {host: rivanna}\nexperiment:\n  x: 1\n', undefined, { host: 'nosuch' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4020']);
    expect(r.diagnostics[0]!.start).toBeUndefined();
  });
});
