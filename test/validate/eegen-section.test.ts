/**
 * eegen's settings in a section of their own (validate/settings.ts): with `eegen:` in a
 * config, eegen reads its settings only from there and every other top-level key is the
 * user's variable, whatever its name and shape; inside the section everything is eegen's,
 * so an unknown key is an error with the nearest name at its line:col. Without the section
 * nothing changes (the rest of the suite is the proof; a few cases are repeated here).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { formatDiagnostics, type Diagnostic } from '../../src/diagnostics/index.js';
import { lineColumn } from '../../src/diagnostics/format.js';
import { parseYaml } from '../../src/load/index.js';
import type { BuildPlan, Mapping } from '../../src/types.js';
import { expectBaseline } from '../support/baseline.js';
import { BIN, ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const DIR = 'fixtures/cloudmesh-compat/eegen-section';

function fileOf(plan: BuildPlan | undefined, id: string, name: string): string {
  const b = plan!.bundles.find((x) => x.id === id);
  expect(b, `bundle ${id} in ${plan?.bundles.map((x) => x.id).join(', ')}`).toBeDefined();
  return b!.files.find((f) => f.path === name)!.content.toString('utf8');
}

async function project(config: string, files: Record<string, string> = {}, template?: string) {
  const dir = tmpDir('eegen-section-');
  for (const [name, text] of Object.entries({ ...files, 'config.yaml': config })) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const file = path.join(dir, 'config.yaml');
  const r = await compile({ config: file, workers: 0, ...(template ? { template: path.join(dir, template) } : {}) });
  return { ...r, file, text: config };
}

/** Where a diagnostic points, as line:col in the config. */
function at(d: Diagnostic, text: string): string {
  expect(d.start, `${d.code} has a position`).toBeDefined();
  const { line, column } = lineColumn(text, d.start!);
  return `${line}:${column}`;
}

/** line:col of the n-th occurrence of `needle` in `text` (1-based). */
function pos(text: string, needle: string, nth = 1): string {
  let i = -1;
  for (let k = 0; k < nth; k++) i = text.indexOf(needle, i + 1);
  expect(i, needle).toBeGreaterThanOrEqual(0);
  const { line, column } = lineColumn(text, i);
  return `${line}:${column}`;
}

