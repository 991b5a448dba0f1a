/**
 * The config's `report:` settings (top level, or `eegen.report` in a config with the
 * section): each override takes effect (title, group_by, x, metrics), a config without
 * them gives the report eegen chooses byte for byte, a bad key or shape is a positioned
 * schema error with the nearest name (from the build and from the report alike), a name
 * the study does not have is EG8104/EG8105 at that name listing the choices, and the
 * settings are in no bundle: adding or changing them rewrites nothing a run depends on.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { formatDiagnostics, isDiagnosticError } from '../../src/diagnostics/index.js';
import { report, ReportSettingsError } from '../../src/report/index.js';
import type { Chart } from '../../src/report/charts.js';
import { chartsFor } from '../../src/report/charts.js';
import { loadStudy } from '../../src/report/study.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';
const CONFIG = 'fixtures/report/cloudmask-report.yaml';

/** A config in a temp dir: the fixture's keys above `report:`, then `tail`. */
function config(tail: string, name = 'config.yaml'): string {
  const dir = tmpDir('eegen-report-settings-');
  const head = readFileSync(CONFIG, 'utf8').split('\nreport:\n')[0]!;
  const file = path.join(dir, name);
  writeFileSync(file, `${head}\n${tail}`);
  return file;
}

/** What report() refuses with, as the CLI prints it (code frames from the config). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ReportSettingsError)) throw e;
    return formatDiagnostics(e.diagnostics, e.sources);
  }
  throw new Error('expected a refusal');
}

/** report.html and summary.md of the report eegen chooses itself (made once). */
let plainReport: Promise<string> | undefined;
const plain = (): Promise<string> => (plainReport ??= (async () => {
  const dir = tmpDir('eegen-report-');
  await report({ outs: [STUDY], dir });
  return dir;
})());

const configurations = (c: Chart): string[] => [...new Set(((c.spec as { data: { values: { configuration: string }[] } }).data.values).map((v) => v.configuration))].sort();

