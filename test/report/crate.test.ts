/**
 * eegen report --crate: the recorded Cloudmask-shaped study (fixtures/report) becomes an
 * RO-Crate 1.1 (Workflow Run Crate 0.5, Process Run Crate 0.5) that validates against the
 * RO-Crate 1.1 context shipped in schemas/ro-crate/: every term defined there, every
 * reference an entity or a file of the crate, descriptor and root as the specification
 * requires, the profiles in conformsTo. Each bundle is a CreateAction with its parameters,
 * state, times and host (fingerprints); failures are FailedActionStatus with their note.
 * Same input, same bytes, no clock. Attacks: a file it references deleted, the crate and a
 * file it describes tampered with, a user's own ro-crate-metadata.json, two studies whose
 * directories share a name, a bad license, runs that recorded no time.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { report, validateCrate, CRATE_PROFILES } from '../../src/report/index.js';
import { EEGEN_VERSION } from '../../src/version.js';
import { eegen, ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';
const CONTEXT = JSON.parse(readFileSync(path.join(ROOT, 'schemas/ro-crate/context-1.1.jsonld'), 'utf8')) as { '@id': string; '@context': Record<string, string> };

type Entity = Record<string, unknown> & { '@id': string; '@type': string | string[] };
const graphOf = (dir: string): Entity[] => (JSON.parse(readFileSync(path.join(dir, 'ro-crate-metadata.json'), 'utf8')) as { '@graph': Entity[] })['@graph'];
const types = (e: Entity | undefined): string[] => (e === undefined ? [] : Array.isArray(e['@type']) ? e['@type'] : [e['@type']]);
const ids = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => (x as { '@id': string })['@id']);

/** A copy of the fixture study at DIR/NAME (a study's name in the crate is its directory's). */
function studyCopy(name = 'cloudmask-study', base = tmpDir('eegen-crate-')): string {
  const out = path.join(base, name);
  cpSync(STUDY, out, { recursive: true });
  return out;
}

async function crateOf(out: string, extra: { license?: string } = {}): Promise<{ dir: string; graph: Entity[]; byId: Map<string, Entity> }> {
  const r = await report({ outs: [out], crate: true, ...extra });
  const graph = graphOf(r.dir);
  return { dir: r.dir, graph, byId: new Map(graph.map((e) => [e['@id'], e])) };
}

