/**
 * Two experiments whose bundles share ids (same parameters, a changed program) on the same
 * host and work directory (given, and the default): both run, each in its own
 * content-addressed directory, and each collect gets only its own results.
 * Real sshd, rsync and Slurm on loopback, and local background processes.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from '../../src/build.js';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, submit, type HostEntry } from '../../src/dispatch/index.js';
import { hostWorkdir } from '../../src/dispatch/transport.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

/** Same sweep, same ids; the program writes which experiment it is. */
const experiment = (name: string, scheduler = 'bash') => (y: string) =>
  y.replace('scheduler: bash', `scheduler: ${scheduler}`).replace(/command: node train\.mjs.*/, `command: printf '{"exp":"${name}","lr":%s}' {experiment.lr} > result.json`);

const cleanups: string[] = [];
afterAll(() => {
  for (const d of cleanups) rmSync(d, { recursive: true, force: true });
});

async function twoExperiments(hostsYaml: (work: string) => string, host: string, scheduler = 'bash'): Promise<void> {
  const work = tmpDir('eegen-collide-');
  // Names unique to this run: with the default work directory, a host keeps the runs of
  // earlier test runs, and the same content submitted again is (rightly) already there.
  const [A, B] = ['A', 'B'].map((n) => `${n}-${path.basename(work)}`) as [string, string];
  const a = await buildExample({ edit: experiment(A, scheduler) });
  const b = await buildExample({ edit: experiment(B, scheduler) });
  const ha = (await inventory(a.dir, hostsYaml(work))).get(host)!;
  const hb = (await inventory(b.dir, hostsYaml(work))).get(host)!;
  expect(hostWorkdir(ha, a.out)).toBe(hostWorkdir(hb, b.out)); // the very same work directory
  const ra = await submit({ out: a.out, hosts: [ha] });
  expect(ra.hosts[0], JSON.stringify(ra.hosts[0])).toMatchObject({ ok: true, failed: [] });
  expect(ra.hosts[0]!.submitted).toHaveLength(12);
  await waitFinished(a.out, [ha], 120_000);
  // The second experiment: same ids, other content. It must run, not be "already there".
  const rb = await submit({ out: b.out, hosts: [hb] });
  expect(rb.hosts[0], JSON.stringify(rb.hosts[0])).toMatchObject({ ok: true, failed: [] });
  expect(rb.hosts[0]!.submitted).toHaveLength(12);
  expect(rb.alreadyThere).toEqual([]);
  await waitFinished(b.out, [hb], 120_000);
  // Collect each; then collect the first again (after the second ran): still only its own.
  for (const [x, h, name] of [[b, hb, B], [a, ha, A]] as const) {
    const c = await collect({ out: x.out, hosts: [h] });
    expect(c.hostErrors).toEqual([]);
    expect(c.rows).toHaveLength(12);
    for (const row of c.rows) {
      expect(row.state, String(row.id)).toBe('done');
      expect(row['result.exp'], String(row.id)).toBe(name);
      expect(row['result.lr'], String(row.id)).toBe(row.lr ?? row['param.lr']);
    }
  }
}

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('experiments with the same bundle ids on one host never collide', () => {
  it('ssh host, same work directory', async () => {
    const { ssh } = testEnv();
    await twoExperiments((w) => `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${w}/box, slots: 4}\n`, 'box');
  }, 300_000);

  it('ssh host, default work directory (both output folders are called out)', async () => {
    const { ssh } = testEnv();
    const yaml = () => `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, slots: 4}\n`;
    await twoExperiments(yaml, 'box');
  }, 300_000);

  it('local host, same work directory', async () => {
    await twoExperiments((w) => `hosts:\n  here: {kind: local, workdir: ${w}/here, slots: 4}\n`, 'here');
  }, 300_000);

  it('Slurm, same work directory, one job per bundle and as arrays', async () => {
    await twoExperiments((w) => `hosts:\n  cluster: {kind: slurm, workdir: ${w}/cluster, slots: 20}\n`, 'cluster', 'slurm');
    await twoExperiments((w) => `hosts:\n  cluster: {kind: slurm, workdir: ${w}/cluster, slots: 20, array: true}\n`, 'cluster', 'slurm');
  }, 300_000);

  it('a rebuilt (changed) bundle runs in a new directory; the old run stays as it was', async () => {
    const { ssh } = testEnv();
    const work = tmpDir('eegen-collide-');
    const a = await buildExample({ edit: experiment('A') });
    const box: HostEntry = (await inventory(a.dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box, slots: 4}\n`)).get('box')!;
    const only = ['lr-0.1_epochs-5_repeat-1'];
    await submit({ out: a.out, hosts: [box], only });
    await waitFinished(a.out, [box]);
    const dirs = () => readdirSync(path.join(work, 'box')).filter((d) => d.startsWith('lr-0.1_epochs-5_repeat-1-')).sort();
    expect(dirs()).toHaveLength(1);
    const [oldDir] = dirs();
    const oldResult = readFileSync(path.join(work, 'box', oldDir!, 'result.json'), 'utf8');
    // Rebuilt with another program: a plain submit says it changed; --retry changed runs it.
    const config = path.join(a.dir, 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('"exp":"A"', '"exp":"A2"'));
    expect((await build({ config, out: a.out })).ok).toBe(true);
    expect((await submit({ out: a.out, hosts: [box], only })).changedSinceSubmit).toEqual(only);
    const r = await submit({ out: a.out, hosts: [box], only, retry: ['changed'] });
    expect(r.hosts[0]!.submitted.map((s) => s.id)).toEqual(only);
    await waitFinished(a.out, [box]);
    expect(dirs()).toHaveLength(2);
    expect(readFileSync(path.join(work, 'box', oldDir!, 'result.json'), 'utf8')).toBe(oldResult);
    const c = await collect({ out: a.out, hosts: [box], only });
    expect(c.rows[0]).toMatchObject({ state: 'done', 'result.exp': 'A2', run: 1 });
    cleanups.push(work);
  }, 120_000);
});