describe('a config with an eegen: section (fixtures/cloudmesh-compat/eegen-section)', () => {
  it("every top-level key is the user's, also those with eegen's names and shapes: no diagnostic, the section's settings used", async () => {
    const r = await compile({ config: path.join(DIR, 'config.yaml'), workers: 0 });
    expect(r.diagnostics).toEqual([]);
    // eegen.identifier names the bundles, eegen.sweep repeats twice and excludes large/32.
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['small-b16-r1', 'small-b16-r2', 'small-b32-r1', 'small-b32-r2', 'large-b16-r1', 'large-b16-r2']);
    for (const b of r.plan!.bundles) {
      // eegen.files copied, the user's files: list (notes.md, a missing file) not.
      expect(b.files.map((f) => f.path).sort()).toEqual(['SHA256SUMS', 'config.yaml', 'eegen-run.sh', 'manifest.json', 'osmi.slurm', 'serve.py']);
      expectBaseline(`${DIR}/expected/${b.id}/osmi.slurm`, fileOf(r.plan, b.id, 'osmi.slurm'));
    }
    expectBaseline(`${DIR}/expected/small-b16-r1/config.yaml`, fileOf(r.plan, 'small-b16-r1', 'config.yaml'));
    const script = fileOf(r.plan, 'small-b16-r1', 'osmi.slurm');
    // The user's values, as written; eegen.resources (not the user's resources) in the block.
    expect(script).toContain('#SBATCH --time=00:30:00\n');
    expect(script).not.toContain('99:00:00"\n#');
    expect(script).toContain('echo "template variable: small-serving"\n');
    expect(script).toContain('echo "identifier variable: osmi_small"\n');
    expect(script).toContain('echo "run: echo this is my text, not a command; rm -rf /"\n');
    expect(script).toContain('host nowhere py 3.10 partition users-own time 99:00:00 repeat 7 schema not-eegens.json');
    // index.json is named from eegen.name.
    const index = JSON.parse(r.plan!.sideFiles.find((f) => f.path === 'index.json')!.content.toString('utf8')) as { name?: string };
    expect(index.name).toBe('osmi');
  });

  it("config.yaml keeps the user's keys as written (their sweep: too) and the section without its sweep rules", async () => {
    const r = await compile({ config: path.join(DIR, 'config.yaml'), workers: 0 });
    const job = parseYaml('config.yaml', fileOf(r.plan, 'small-b16-r1', 'config.yaml')).loaded!.data as Mapping;
    expect(job.sweep).toEqual({ repeat: 7 });
    expect(job.files).toEqual(['notes.md', 'missing.txt']);
    expect(job.eegen).not.toHaveProperty('sweep');
    expect(job.eegen).toMatchObject({ name: 'osmi', template: 'osmi.in.slurm', identifier: 'small-b16-r1', system: { host: 'rivanna' } });
  });

  it('the same bundles from the CLI, also with render workers', () => {
    const out = tmpDir('eegen-section-cli-');
    const r = spawnSync(process.execPath, [BIN, 'build', path.join(ROOT, DIR, 'config.yaml'), '--out', out, '--jobs', '2'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(readFileSync(path.join(out, 'large-b16-r2', 'osmi.slurm'), 'utf8')).toBe(readFileSync(path.join(ROOT, DIR, 'expected/large-b16-r2/osmi.slurm'), 'utf8'));
  });
});

describe('inside eegen: everything is eegen\'s', () => {
  it('an unknown key is an error with the nearest name, at its line:col: in the section and in each of its mappings', async () => {
    const config = 'experiment:\n  x: "1,2"\neegen:\n  templat: job.in.sh\n  run:\n    comand: echo hi\n  resources:\n    partiton: gpu\n  system:\n    hots: rivanna\n  results:\n    schem: r.json\n  application:\n    nmae: app\n  sweep:\n    repat: 2\n  constructor: x\n';
    const r = await project(config, { 'job.in.sh': 'echo\n' });
    expect(r.plan).toBeUndefined();
    const got = r.diagnostics.map((d) => [d.code, d.severity, at(d, config), d.message, d.hint?.match(/Did you mean "([^"]+)"/)?.[1]]);
    expect(got).toEqual([
      ['EG2001', 'error', pos(config, 'templat'), 'Unknown key "templat" in eegen.', 'template'],
      ['EG2001', 'error', pos(config, 'comand'), 'Unknown key "comand" in eegen.run.', 'command'],
      ['EG2001', 'error', pos(config, 'partiton'), 'Unknown key "partiton" in eegen.resources.', 'partition'],
      ['EG2001', 'error', pos(config, 'hots'), 'Unknown key "hots" in eegen.system.', 'host'],
      ['EG2001', 'error', pos(config, 'schem:'), 'Unknown key "schem" in eegen.results.', 'schema'],
      ['EG2001', 'error', pos(config, 'nmae'), 'Unknown key "nmae" in eegen.application.', 'name'],
      ['EG2001', 'error', pos(config, 'repat'), 'Unknown key "repat" in eegen.sweep.', 'repeat'],
      ['EG2001', 'error', pos(config, 'constructor'), 'Unknown key "constructor" in eegen.', undefined],
    ]);
  });

  it('a setting of the wrong shape in the section is an error there, not a variable (eegen.files: a mapping, eegen.run: a string)', async () => {
    const config = 'experiment:\n  x: 1\neegen:\n  files: {model: m.onnx}\n  run: "python x.py"\n';
    const r = await project(config);
    expect(r.diagnostics.map((d) => [d.code, d.severity, at(d, config)])).toEqual([
      ['EG2003', 'error', pos(config, '{model')],
      ['EG2003', 'error', pos(config, '"python')],
    ]);
    expect(formatDiagnostics(r.diagnostics, r.sources)).toContain('eegen.files must be array');
  });

  it("errors of the section's settings point into the section: files:, system.host, the sweep rules, the identifier", async () => {
    const files = await project('experiment:\n  x: 1\neegen:\n  run: {command: echo}\n  files: [here.txt, gone.txt]\n', { 'here.txt': 'x' });
    expect(files.diagnostics.map((d) => [d.code, at(d, files.text)])).toEqual([['EG2021', pos(files.text, 'gone.txt')]]);
    const host = await project('system: {host: rivanna}\nexperiment:\n  x: 1\neegen:\n  run: {command: echo}\n  system: {host: rivana}\n');
    expect(host.diagnostics.map((d) => [d.code, at(d, host.text)])).toEqual([['EG4020', pos(host.text, 'rivana}')]]);
    const sweep = await project('sweep: {zip: [[a, b]]}\nexperiment:\n  a: "1,2"\n  b: "1,2,3"\neegen:\n  run: {command: echo}\n  sweep:\n    zip: [[a, b]]\n');
    expect(sweep.diagnostics.map((d) => d.code)).toEqual(['EG3014']);
    expect(at(sweep.diagnostics[0]!, sweep.text).split(':')[0]).toBe(pos(sweep.text, '[[a, b]]', 2).split(':')[0]);
    const clash = await project('identifier: mine\nexperiment:\n  a: "1,2"\neegen:\n  run: {command: echo}\n  identifier: same\n');
    expect(clash.diagnostics.map((d) => [d.code, at(d, clash.text)])).toEqual([['EG3091', pos(clash.text, 'same')]]);
  });

  it("eegen.run.command is a shell command with its placeholders quoted; the user's own run.command is plain text", async () => {
    const evil = 'a b; touch /tmp/eegen-pwned-$$ `id`';
    const config = `run: {command: "echo {experiment.v}"}\nexperiment:\n  v: [${JSON.stringify(evil)}]\neegen:\n  scheduler: bash\n  run: {command: "printf '%s\\\\n' {experiment.v}"}\n  resources: {setup: ["echo setup {experiment.v}"]}\n`;
    const r = await project(config);
    expect(r.diagnostics).toEqual([]);
    const script = fileOf(r.plan, r.plan!.bundles[0]!.id, 'job.sh');
    expect(script).toContain(`printf '%s\\n' 'a b; touch /tmp/eegen-pwned-$$ \`id\`'\n`);
    expect(script).toContain(`echo setup 'a b; touch /tmp/eegen-pwned-$$ \`id\`'\n`);
    // The user's run.command is not what runs, and stays the text it resolves to.
    expect(script).not.toContain('echo a b;');
    const job = parseYaml('config.yaml', fileOf(r.plan, r.plan!.bundles[0]!.id, 'config.yaml')).loaded!.data as Mapping;
    expect((job.run as Mapping).command).toBe(`echo ${evil}`);
  });

  it('the built-in templates run eegen.run (slurm, lsf, bash); a top-level run.command alone is no command: EG2030', async () => {
    for (const scheduler of ['slurm', 'lsf', 'bash']) {
      const r = await project(`run: {command: "echo not-this"}\nexperiment:\n  x: 1\neegen:\n  scheduler: ${scheduler}\n  run: {command: "echo from-section"}\n`);
      expect(r.diagnostics, scheduler).toEqual([]);
      const b = r.plan!.bundles[0]!;
      const script = b.files.find((f) => f.path === b.script)!.content.toString('utf8');
      expect(script, scheduler).toContain('\necho from-section\n');
      expect(script, scheduler).not.toContain('not-this');
    }
    const none = await project('run: {command: "echo not-this"}\nexperiment:\n  x: 1\neegen:\n  scheduler: bash\n');
    expect(none.diagnostics.map((d) => d.code)).toEqual(['EG2030']);
  });

  it("a section and a top-level key of the same name never collide: both kept, the section's is eegen's", async () => {
    const r = await project('template: other.in.sh\nfiles: [b.txt]\nexperiment:\n  x: 1\neegen:\n  template: job.in.sh\n  files: [a.txt]\n', { 'job.in.sh': 'echo "{template}" "{files}"\n', 'a.txt': 'a', 'b.txt': 'b', 'other.in.sh': 'echo other\n' });
    // {files} is the user's list: a list has no text form (an error about the user's value, not a collision).
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG4009']);
    const ok = await project('template: other.in.sh\nfiles: [b.txt]\nexperiment:\n  x: 1\neegen:\n  template: job.in.sh\n  files: [a.txt]\n', { 'job.in.sh': 'echo "{template}"\n', 'a.txt': 'a', 'b.txt': 'b', 'other.in.sh': 'echo other\n' });
    expect(ok.diagnostics).toEqual([]);
    const b = ok.plan!.bundles[0]!;
    expect(b.files.map((f) => f.path)).toContain('a.txt');
    expect(b.files.map((f) => f.path)).not.toContain('b.txt');
    expect(fileOf(ok.plan, b.id, 'job.sh')).toContain('echo "other.in.sh"\n');
    expect((parseYaml('config.yaml', fileOf(ok.plan, b.id, 'config.yaml')).loaded!.data as Mapping).files).toEqual(['b.txt']);
  });

  it("{ee.uuid} is named after the section's name, not a top-level name: the user's value changes no uuid", async () => {
    const cfg = (top: string, own: string) => `name: ${top}\nexperiment:\n  x: "1,2"\neegen:\n  name: ${own}\n  template: job.in.sh\n`;
    const files = { 'job.in.sh': 'echo "{ee.uuid}"\n' };
    const uuid = async (top: string, own: string) => {
      const r = await project(cfg(top, own), files);
      expect(r.diagnostics).toEqual([]);
      return r.plan!.bundles.map((b) => fileOf(r.plan, b.id, 'job.sh'));
    };
    const a = await uuid('mine', 'study');
    expect(await uuid('something-else', 'study')).toEqual(a);
    expect(await uuid('mine', 'another-study')).not.toEqual(a);
    expect(a[0]).not.toEqual(a[1]);
  });

  it("top-level keys are never checked or warned about: other shapes (EG2009), near misses of run keys (EG2008), of settings (EG2007)", async () => {
    const r = await project('template: {a: 1}\nfiles: {m: x}\nrun: {comand: x}\nresources: "2 GPUs"\nscheduler: 5\ntemplat: y\nrunn: z\nexperiment:\n  x: 1\neegen:\n  run: {command: echo}\n');
    expect(r.diagnostics).toEqual([]);
  });

  it('a misspelt experiment is still fatal (the sweep stays at the top level); an empty section leaves nothing to run (EG2030)', async () => {
    const typo = await project('experimnt:\n  x: 1\neegen:\n  run: {command: echo}\n');
    expect(typo.diagnostics.map((d) => [d.code, d.severity])).toEqual([['EG2007', 'error']]);
    const empty = await project('run: {command: echo}\nexperiment:\n  x: 1\neegen: {}\n');
    expect(empty.diagnostics.map((d) => [d.code, at(d, empty.text)])).toEqual([['EG2030', pos(empty.text, 'eegen')]]);
    expect(empty.diagnostics[0]!.hint).toMatch(/^Add run: \{command: .*\} to eegen:, or name a template \(eegen: template: job\.in\.slurm, or --template FILE\)\.$/);
  });
});

describe('configs without the section: as before', () => {
  it("eegen: of another shape is the user's variable (EG2009 warning) and the top-level settings are read", async () => {
    const config = 'eegen: "my own value {experiment.x}"\nrun: {command: "echo {eegen}"}\nexperiment:\n  x: 1\n';
    const r = await project(config);
    expect(r.diagnostics.map((d) => [d.code, d.severity, at(d, config)])).toEqual([['EG2009', 'warning', '1:1']]);
    const b = r.plan!.bundles[0]!;
    expect(b.files.find((f) => f.path === b.script)!.content.toString('utf8')).toContain("\necho 'my own value 1'\n");
  });

  it('a near miss of eegen (eegn:) is a warning, as for the other settings', async () => {
    const r = await project('eegn: {run: {command: x}}\nrun: {command: echo}\nexperiment:\n  x: 1\n');
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([['EG2007', 'warning', 'Unknown top-level key "eegn": did you mean "eegen"?']]);
  });
});

describe('rebuilds see every change of a value that reaches the bundle', () => {
  for (const [what, before, after] of [
    ["a user's own sweep: (not eegen's rules)", 'sweep: "old"\nexperiment:\n  x: "1,2"\n', 'sweep: "new"\nexperiment:\n  x: "1,2"\n'],
    ["a user's own sweep: beside an eegen: section", 'sweep: {repeat: old}\nexperiment:\n  x: "1,2"\neegen: {template: job.in.sh}\n', 'sweep: {repeat: new}\nexperiment:\n  x: "1,2"\neegen: {template: job.in.sh}\n'],
  ] as const) {
    it(`${what}: the next build rewrites the bundles, not reuses them`, async () => {
      const dir = tmpDir('eegen-section-rebuild-');
      const t = what.includes('section') ? 'echo {sweep.repeat}\n' : 'echo {sweep}\n';
      writeFileSync(path.join(dir, 'job.in.sh'), t);
      const out = path.join(dir, 'out');
      const { build } = await import('../../src/build.js');
      for (const [config, want] of [[before, 'old'], [after, 'new']] as const) {
        writeFileSync(path.join(dir, 'config.yaml'), config);
        const r = await build({ config: path.join(dir, 'config.yaml'), template: path.join(dir, 'job.in.sh'), out, workers: 0 });
        expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
        expect(readFileSync(path.join(out, 'x-1', 'job.sh'), 'utf8'), want).toContain(`echo ${want}\n`);
      }
    });
  }
});

describe('schemas/config.schema.json', () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/config.schema.json'), 'utf8')) as { properties: Record<string, Record<string, unknown>> };
  const section = schema.properties.eegen as { additionalProperties: boolean; properties: Record<string, Record<string, unknown>> };

  it("the section holds every setting, each as the top level defines it, and is closed: no unknown key anywhere in it", () => {
    expect(section.additionalProperties).toBe(false);
    expect(Object.keys(section.properties)).toEqual(['name', 'template', 'scheduler', 'identifier', 'files', 'run', 'resources', 'results', 'system', 'application', 'sweep', 'report']);
    for (const [k, s] of Object.entries(section.properties)) {
      const top = schema.properties[k]!;
      expect({ ...s, additionalProperties: undefined, description: undefined }, k).toEqual({ ...top, additionalProperties: undefined, description: undefined });
      if (s.type === 'object') expect(s.additionalProperties, k).toBe(false);
    }
  });
});
