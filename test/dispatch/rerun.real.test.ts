/**
 * Running a sweep again: `submit --retry all` (a second series), `--retry changed` (after a
 * rebuild) and `--retry failed`, on local, ssh and Slurm hosts (real sshd, rsync and Slurm on
 * loopback). Every earlier run's results stay distinguishable: on the host (eegen-run.attempt-N
 * with what the run wrote), in OUT after collect, and as rows of results-all.csv, while
 * results.csv keeps one row per bundle, its latest run. Two clients rerunning at once (two
 * copies of OUT meeting only at the host) run each bundle once.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { collect, submit, type HostEntry, type Row } from '../../src/dispatch/index.js';
import { workdirOf } from '../../src/dispatch/transport.js';
import { eegen } from '../support/cli.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

/** Each run writes a result no other run can have (nanoseconds and its pid), and a file of its own. */
const COMMAND = `command: 'echo "{\\"stamp\\": \\"$(date +%s%N)-$$\\", \\"lr\\": {experiment.lr}}" > result.json && echo run > extra.txt'`;
const edit = (scheduler: string) => (y: string) => y.replace('scheduler: bash', `scheduler: ${scheduler}`).replace(/command: node train\.mjs.*/, COMMAND);

const stamps = (rows: Row[]) => new Map(rows.map((r) => [String(r.id), String(r['result.stamp'])]));