describe('report: settings in the config', () => {
  it('overrides title, grouping, x and metrics', async () => {
    const dir = tmpDir('eegen-report-');
    const r = await report({ outs: [STUDY], dir, config: CONFIG });
    // metrics in the order given, against epoch only; no loss or result.* chart.
    expect(r.charts).toEqual(['runtime', 'history', 'accuracy-by-epoch', 'duration_s-by-epoch', 'energy', 'states']);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h1>Study: Cloudmask, A100 against V100</h1>');
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('# Study: Cloudmask, A100 against V100\n');
    // Configurations are GPUs: the bars average over the epochs.
    const charts = chartsFor(r.studies, { groupBy: ['gpu'], x: ['epoch'], metrics: ['accuracy', 'duration_s'] });
    expect(configurations(charts.find((c) => c.name === 'runtime')!)).toEqual(['gpu=a100', 'gpu=v100']);
    expect(configurations(charts.find((c) => c.name === 'energy')!)).toEqual(['gpu=a100', 'gpu=v100']);
    const byEpoch = charts.find((c) => c.name === 'duration_s-by-epoch')!.spec as { data: { values: { group: string }[] } };
    expect([...new Set(byEpoch.data.values.map((v) => v.group))].sort()).toEqual(['gpu=a100', 'gpu=v100']);
    // Without settings: every configuration (epoch x gpu) is a bar.
    expect(configurations(chartsFor(r.studies).find((c) => c.name === 'runtime')!)).toHaveLength(6);
  });

  it('the same settings inside eegen: give the same report; x may be a non-numeric parameter', async () => {
    const sectioned = path.join(tmpDir('eegen-report-settings-'), 'config.yaml');
    writeFileSync(sectioned, 'experiment:\n  epoch: "1,2,3"\n  gpu: "a100,v100"\neegen:\n  name: cloudmask\n  scheduler: bash\n  run: {command: "true"}\n  sweep: {repeat: 5}\n  report:\n    title: Cloudmask, A100 against V100\n    group_by: gpu\n    x: [epoch]\n    metrics: [accuracy, duration_s]\nreport: {title: mine}   # outside eegen: a variable of the user\n');
    const a = await report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: CONFIG });
    const b = await report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: sectioned });
    expect(readFileSync(path.join(b.dir, 'report.html')).equals(readFileSync(path.join(a.dir, 'report.html')))).toBe(true);
    expect(b.charts).toEqual(['runtime', 'history', 'accuracy-by-epoch', 'duration_s-by-epoch', 'energy', 'states']);
    const byGpu = await report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: config('report: {x: gpu, metrics: accuracy}\n') });
    expect(byGpu.charts).toContain('accuracy-by-gpu');
    const spec = chartsFor(byGpu.studies, { x: ['gpu'], metrics: ['accuracy'] }).find((c) => c.name === 'accuracy-by-gpu')!.spec as { encoding: { x: { type: string } } };
    expect(spec.encoding.x.type).toBe('nominal');
  });

  it('a config without report settings gives the report eegen chooses, byte for byte', async () => {
    const withConfig = tmpDir('eegen-report-');
    await report({ outs: [STUDY], dir: withConfig, config: config('') });
    for (const f of ['report.html', 'summary.md']) expect(readFileSync(path.join(withConfig, f)).equals(readFileSync(path.join(await plain(), f))), f).toBe(true);
  });

  it('a parameter or metric the study does not have: EG8104 / EG8105 at the name, with the choices', async () => {
    const file = config('report:\n  group_by: [gpu, node]\n  x: epohc\n  metrics: [accuracy, runtime, val_acuracy]\n');
    const text = await refusal(report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: file }));
    expect(text).toContain(`${file}:11:19 - error EG8104: report.group_by: "node" is not a swept parameter of the study.`);
    expect(text).toContain('hint: Choices: epoch, gpu, repeat.');
    expect(text).toContain(`${file}:12:6 - error EG8104: report.x: "epohc" is not a swept parameter of the study.`);
    expect(text).toContain('hint: Did you mean "epoch"? Choices: epoch, gpu, repeat.');
    expect(text).toContain(`${file}:13:23 - error EG8105: report.metrics: "runtime" is not a result column the study measured.`);
    expect(text).toContain('hint: Choices: accuracy, loss, result.inference_accuracy, duration_s, energy_j, timer.inference, timer.loaddata, timer.total, timer.training.');
    expect(text).toMatch(/EG8105: report\.metrics: "val_acuracy"/);
    expect(text).not.toMatch(/EG810[45]: report\.(group_by: "gpu"|metrics: "accuracy")/);
    // A code frame under each, pointing at the name.
    expect(text).toContain('> 12 |   x: epohc\n     |      ^^^^^');
  });

  it('a bad key or shape is a positioned schema error with the nearest name, from the build and the report alike', async () => {
    const file = config('report:\n  title: ok\n  group-by: [gpu]\n  metrics: {accuracy: 1}\n');
    const text = await refusal(report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: file }));
    expect(text).toContain(`${file}:12:3 - error EG2001: Unknown key "group-by" in report.`);
    expect(text).toContain('hint: Did you mean "group_by"? Allowed keys: title, group_by, x, metrics.');
    expect(text).toContain(`${file}:13:12 - error EG2003: report.metrics must be string or array, not a mapping.`);
    const built = await compile({ config: file });
    expect(formatDiagnostics(built.diagnostics, built.sources)).toContain(`${file}:12:3 - error EG2001: Unknown key "group-by" in report.`);
    // In the eegen: section too.
    const sectioned = path.join(tmpDir('eegen-report-settings-'), 'config.yaml');
    writeFileSync(sectioned, 'experiment:\n  epoch: "1,2"\neegen:\n  scheduler: bash\n  report: {metric: [accuracy]}\n');
    const inSection = await refusal(report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: sectioned }));
    expect(inSection).toContain(`${sectioned}:5:12 - error EG2001: Unknown key "metric" in eegen.report.`);
    expect(inSection).toContain('Did you mean "metrics"?');
    // A missing config file is a coded error too, never a stack trace.
    try {
      await report({ outs: [STUDY], dir: tmpDir('eegen-report-'), config: path.join(tmpDir(), 'nope.yaml') });
      expect.unreachable();
    } catch (e) {
      expect(isDiagnosticError(e) && e.diagnostics[0]!.code).toBe('EG1010');
    }
  });

  it('report settings are in no bundle: adding or changing them leaves every bundle as it was', async () => {
    const dir = tmpDir('eegen-report-settings-');
    cpSync('fixtures/cloudmask', dir, { recursive: true });
    const base = 'experiment:\n  epoch: "1,30"\n  gpu: "a100,v100"\n  repeat: "1,2"\nfiles: [cloudmask_v2.py]\n';
    const variants = {
      none: base,
      top: `${base}report: {title: A study, group_by: [gpu], x: epoch, metrics: [accuracy]}\n`,
      changed: `${base}report: {title: Another title, metrics: [loss]}\n`,
    };
    const hashes: Record<string, string[]> = {};
    for (const [name, text] of Object.entries(variants)) {
      writeFileSync(path.join(dir, `${name}.yaml`), text);
      const r = await compile({ config: path.join(dir, `${name}.yaml`), template: path.join(dir, 'cloudmask.in.slurm') });
      expect(r.diagnostics.filter((d) => d.severity === 'error'), name).toEqual([]);
      hashes[name] = r.plan!.bundles.map((b) => b.hash);
      const frozen = r.plan!.bundles[0]!.files.find((f) => f.path === 'config.yaml')!;
      expect(Buffer.from(frozen.content).toString('utf8'), name).not.toContain('report');
    }
    expect(hashes.top).toEqual(hashes.none);
    expect(hashes.changed).toEqual(hashes.none);
    // In the eegen: section: the section's report goes, a top-level report: of the user's stays.
    const sectioned = 'experiment:\n  epoch: "1,30"\n  gpu: "a100,v100"\n  repeat: "1,2"\nreport: {dir: /scratch/reports}\neegen:\n  files: [cloudmask_v2.py]\n  report: {title: A study}\n';
    writeFileSync(path.join(dir, 'sectioned.yaml'), sectioned);
    const r = await compile({ config: path.join(dir, 'sectioned.yaml'), template: path.join(dir, 'cloudmask.in.slurm') });
    const frozen = Buffer.from(r.plan!.bundles[0]!.files.find((f) => f.path === 'config.yaml')!.content).toString('utf8');
    expect(frozen).toContain('report:\n  dir: /scratch/reports');
    expect(frozen).not.toContain('A study');
  });

  it('a top-level report: of another shape is the user\'s own variable (EG2009), and the report ignores it', async () => {
    const file = config('report: weekly\n');
    const r = await compile({ config: file });
    expect(r.diagnostics.map((d) => `${d.code} ${d.severity}`)).toContain('EG2009 warning');
    const dir = tmpDir('eegen-report-');
    await report({ outs: [STUDY], dir, config: file });
    expect(readFileSync(path.join(dir, 'report.html')).equals(readFileSync(path.join(await plain(), 'report.html')))).toBe(true);
    expect((await loadStudy(STUDY)).varying).toEqual(['epoch', 'gpu', 'repeat']);
  });
});
