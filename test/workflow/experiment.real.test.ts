/**
 * Experiment nodes: an eegen config built and submitted as a sweep by the coordinator,
 * done when its bundles are (or at most allow_failed failed), its merged results collected,
 * read by the node after it. Real local processes; the job-array case on the real Slurm.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineColumn, type Diagnostic } from '../../src/diagnostics/index.js';
import { experimentOut, hostOut } from '../../src/workflow/bundles.js';
import { runWorkflow } from '../../src/workflow/run.js';
import { ROOT } from '../support/cli.js';
import { skipWithout } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { coordinator, load, recorder, starts, workflowDir } from './helpers.js';

const sweep = (values: string, command: string) => `name: sweep\nexperiment:\n  x: "${values}"\nscheduler: bash\nrun:\n  command: ${command}\n`;

function bundleStarts(out: string): Record<string, number> {
  const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string }[] };
  return Object.fromEntries(index.bundles.map((b) => {
    const f = path.join(out, b.id, 'eegen-run', 'events.jsonl');
    return [b.id, existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"event":"start"')).length : 0];
  }));
}

describe('experiment nodes (real local processes)', () => {
  it('fetch -> a sweep (the example training job) -> analyze reading its merged results.csv', async () => {
    const { dir, file } = workflowDir('');
    cpSync(path.join(ROOT, 'fixtures/example'), path.join(dir, 'example'), { recursive: true });
    const config = path.join(dir, 'example', 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('lr: "0.01,0.1,1"', 'lr: "0.1"').replace('epochs: "5,20"', 'epochs: "5"'));
    const results = path.join(dir, '.eegen-workflow', 'wf.yaml', 'experiments', 'compute', 'results.csv');
    writeFileSync(file, `workflow:
  nodes:
    fetch: {exec: "echo fetched"}
    compute:
      experiment: {config: example/config.yaml}
      needs: fetch
      label: '{name} {progress}%'
    analyze:
      exec: "grep -c ',done,' ${results} > ${dir}/analyzed"
      needs: compute
  dependencies: ['analyze,end']
`);
    const spec = await load(file);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['fetch:done', 'compute:done', 'analyze:done', 'end:done']);
    const compute = r.nodes.find((n) => n.name === 'compute')!;
    expect(compute).toMatchObject({ kind: 'experiment', host: 'local', label: 'compute 100%', bundles: 'done 2', results });
    expect(readFileSync(path.join(dir, 'analyzed'), 'utf8').trim()).toBe('2');
    expect(Object.values(bundleStarts(experimentOut(spec, 'compute')))).toEqual([1, 1]);
    expect(rec.events.filter((e) => 'node' in e && e.node === 'compute').map((e) => e.type).filter((t) => t !== 'progress')).toEqual(['queued', 'started', 'done']);
    // Again: nothing runs twice.
    expect((await runWorkflow(spec, { pollMs: 100 })).ok).toBe(true);
    expect(Object.values(bundleStarts(experimentOut(spec, 'compute')))).toEqual([1, 1]);
    expect(starts(spec, 'analyze')).toBe(1);
  }, 120_000);

  it('allow_failed: a sweep with one failing bundle is done at 1 and failed at 0 (its dependents blocked)', async () => {
    for (const allowed of [1, 0]) {
      const { file } = workflowDir(`workflow:\n  nodes:\n    s:\n      experiment: {config: sweep.yaml, allow_failed: ${allowed}}\n    after: {exec: "true", needs: s}\n`, { 'sweep.yaml': sweep('1,2,3', 'test {experiment.x} -ne 2') });
      const spec = await load(file);
      const r = await runWorkflow(spec, { pollMs: 100 });
      const s = r.nodes[0]!;
      expect(s.bundles!.split(', ').sort()).toEqual(['done 2', 'failed 1']);
      if (allowed) expect(r.nodes.map((n) => n.state)).toEqual(['done', 'done']);
      else {
        expect(r.nodes.map((n) => n.state)).toEqual(['failed', 'blocked']);
        expect(s.why).toBe('1 of 3 bundles did not succeed (allow_failed: 0)');
      }
    }
  }, 120_000);

  it('a config that does not build stops the workflow before anything runs (EG7115 and the build errors)', async () => {
    const { file, dir } = workflowDir('workflow:\n  nodes:\n    first: {exec: "touch ran"}\n    s: {experiment: {config: sweep.yaml}, needs: first}\n', { 'sweep.yaml': 'experiment:\n  x: "[3-1]"\nrun:\n  command: "true"\n' });
    const spec = await load(file);
    const e = (await runWorkflow(spec, { pollMs: 100 }).catch((x: unknown) => x)) as { diagnostics?: { code: string }[] };
    expect(e.diagnostics?.map((d) => d.code)[0]).toBe('EG7115');
    expect(e.diagnostics!.length).toBeGreaterThan(1);
    expect(existsSync(path.join(dir, '.eegen-workflow', 'wf.yaml', 'hosts', 'local', 'first', 'ran'))).toBe(false);
  }, 60_000);

  it('kill -9 of the coordinator while the sweep runs, then a restart: every bundle ran once', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    s: {experiment: {config: sweep.yaml}}\n    after: {exec: "true", needs: s}\n', { 'sweep.yaml': sweep('1,2,3,4', 'sleep 0.5') });
    const spec = await load(file);
    const child = coordinator(file);
    const out = experimentOut(spec, 's');
    for (let i = 0; i < 200 && !(existsSync(path.join(out, 'index.json')) && Object.values(bundleStarts(out)).some((n) => n > 0)); i++) await new Promise((res) => setTimeout(res, 25));
    child.kill('SIGKILL');
    await child.exited;
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.ok, child.output()).toBe(true);
    expect(Object.values(bundleStarts(out))).toEqual([1, 1, 1, 1]);
    expect(starts(spec, 'after')).toBe(1);
  }, 90_000);
});

describe.skipIf(skipWithout('slurm'))('experiment nodes on the real Slurm', () => {
  it('a sweep submitted as one job array runs to done, then the local node after it', async () => {
    const work = tmpDir('eegen-wf-slurm-');
    const { file } = workflowDir('workflow:\n  nodes:\n    s: {experiment: {config: sweep.yaml, array: true}, host: cluster}\n    after: {exec: "true", needs: s}\n', { 'sweep.yaml': sweep('1,2,3', 'echo x={experiment.x}'), 'hosts.yaml': `hosts:\n  cluster: {kind: slurm, workdir: ${work}}\n` });
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 200 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.host}`), JSON.stringify(r.nodes)).toEqual(['s:done:cluster', 'after:done:local']);
    expect(r.nodes[0]!.jobId).toMatch(/^slurm:\d+_\d+$/);
    expect(readFileSync(r.nodes[0]!.results!, 'utf8').split('\n').filter((l) => l.includes(',done,'))).toHaveLength(3);
  }, 180_000);
});

describe.skipIf(skipWithout('ssh', 'rsync'))('data between nodes (inputs/outputs) across the real sshd', () => {
  it('fetch (local) -> sweep (local) -> analyze (ssh) reads the merged results.csv and the fetched data -> report (local) reads what analyze wrote', async () => {
    const { testEnv } = await import('../support/env.js');
    const { ssh } = testEnv();
    const work = tmpDir('eegen-wf-data-');
    const { dir, file } = workflowDir(
      `workflow:
  nodes:
    fetch-data: {exec: "echo 42 > data.txt", outputs: [data.txt]}
    compute:
      experiment: {config: sweep.yaml}
      needs: fetch-data
    analyze:
      host: box
      exec: "hostname > /dev/null; echo rows=$(grep -c ',done,' inputs/compute/results.csv) data=$(cat inputs/fetch-data/data.txt) > summary.txt"
      inputs: {compute: [results.csv], fetch-data: data.txt}
      outputs: summary.txt
    report: {exec: "cp inputs/analyze/summary.txt ${'${REPORT}'}", inputs: {analyze: [summary.txt]}}
  dependencies: ['report,end']
`.replace('${REPORT}', path.join(work, 'report.txt')),
      { 'sweep.yaml': sweep('1,2,3', 'echo x={experiment.x}'), 'hosts.yaml': `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}\n` },
    );
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.host ?? ''}`), JSON.stringify(r.nodes)).toEqual(['fetch-data:done:local', 'compute:done:local', 'analyze:done:box', 'report:done:local', 'end:done:']);
    expect(readFileSync(path.join(work, 'report.txt'), 'utf8')).toBe('rows=3 data=42\n');
    // The inputs travelled inside the consumer's bundle (checksummed like its other files).
    const sums = readFileSync(path.join(dir, '.eegen-workflow', 'wf.yaml', 'hosts', 'box', 'analyze', 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(/ {2}inputs\/compute\/results\.csv\n/);
    expect(sums).toMatch(/ {2}inputs\/fetch-data\/data\.txt\n/);
    // Again: nothing runs twice, nothing is reported changed.
    const again = await runWorkflow(spec, { pollMs: 100 });
    expect(again.nodes.map((n) => `${n.state}:${n.changed ?? false}`)).toEqual(Array(5).fill('done:false'));
    expect(['fetch-data', 'report'].map((n) => starts(spec, n))).toEqual([1, 1]);
  }, 180_000);

  it('a declared input its producer did not write blocks the consumer (why names the file), and what comes after it', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    a: {exec: "true", outputs: [out.txt]}\n    b: {exec: "true", inputs: {a: [out.txt]}}\n    c: {exec: "true", needs: b}\n');
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['a:done', 'b:blocked', 'c:blocked']);
    expect(r.nodes[1]).toMatchObject({ blockedBy: ['a'], why: 'input missing: a/out.txt' });
    expect(starts(spec, 'b')).toBe(0);
  }, 60_000);
});

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))("the paper's study as one workflow (fixtures/workflow/paper)", () => {
  it('fetch-data local -> the Cloudmask sweep as a job array on the real Slurm -> analyze over ssh reading the merged results', async () => {
    const { testEnv } = await import('../support/env.js');
    const { ssh } = testEnv();
    const dir = path.join(tmpDir('eegen-wf-paper-'), 'paper');
    cpSync(path.join(ROOT, 'fixtures/workflow/paper'), dir, { recursive: true });
    const work = tmpDir('eegen-wf-paper-work-');
    writeFileSync(
      path.join(dir, 'hosts.yaml'),
      `hosts:
  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}
  cluster:
    kind: slurm
    workdir: ${work}/cluster
    defaults: {cpus_per_task: 1, mem: 500M, time: "00:05:00"}
    directives:
      a100: {extra: [--comment=cloudmask-a100]}
`,
    );
    const spec = await load(path.join(dir, 'workflow.yaml'));
    const r = await runWorkflow(spec, { pollMs: 200, timeZone: 'UTC' });
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.host ?? ''}`), JSON.stringify(r.nodes, null, 1)).toEqual(['start:done:', 'fetch-data:done:local', 'compute:done:cluster', 'analyze:done:box', 'end:done:']);
    const byName = Object.fromEntries(r.nodes.map((n) => [n.name, n]));
    expect(byName.compute!.jobId).toMatch(/^slurm:\d+_\d+$/);
    expect(byName['fetch-data']!.label).toMatch(/^fetch-data\nprogress=100\nend=\d\d:\d\d:\d\d$/);
    expect(byName.compute!.label).toMatch(/^compute on cluster\nprogress=100\nelapsed=\d\d:\d\d:\d\d$/);
    expect(byName.analyze!.label).toBe('analyze on box\nprogress=100');
    const summary = readFileSync(path.join(work, 'box', readdirSync(path.join(work, 'box')).find((d) => d.startsWith('analyze-'))!, 'summary.txt'), 'utf8');
    expect(summary).toMatch(/^runs=2 best_accuracy=0\.\d+ data=cloudmask-data v1\n$/);
    // Each bundle ran once (collect brought its run record back from the cluster's workdir).
    expect(Object.values(bundleStarts(experimentOut(spec, 'compute')))).toEqual([1, 1]);
    expect(starts(spec, 'analyze', [path.join(work, 'box')])).toBe(1);
  }, 240_000);

  it('kill -9 of the coordinator at several moments of the study, then a restart: every node and every bundle ran once', async () => {
    const { testEnv } = await import('../support/env.js');
    const { ssh } = testEnv();
    for (const killAt of [300, 1500, 3500]) {
      const dir = path.join(tmpDir('eegen-wf-paper-kill-'), 'paper');
      cpSync(path.join(ROOT, 'fixtures/workflow/paper'), dir, { recursive: true });
      const work = tmpDir('eegen-wf-paper-kill-work-');
      writeFileSync(path.join(dir, 'hosts.yaml'), `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}\n  cluster: {kind: slurm, workdir: ${work}/cluster, defaults: {cpus_per_task: 1, mem: 500M, time: "00:05:00"}}\n`);
      const file = path.join(dir, 'workflow.yaml');
      const spec = await load(file);
      const child = coordinator(file, { pollMs: 200 });
      await new Promise((res) => setTimeout(res, killAt));
      child.kill('SIGKILL');
      await child.exited;
      const r = await runWorkflow(spec, { pollMs: 200 });
      expect(r.ok, `killed at ${killAt} ms: ${child.output()} ${JSON.stringify(r.nodes)}`).toBe(true);
      expect(starts(spec, 'fetch-data'), `killed at ${killAt} ms`).toBe(1);
      expect(starts(spec, 'analyze', [path.join(work, 'box')]), `killed at ${killAt} ms`).toBe(1);
      // The cluster's run records, where the bundles ran (one start each).
      const runs = readdirSync(path.join(work, 'cluster')).filter((d) => /^repeat-\d-[0-9a-f]{12}$/.test(d));
      expect(runs.map((d) => readFileSync(path.join(work, 'cluster', d, 'eegen-run', 'events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"event":"start"')).length), `killed at ${killAt} ms`).toEqual([1, 1]);
    }
  }, 300_000);
});

/** A sweep whose command reads the node's inputs where they land in each bundle (inputs/FROM/PATH, beside its job). */
const readingSweep = (extra = '') => `name: sweep\nexperiment:\n  x: "1,2"\nscheduler: bash\n${extra}run:\n  command: ${JSON.stringify('test -s inputs/fetch/data.txt && echo "x={experiment.x} data=$(cat inputs/fetch/data.txt) more=$(cat inputs/fetch/sub/more.txt)" > seen.txt')}\n`;