async function series(host: (work: string) => string, name: string, scheduler = 'bash'): Promise<void> {
  const work = tmpDir('eegen-rerun-work-');
  const ex = await buildExample({ edit: edit(scheduler) });
  const h: HostEntry = (await inventory(ex.dir, host(work))).get(name)!;
  const first = await submit({ out: ex.out, hosts: [h] });
  expect(first.hosts[0], JSON.stringify(first.hosts[0])).toMatchObject({ ok: true, failed: [] });
  expect(first.hosts[0]!.submitted).toHaveLength(12);
  await waitFinished(ex.out, [h], 120_000);
  const c1 = await collect({ out: ex.out, hosts: [h] });
  expect(c1.rows.map((r) => `${r.state}:${r.run}`)).toEqual(Array(12).fill('done:1'));
  const run1 = stamps(c1.rows);

  // Done bundles are not run again without asking, nor by --retry failed.
  for (const retry of [[], ['failed']] as const) {
    const r = await submit({ out: ex.out, hosts: [h], retry });
    expect(r.hosts[0]!.submitted, JSON.stringify(retry)).toEqual([]);
    expect(r.alreadyThere).toHaveLength(12);
  }

  // A second series: every bundle runs again, the first run is kept beside it.
  const again = await submit({ out: ex.out, hosts: [h], retry: ['all'] });
  expect(again.hosts[0], JSON.stringify(again.hosts[0])).toMatchObject({ ok: true, failed: [] });
  expect(again.hosts[0]!.submitted).toHaveLength(12);
  expect(new Set(again.hosts[0]!.submitted.map((s) => s.jobId)).size).toBe(12);
  await waitFinished(ex.out, [h], 120_000);
  const c2 = await collect({ out: ex.out, hosts: [h] });
  expect(c2.problems).toEqual([]);
  expect(c2.rows.map((r) => `${r.state}:${r.run}`)).toEqual(Array(12).fill('done:2'));
  const run2 = stamps(c2.rows);
  for (const [id, s] of run2) expect(s, id).not.toBe(run1.get(id));
  // results-all: both runs of every bundle, in bundle then run order, each with its own result.
  expect(c2.allRows).toHaveLength(24);
  for (const [i, r] of c2.allRows.entries()) {
    expect(r.id).toBe(c2.rows[Math.floor(i / 2)]!.id);
    expect(r.run).toBe((i % 2) + 1);
    expect(r.state).toBe('done');
    expect(r['result.stamp']).toBe((i % 2 ? run2 : run1).get(String(r.id)));
  }
  const csv = readFileSync(c2.files.allCsv, 'utf8').trim().split('\n');
  expect(csv).toHaveLength(25);
  expect(csv[0]!.split(',')).toContain('run');
  // The first run's files, as it left them, came home with the second's.
  const id = String(c2.rows[0]!.id);
  const kept = path.join(ex.out, id, 'eegen-run.attempt-1');
  expect(JSON.parse(readFileSync(path.join(kept, 'files', 'result.json'), 'utf8')).stamp).toBe(run1.get(id));
  expect(existsSync(path.join(kept, 'files', 'extra.txt'))).toBe(true);
  expect(existsSync(path.join(kept, 'events.jsonl'))).toBe(true);
  // ... and the bundle itself was not moved: the second run started from the bundle as built.
  expect(existsSync(path.join(kept, 'files', 'config.yaml'))).toBe(false);
  expect(JSON.parse(readFileSync(path.join(ex.out, id, 'result.json'), 'utf8')).stamp).toBe(run2.get(id));

  // A changed build: a plain submit says so and runs nothing; --retry changed runs it.
  const config = path.join(ex.dir, 'config.yaml');
  const changed = readFileSync(config, 'utf8').replace('> extra.txt', '> extra2.txt');
  writeFileSync(config, changed);
  const rb = await build({ config, out: ex.out });
  expect(rb.ok, JSON.stringify(rb.diagnostics)).toBe(true);
  const plain = await submit({ out: ex.out, hosts: [h] });
  expect(plain.hosts[0]!.submitted).toEqual([]);
  expect(plain.changedSinceSubmit).toHaveLength(12);
  const re = await submit({ out: ex.out, hosts: [h], retry: ['changed'] });
  expect(re.hosts[0], JSON.stringify(re.hosts[0])).toMatchObject({ ok: true, failed: [] });
  expect(re.hosts[0]!.submitted).toHaveLength(12);
  await waitFinished(ex.out, [h], 120_000);
  const c3 = await collect({ out: ex.out, hosts: [h] });
  expect(c3.rows.map((r) => r.state)).toEqual(Array(12).fill('done'));
  const newHash = new Set(c3.rows.map((r) => r.bundleHash));
  for (const r of c3.rows) expect(r.runHash).toBe(r.bundleHash);
  // The old content's runs are still in results-all, told apart by their bundle hash.
  const old = c3.allRows.filter((r) => !newHash.has(r.bundleHash));
  expect(old.length).toBeGreaterThanOrEqual(12);
  for (const r of old) expect(run1.get(String(r.id)) === r['result.stamp'] || run2.get(String(r.id)) === r['result.stamp'], String(r.id)).toBe(true);
  // Nothing changed since: --retry changed runs nothing.
  const none = await submit({ out: ex.out, hosts: [h], retry: ['changed'] });
  expect(none.hosts[0]!.submitted).toEqual([]);
}

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('running a sweep again keeps every earlier run', () => {
  it('local host', async () => {
    await series((w) => `hosts:\n  here: {kind: local, workdir: ${w}/here, slots: 4}\n`, 'here');
  }, 300_000);

  it('ssh host', async () => {
    const { ssh } = testEnv();
    await series((w) => `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${w}/box, slots: 4}\n`, 'box');
  }, 300_000);

  it('Slurm, first as job arrays', async () => {
    await series((w) => `hosts:\n  cluster: {kind: slurm, workdir: ${w}/cluster, slots: 20, array: true}\n`, 'cluster', 'slurm');
  }, 300_000);

  it('three clients (three copies of OUT) rerunning 200 bundles at once run each once', async () => {
    const { ssh } = testEnv();
    const work = tmpDir('eegen-rerun-work-');
    const big = (y: string) => edit('bash')(y).replace('lr: "0.01,0.1,1"', 'lr: "[1-50]"').replace('epochs: "5,20"', 'epochs: "1,2"');
    const ex = await buildExample({ edit: big });
    expect(ex.count).toBe(200);
    const yaml = `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box, slots: 8}\n`;
    const h = (await inventory(ex.dir, yaml)).get('box')!;
    await submit({ out: ex.out, hosts: [h] });
    await waitFinished(ex.out, [h], 240_000);
    const outs = [ex.out];
    for (const n of ['twin1', 'twin2']) {
      const twin = path.join(tmpDir(`eegen-rerun-${n}-`), 'out');
      cpSync(ex.out, twin, { recursive: true });
      outs.push(twin);
    }
    const rs = await Promise.all(outs.map((out) => submit({ out, hosts: [h], retry: ['all'] })));
    for (const r of rs) expect(r.hosts[0], JSON.stringify(r.hosts[0]).slice(0, 500)).toMatchObject({ ok: true, failed: [] });
    const ran = rs.flatMap((r) => r.hosts[0]!.submitted.map((s) => s.id));
    expect(ran.length, `submitted per client: ${rs.map((r) => r.hosts[0]!.submitted.length).join(', ')}`).toBe(new Set(ran).size);
    expect(ran).toHaveLength(200);
    await waitFinished(ex.out, [h], 240_000);
    const c = await collect({ out: ex.out, hosts: [h] });
    expect(c.rows.filter((r) => `${r.state}:${r.run}:${r.runs ?? 1}` !== 'done:2:1')).toEqual([]);
    expect(c.allRows).toHaveLength(400);
    // One earlier run kept per bundle: no second rerun moved the first rerun aside.
    for (const r of c.rows) expect(existsSync(path.join(ex.out, String(r.id), 'eegen-run.attempt-2')), String(r.id)).toBe(false);
  }, 600_000);

  it('a rerun caught halfway by another (its claims held by a live process) is skipped, not run twice', async () => {
    const { ssh } = testEnv();
    const work = tmpDir('eegen-rerun-work-');
    const ex = await buildExample({ edit: edit('bash') });
    const h = (await inventory(ex.dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box, slots: 4}\n`)).get('box')!;
    await submit({ out: ex.out, hosts: [h] });
    const done = await waitFinished(ex.out, [h], 120_000);
    const view = workdirOf(h, ex.out);
    // Another client is rerunning bundle 0 right now (holds the claim on the run it replaces),
    // and bundle 1 is between that client's claim and its job record (records moved away).
    const me = `${hostname()} ${process.pid}\n`;
    const [b0, b1] = [done[0]!, done[1]!];
    const tag0 = path.join(view, b0.id, 'eegen-run', `.claim-${b0.jobId!.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    mkdirSync(tag0);
    writeFileSync(path.join(tag0, 'owner'), me);
    const run1 = path.join(view, b1.id, 'eegen-run');
    mkdirSync(`${run1}.attempt-1`);
    for (const f of readdirSync(run1)) renameSync(path.join(run1, f), path.join(`${run1}.attempt-1`, f));
    mkdirSync(path.join(run1, '.claim'));
    writeFileSync(path.join(run1, '.claim', 'owner'), me);
    const r = await submit({ out: ex.out, hosts: [h], retry: ['all'] });
    expect(r.hosts[0], JSON.stringify(r.hosts[0])).toMatchObject({ ok: true, failed: [] });
    const ran = r.hosts[0]!.submitted.map((s) => s.id);
    expect(ran).toHaveLength(10);
    expect(ran).not.toContain(b0.id);
    expect(ran).not.toContain(b1.id);
    expect(existsSync(path.join(view, b0.id, 'eegen-run.attempt-1'))).toBe(false);
  }, 300_000);

  it('two runs with the same job id (a local process id reused) are still two rows of results-all', async () => {
    const work = tmpDir('eegen-rerun-work-');
    const ex = await buildExample({ edit: edit('bash') });
    const h = (await inventory(ex.dir, `hosts:\n  here: {kind: local, workdir: ${work}/here, slots: 4}\n`)).get('here')!;
    await submit({ out: ex.out, hosts: [h] });
    await waitFinished(ex.out, [h], 120_000);
    const again = await submit({ out: ex.out, hosts: [h], retry: ['all'] });
    expect(again.hosts[0]!.submitted).toHaveLength(12);
    await waitFinished(ex.out, [h], 120_000);
    // The earlier run of every bundle got the job id its rerun has now, as pid reuse would give.
    const view = workdirOf(h, ex.out);
    for (const s of again.hosts[0]!.submitted) {
      const record = path.join(view, s.id, 'eegen-run.attempt-1', 'jobid');
      const lines = readFileSync(record, 'utf8').split('\n');
      writeFileSync(record, [s.jobId, ...lines.slice(1)].join('\n'));
    }
    const c = await collect({ out: ex.out, hosts: [h] });
    expect(c.allRows).toHaveLength(24);
    expect(c.allRows.map((r) => r.run)).toEqual(Array.from({ length: 24 }, (_, i) => (i % 2) + 1));
  }, 300_000);

  it('the CLI: --retry takes failed, changed, all (comma-separated); anything else is EG9002', async () => {
    const ex = await buildExample({ edit: edit('bash') });
    const bad = eegen(['submit', ex.out, '--retry', 'everything']);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/EG9002: --retry everything is not supported[\s\S]*failed, changed, all/);
    const dry = eegen(['submit', ex.out, '--retry', 'failed,changed', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
  }, 60_000);
});