describe('eegen report --crate', () => {
  it('the Cloudmask study is a valid Workflow Run Crate: config, bundles, hosts, results and the report', async () => {
    const { dir, graph, byId } = await crateOf(studyCopy());
    expect(await validateCrate(dir)).toEqual([]);
    // The shipped context is the published RO-Crate 1.1 one.
    expect(CONTEXT['@id']).toBe('https://w3id.org/ro/crate/1.1/context');
    expect(Object.keys(CONTEXT['@context']).length).toBe(2628);
    // Every property and type is a term of that context or a full IRI (checked here without validateCrate).
    const undefinedTerms = graph.flatMap((e) => [...Object.keys(e).filter((k) => !k.startsWith('@')), ...types(e)]).filter((t) => !Object.hasOwn(CONTEXT['@context'], t) && !/^https?:\/\//.test(t));
    expect([...new Set(undefinedTerms)]).toEqual([]);

    const descriptor = byId.get('ro-crate-metadata.json')!;
    expect(ids(descriptor.about)).toEqual(['./']);
    expect(ids(descriptor.conformsTo)).toContain('https://w3id.org/ro/crate/1.1');
    const root = byId.get('./')!;
    expect(ids(root.conformsTo)).toEqual(CRATE_PROFILES.map((p) => p.id));
    expect(ids(root.conformsTo)).toEqual(expect.arrayContaining(['https://w3id.org/ro/wfrun/process/0.5', 'https://w3id.org/ro/wfrun/workflow/0.5']));
    // datePublished: the latest time the records hold (the timed-out run's end), no clock.
    expect(root.datePublished).toBe('2026-11-20T14:00:00Z');

    const eegenApp = byId.get('#eegen')!;
    expect(types(eegenApp)).toEqual(['SoftwareApplication']);
    expect(eegenApp.softwareVersion).toBe(EEGEN_VERSION);

    // The config, as compiled: the main workflow, with the swept parameters as its inputs.
    const wf = byId.get(ids(root.mainEntity)[0]!)!;
    expect(wf['@id']).toBe('studies/cloudmask-study/index.json');
    expect(types(wf)).toEqual(['File', 'SoftwareSourceCode', 'ComputationalWorkflow']);
    expect(ids(wf.input).map((i) => byId.get(i)!.name)).toEqual(['epoch', 'gpu', 'repeat']);
    expect(readFileSync(path.join(dir, 'studies/cloudmask-study/index.json'))).toEqual(readFileSync(path.join(STUDY, 'index.json')));
    expect(readFileSync(path.join(dir, 'studies/cloudmask-study/results.jsonl'))).toEqual(readFileSync(path.join(STUDY, 'results.jsonl')));

    // Each bundle: a CreateAction of the workflow, with its parameter values, state, times and host.
    const actions = graph.filter((e) => types(e).includes('CreateAction') && e['@id'] !== '#report');
    expect(actions).toHaveLength(30);
    expect(ids(root.mentions)).toEqual(expect.arrayContaining(actions.map((a) => a['@id'])));
    const run = byId.get('#run/cloudmask-study/epoch-1_gpu-a100_repeat-1')!;
    expect(ids(run.instrument)).toEqual([wf['@id']]);
    expect(ids(run.object).map((i) => [byId.get(i)!.name, byId.get(i)!.value])).toEqual([['epoch', 1], ['gpu', 'a100'], ['repeat', 1]]);
    expect(ids(run.object).every((i) => ids(byId.get(i)!.exampleOfWork)[0]!.endsWith(`/param/${byId.get(i)!.name}`))).toBe(true);
    expect(run).toMatchObject({ startTime: '2026-11-20T08:10:00Z', endTime: '2026-11-20T08:12:14Z', actionStatus: { '@id': 'http://schema.org/CompletedActionStatus' }, result: { '@id': 'studies/cloudmask-study/results.jsonl' }, location: { '@id': '#host/rivanna' } });
    expect(run.error).toBeUndefined();

    // The hosts, with the fingerprints recorded on them.
    const rivanna = byId.get('#host/rivanna')!;
    expect(types(rivanna)).toEqual(['Place']);
    const fp = ids(rivanna.additionalProperty).map((i) => `${byId.get(i)!.name}=${byId.get(i)!.value}`);
    expect(fp).toEqual(expect.arrayContaining(['fp.gpu=NVIDIA A100-SXM4-80GB', 'fp.driver=550.54.15', 'fp.cpu=AMD EPYC 7742']));
    expect(ids(byId.get('#host/greene')!.additionalProperty).map((i) => byId.get(i)!.value)).toContain('Tesla V100-SXM2-32GB');

    // The report's own files: the result of eegen's CreateAction, each a File of the crate.
    const made = byId.get('#report')!;
    expect(ids(made.instrument)).toEqual(['#eegen']);
    expect(ids(made.result)).toEqual(expect.arrayContaining(['summary.md', 'report.html', 'charts/runtime.svg', 'charts/runtime.png']));
    for (const f of ids(made.result)) expect(existsSync(path.join(dir, decodeURIComponent(f)))).toBe(true);
    expect(ids(root.hasPart)).toEqual(expect.arrayContaining([...ids(made.result), wf['@id'], 'studies/cloudmask-study/results.jsonl']));
  });

  it('failed bundles: FailedActionStatus with the note as error, the timeout too', async () => {
    const { byId } = await crateOf(studyCopy());
    const failed = byId.get('#run/cloudmask-study/epoch-2_gpu-v100_repeat-4')!;
    expect(failed.actionStatus).toEqual({ '@id': 'http://schema.org/FailedActionStatus' });
    expect(failed.error).toBe('exit code 1: CUDA out of memory | see eegen-run/output.log');
    expect(failed.description).toContain('state failed, exit code 1');
    const timedOut = byId.get('#run/cloudmask-study/epoch-3_gpu-v100_repeat-5')!;
    expect(timedOut).toMatchObject({ actionStatus: { '@id': 'http://schema.org/FailedActionStatus' }, error: expect.stringContaining('time limit'), endTime: '2026-11-20T14:00:00Z' });
    const statuses = [...byId.values()].filter((e) => String(e['@id']).startsWith('#run/')).map((e) => ids(e.actionStatus)[0]);
    expect(statuses.filter((s) => s!.endsWith('FailedActionStatus'))).toHaveLength(3);
    expect(statuses.filter((s) => s!.endsWith('CompletedActionStatus'))).toHaveLength(27);
  });

  it('same input, same bytes, also in another directory (another process, another place); the only times are the records\'', async () => {
    const baseA = tmpDir('eegen-crate-a-');
    const baseB = tmpDir('eegen-crate-b-');
    studyCopy('cloudmask-study', baseA);
    studyCopy('cloudmask-study', baseB);
    const crate = (base: string): Buffer => {
      const r = eegen(['report', 'cloudmask-study', '--crate', '-q'], { cwd: base });
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(path.join(base, 'cloudmask-study/report/ro-crate-metadata.json'));
    };
    const first = crate(baseA);
    expect(crate(baseB)).toEqual(first);
    const text = first.toString('utf8');
    expect(text).not.toContain(baseA);
    const recorded = readFileSync(path.join(STUDY, 'results.jsonl'), 'utf8');
    const times = [...text.matchAll(/\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})/g)].map((m) => m[0]);
    expect(times.length).toBeGreaterThan(30);
    expect(times.filter((t) => !recorded.includes(t))).toEqual([]);
  });

  it('a file the crate references, deleted: the validator names it; a new report puts it back', async () => {
    const out = studyCopy();
    const { dir } = await crateOf(out);
    rmSync(path.join(dir, 'charts/runtime.png'));
    rmSync(path.join(dir, 'studies/cloudmask-study/results.jsonl'));
    const problems = await validateCrate(dir);
    expect(problems).toContain('charts/runtime.png is a File of the crate, but there is no such file');
    expect(problems).toContain('studies/cloudmask-study/results.jsonl is a File of the crate, but there is no such file');
    expect(problems.some((p) => /#report: result refers to charts\/runtime\.png, which is neither an entity nor a file of the crate/.test(p))).toBe(false); // it is an entity: the File check names it
    await report({ outs: [out], crate: true });
    expect(await validateCrate(dir)).toEqual([]);
  });

  it('a tampered crate: changed bytes of a file, unknown terms, dangling and nested references are found; report will not overwrite it', async () => {
    const out = studyCopy();
    const { dir } = await crateOf(out);
    const summary = readFileSync(path.join(dir, 'summary.md'));
    writeFileSync(path.join(dir, 'summary.md'), `${summary.toString('utf8')}\nedited\n`);
    expect(await validateCrate(dir)).toEqual(['summary.md has changed since the crate was written (sha256)', expect.stringMatching(/^summary\.md is \d+ bytes, the crate says \d+$/)]);
    writeFileSync(path.join(dir, 'summary.md'), summary);
    const file = path.join(dir, 'ro-crate-metadata.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { '@context': unknown; '@graph': Entity[] };
    const run = doc['@graph'].find((e) => e['@id'] === '#run/cloudmask-study/epoch-1_gpu-a100_repeat-1')!;
    run.colour = 'blue';
    run.agent = { '@id': '#nobody' };
    run.instrument = { '@id': 'nowhere/tool.py' };
    run.location = { '@id': '#host/rivanna', name: 'inline' };
    run['@type'] = ['CreateAction', 'Experiment'];
    const root = doc['@graph'].find((e) => e['@id'] === './')!;
    root.conformsTo = [{ '@id': CRATE_PROFILES[0]!.id }];
    delete root.datePublished;
    doc['@graph'] = doc['@graph'].filter((e) => e['@id'] !== '#eegen');
    writeFileSync(file, JSON.stringify(doc));
    const problems = await validateCrate(dir);
    const r = '#run/cloudmask-study/epoch-1_gpu-a100_repeat-1';
    expect(problems).toEqual(
      expect.arrayContaining([
        `${r}: "colour" is not a term of the RO-Crate 1.1 context`,
        `${r}: type "Experiment" is not a term of the RO-Crate 1.1 context`,
        `${r}: agent refers to #nobody, which is no entity of the crate`,
        `${r}: instrument refers to nowhere/tool.py, which is neither an entity nor a file of the crate`,
        `${r}: location holds a nested object (a flat graph refers to entities by {"@id"})`,
        '#report: instrument refers to #eegen, which is no entity of the crate',
        'the root data entity has no datePublished',
        'the root does not list the profile https://w3id.org/ro/wfrun/workflow/0.5 in conformsTo',
      ]),
    );
    // The edited crate is not eegen's any more: a new report leaves it (and everything else) as it is.
    const before = readFileSync(file);
    const cli = eegen(['report', out, '--crate']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/error EG8101: .*ro-crate-metadata\.json exists and was changed since eegen report wrote it/);
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file)).toEqual(before);
  });

  it('a ro-crate-metadata.json of the user\'s in the report directory is never replaced', async () => {
    const out = studyCopy();
    const dir = path.join(out, 'report');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'ro-crate-metadata.json'), '{"mine": true}\n');
    await expect(report({ outs: [out], crate: true })).rejects.toMatchObject({ diagnostics: [expect.objectContaining({ code: 'EG8101' })] });
    expect(readFileSync(path.join(dir, 'ro-crate-metadata.json'), 'utf8')).toBe('{"mine": true}\n');
    expect(existsSync(path.join(dir, 'summary.md'))).toBe(false);
  });

  it('two studies at once, in directories of the same name: both workflows, 60 runs, one entity per host', async () => {
    const a = studyCopy('cloudmask-study', tmpDir('eegen-crate-a-'));
    const b = studyCopy('cloudmask-study', tmpDir('eegen-crate-b-'));
    const dir = path.join(tmpDir('eegen-crate-two-'), 'report');
    await report({ outs: [a, b], dir, crate: true });
    expect(await validateCrate(dir)).toEqual([]);
    const graph = graphOf(dir);
    const byId = new Map(graph.map((e) => [e['@id'], e]));
    const workflows = graph.filter((e) => types(e).includes('ComputationalWorkflow')).map((e) => e['@id']);
    expect(workflows).toEqual(['studies/cloudmask-study/index.json', 'studies/cloudmask-study-2/index.json']);
    expect(ids(byId.get('./')!.mainEntity)).toEqual([workflows[0]]);
    const runs = graph.filter((e) => String(e['@id']).startsWith('#run/'));
    expect(runs).toHaveLength(60);
    expect(ids(byId.get('#run/cloudmask-study-2/epoch-1_gpu-a100_repeat-1')!.instrument)).toEqual([workflows[1]]);
    expect(graph.filter((e) => types(e).includes('Place')).map((e) => e['@id'])).toEqual(['#host/greene', '#host/rivanna']);
    expect(ids(byId.get('#report')!.object)).toEqual([...workflows, 'studies/cloudmask-study/results.jsonl', 'studies/cloudmask-study-2/results.jsonl']);
  });

  it('--license: an SPDX id or a URL; anything else is EG8106 at the command line, with nothing written', async () => {
    const { byId } = await crateOf(studyCopy(), { license: 'CC-BY-4.0' });
    expect(ids(byId.get('./')!.license)).toEqual(['https://spdx.org/licenses/CC-BY-4.0']);
    const out = studyCopy();
    const cli = eegen(['report', out, '--crate', '--license', 'my license; see <x>']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('error EG8106');
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(out, 'report'))).toBe(false);
    const ok = eegen(['report', out, '--crate', '--license', 'https://example.org/terms']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ro-crate-metadata.json');
    expect(ids(new Map(graphOf(path.join(out, 'report')).map((e) => [e['@id'], e])).get('./')!.license)).toEqual(['https://example.org/terms']);
  });

  it('runs that recorded no time: warning EG8107, and the validator says datePublished is missing', async () => {
    const out = studyCopy();
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    writeFileSync(path.join(out, 'results.jsonl'), `${rows.map(({ start: _s, end: _e, ...r }) => JSON.stringify(r)).join('\n')}\n`);
    const r = await report({ outs: [out], crate: true });
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'EG8107', severity: 'warning' })]);
    expect(await validateCrate(r.dir)).toEqual(['the root data entity has no datePublished']);
  });

  it('a report without --crate afterwards removes the crate files it wrote, and nothing else', async () => {
    const out = studyCopy();
    const { dir } = await crateOf(out);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    await report({ outs: [out] });
    expect(existsSync(path.join(dir, 'ro-crate-metadata.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'studies/cloudmask-study/results.jsonl'))).toBe(false);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('with --config the config itself is in the crate, and the study built from it isBasedOn it; one of another name is not', async () => {
    const base = tmpDir('eegen-crate-');
    const a = studyCopy('cloudmask-study', base);
    const b = studyCopy('other-study', base);
    const idx = JSON.parse(readFileSync(path.join(b, 'index.json'), 'utf8')) as Record<string, unknown>;
    idx.name = 'other';
    writeFileSync(path.join(b, 'index.json'), JSON.stringify(idx, null, 2));
    const config = 'fixtures/report/cloudmask-report.yaml';
    const dir = path.join(base, 'report');
    const r = await report({ outs: [a, b], dir, crate: true, config });
    expect(r.files).toContain('config/cloudmask-report.yaml');
    expect(readFileSync(path.join(dir, 'config/cloudmask-report.yaml'))).toEqual(readFileSync(config));
    expect(await validateCrate(dir)).toEqual([]);
    const byId = new Map(graphOf(dir).map((e) => [e['@id'], e]));
    const cfg = byId.get('config/cloudmask-report.yaml')!;
    expect(types(cfg)).toEqual(['File', 'SoftwareSourceCode']);
    expect(ids(cfg.programmingLanguage)).toEqual(['#eegen-config']);
    expect(ids(byId.get('./')!.hasPart)).toContain('config/cloudmask-report.yaml');
    const workflows = [...byId.values()].filter((e) => types(e).includes('ComputationalWorkflow'));
    expect(Object.fromEntries(workflows.map((w) => [w.name, ids(w.isBasedOn)]))).toEqual({ cloudmask: ['config/cloudmask-report.yaml'], other: [] });
    // The copy is checked like every file: edited, the crate no longer validates.
    writeFileSync(path.join(dir, 'config/cloudmask-report.yaml'), readFileSync(config, 'utf8') + '# edited\n');
    expect((await validateCrate(dir)).join('\n')).toMatch(/config\/cloudmask-report\.yaml/);
    // Without --config: no config entity.
    const plain = await crateOf(studyCopy());
    expect(plain.graph.some((e) => String(e['@id']).startsWith('config/'))).toBe(false);
  });
});