/** seen.txt of each bundle of a sweep run in place, by bundle id. */
function seen(out: string): Record<string, string> {
  const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; dir: string }[] };
  return Object.fromEntries(index.bundles.map((b) => [b.id, existsSync(path.join(out, b.dir, 'seen.txt')) ? readFileSync(path.join(out, b.dir, 'seen.txt'), 'utf8') : '']));
}

describe('experiment nodes with inputs: (real local processes)', () => {
  it("a sweep's inputs land in every bundle as inputs/FROM/PATH (manifest, SHA256SUMS) before it is submitted; its command reads them; a rerun changes and runs nothing", async () => {
    const { file } = workflowDir(
      `workflow:
  nodes:
    fetch: {exec: "echo 42 > data.txt; mkdir -p sub; echo deep > sub/more.txt", outputs: [data.txt, sub/more.txt]}
    s:
      experiment: {config: sweep.yaml}
      inputs: {fetch: [data.txt, sub/more.txt]}
    after: {exec: "grep -c ',done,' inputs/s/results.csv > rows.txt", inputs: {s: [results.csv]}}
`,
      { 'sweep.yaml': readingSweep() },
    );
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['fetch:done', 's:done', 'after:done']);
    const out = experimentOut(spec, 's');
    expect(Object.values(seen(out)).sort()).toEqual(['x=1 data=42 more=deep\n', 'x=2 data=42 more=deep\n']);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; dir: string; hash: string }[] };
    for (const b of index.bundles) {
      const sums = readFileSync(path.join(out, b.dir, 'SHA256SUMS'), 'utf8');
      expect(sums, b.id).toMatch(/ {2}inputs\/fetch\/data\.txt\n/);
      expect(sums, b.id).toMatch(/ {2}inputs\/fetch\/sub\/more\.txt\n/);
      const manifest = JSON.parse(readFileSync(path.join(out, b.dir, 'manifest.json'), 'utf8')) as { inputs: Record<string, string>; files: Record<string, string> };
      expect(Object.keys(manifest.files)).toContain('inputs/fetch/data.txt');
      expect(manifest.inputs['workflow:inputs/fetch/data.txt']).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(readFileSync(path.join(hostOut(spec, 'local'), 'after', 'rows.txt'), 'utf8')).toBe('2\n');
    // Again (a new coordinator builds the sweep with the inputs it finds): nothing changed, nothing runs twice.
    const again = await runWorkflow(spec, { pollMs: 100 });
    expect(again.nodes.map((n) => `${n.state}:${n.changed ?? false}`)).toEqual(Array(3).fill('done:false'));
    expect(Object.values(bundleStarts(out))).toEqual([1, 1]);
    expect(JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'))).toEqual(index);
  }, 120_000);

  it('an input its producer did not write blocks the sweep (why names it): nothing of it is submitted; and what comes after it is blocked', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    fetch: {exec: "echo 42 > data.txt", outputs: [data.txt, sub/more.txt]}\n    s: {experiment: {config: sweep.yaml}, inputs: {fetch: [data.txt, sub/more.txt]}}\n    after: {exec: "true", needs: s}\n', { 'sweep.yaml': readingSweep() });
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['fetch:done', 's:blocked', 'after:blocked']);
    expect(r.nodes[1]).toMatchObject({ blockedBy: ['fetch'], why: 'input missing: fetch/sub/more.txt' });
    expect(r.nodes[1]!.jobId).toBeUndefined();
    expect(Object.values(bundleStarts(experimentOut(spec, 's')))).toEqual([0, 0]);
  }, 60_000);

  it("an input whose place is a file of the sweep's bundles (the config's files: copies to inputs/): EG7118 at the node, before anything runs", async () => {
    const { dir, file } = workflowDir('workflow:\n  nodes:\n    fetch: {exec: "touch ran; echo 42 > data.txt", outputs: [data.txt]}\n    s:\n      experiment: {config: sweep.yaml}\n      inputs: {fetch: [data.txt]}\n', {
      'sweep.yaml': readingSweep('files:\n  - {from: mine.txt, to: inputs/fetch/data.txt}\n'),
      'mine.txt': 'mine\n',
    });
    const spec = await load(file);
    const e = (await runWorkflow(spec, { pollMs: 100 }).catch((x: unknown) => x)) as { diagnostics?: Diagnostic[] };
    expect(e.diagnostics?.map((d) => d.code)).toEqual(['EG7118']);
    const d = e.diagnostics![0]!;
    expect(d.message).toMatch(/^The input fetch\/data\.txt of the node "s" would be inputs\/fetch\/data\.txt in each bundle of its sweep, where the bundle \S+ has a file of its own\.$/);
    // Positioned at the node's key in the workflow file (line 4: "    s:").
    expect(d.file).toBe(file);
    expect(lineColumn(readFileSync(file, 'utf8'), d.start!)).toEqual({ line: 4, column: 5 });
    expect(existsSync(path.join(dir, '.eegen-workflow', 'wf.yaml', 'hosts', 'local', 'fetch', 'ran'))).toBe(false);
  }, 60_000);
});

describe.skipIf(skipWithout('ssh', 'rsync'))('experiment nodes with inputs: across the real sshd', () => {
  it('fetch on the ssh host -> a sweep on the ssh host reading what fetch wrote (through this machine, inside each bundle)', async () => {
    const { testEnv } = await import('../support/env.js');
    const { ssh } = testEnv();
    const work = tmpDir('eegen-wf-expin-');
    const { file } = workflowDir(
      `workflow:
  nodes:
    fetch: {host: box, exec: "echo 42 > data.txt; mkdir -p sub; echo far > sub/more.txt", outputs: [data.txt, sub/more.txt]}
    s: {host: box, experiment: {config: sweep.yaml}, inputs: {fetch: [data.txt, sub/more.txt]}}
`,
      { 'sweep.yaml': readingSweep(), 'hosts.yaml': `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}\n` },
    );
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.host}`), JSON.stringify(r.nodes)).toEqual(['fetch:done:box', 's:done:box']);
    // Where the bundles ran on the host (its workdir): each read the inputs.
    const ran = readdirSync(path.join(work, 'box')).filter((d) => /^sweep-.*-[0-9a-f]{12}$/.test(d) || /^x-\d-[0-9a-f]{12}$/.test(d));
    expect(ran.map((d) => readFileSync(path.join(work, 'box', d, 'seen.txt'), 'utf8')).sort()).toEqual(['x=1 data=42 more=far\n', 'x=2 data=42 more=far\n']);
  }, 120_000);
});
