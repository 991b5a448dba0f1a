/**
 * `eegen status` names the log of every run that ended badly, wherever the submit put
 * it: an array task's scheduler log (Slurm `%A_%a`, LSF `%J_%I`, beside the array's list
 * file, named for that task), a single Slurm job's `slurm-<id>.out` in its bundle, a
 * background run's eegen-run/output.log. Real Slurm; LSF through the fake bsub.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status, submit, type BundleStatus, type HostEntry } from '../../src/dispatch/index.js';
import { eegen } from '../support/cli.js';
import { skipWithout } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

const FAIL = 'lr-1';
/** Three bundles (lr 0.01, 0.1, 1), the last one fails with a message on stderr. */
const sweep = (scheduler: string) => (y: string) =>
  y
    .replace('epochs: "5,20"', 'epochs: "5"')
    .replace('repeat: "1,2"', 'repeat: "1"')
    .replace('scheduler: bash', `scheduler: ${scheduler}`)
    .replace('run:\n  command: node', 'run:\n  command: test {experiment.lr} != 1 || { echo "lr 1 is not allowed" >&2; exit 3; }; node');

function failedOnly(bundles: BundleStatus[]): BundleStatus {
  expect(bundles.map((b) => [b.id, b.state])).toEqual([
    ['lr-0.01', 'done'],
    ['lr-0.1', 'done'],
    [FAIL, 'failed'],
  ]);
  // Logs are named for runs that did not succeed only.
  expect(bundles.filter((b) => b.logs).map((b) => b.id)).toEqual([FAIL]);
  return bundles[2]!;
}

/** Wait until the scheduler has settled too (a job ends a moment after its run's end event). */
async function settled(out: string, host: HostEntry): Promise<BundleStatus[]> {
  for (let i = 0; ; i++) {
    const b = await waitFinished(out, [host]);
    if (b.every((x) => !x.schedulerState || !/RUN|COMPLETING|PEND/.test(x.schedulerState)) || i > 40) return b;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(skipWithout('slurm'))('log locations on Slurm (real Slurm)', () => {
  for (const where of ['a workdir (bundles copied)', 'in place (no workdir)'] as const) {
    it(`an array whose one member fails: status names that task's own %A_%a log, ${where}`, async () => {
      const { dir, out } = await buildExample({ edit: sweep('slurm') });
      const work = where.startsWith('a workdir') ? `, workdir: ${tmpDir('eegen-logs-')}/cluster` : '';
      const host = (await inventory(dir, `hosts:\n  cluster: {kind: slurm, array: true, slots: 4${work}}\n`)).get('cluster')!;
      const r = await submit({ out, hosts: [host] });
      const jobs = r.hosts[0]!.submitted.map((s) => s.jobId);
      expect(jobs).toHaveLength(3);
      const array = /^slurm:(\d+)_0$/.exec(jobs[0]!)![1]!;
      expect(jobs).toEqual([0, 1, 2].map((i) => `slurm:${array}_${i}`));
      const bad = failedOnly(await settled(out, host));
      expect(bad.jobId).toBe(`slurm:${array}_2`);
      const task = bad.logs!.find((l) => l.file.startsWith('../'))!;
      expect(task.file).toMatch(new RegExp(`^\\.\\./\\.eegen/arrays/cluster/eegen-1-1-${array}_2\\.out$`));
      expect(path.isAbsolute(task.onHost)).toBe(true);
      const text = readFileSync(task.onHost, 'utf8');
      expect(text).toContain('lr 1 is not allowed');
      // It is that task's log, not a neighbour's.
      expect(text).not.toContain('--lr 0.1');
      // Where the file is here: in place it is in OUT already; from a workdir collect does not bring it, so it is the host's path.
      expect(task.local).toBe(work ? task.onHost : path.join(out, task.file.slice(3)));
      expect(existsSync(task.local)).toBe(true);
      // The CLI prints it under the failed row.
      const cli = eegen(['status', out, '--hosts', path.join(dir, 'hosts.yaml'), '--host', 'cluster']);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toContain('Logs of runs that did not succeed');
      expect(cli.stdout).toContain(`${FAIL}: ${task.onHost}`);
    }, 180_000);
  }

  it('single jobs: the failed one is named with its slurm-<id>.out in its bundle', async () => {
    const { dir, out } = await buildExample({ edit: sweep('slurm') });
    const host = (await inventory(dir, `hosts:\n  cluster: {kind: slurm, workdir: ${tmpDir('eegen-logs-')}/cluster}\n`)).get('cluster')!;
    await submit({ out, hosts: [host] });
    const bad = failedOnly(await settled(out, host));
    const id = /^slurm:(\d+)$/.exec(bad.jobId!)![1]!;
    const log = bad.logs!.find((l) => l.file === `slurm-${id}.out`)!;
    expect(log.onHost).toMatch(new RegExp(`/${FAIL}/slurm-${id}\\.out$`));
    expect(readFileSync(log.onHost, 'utf8')).toContain('lr 1 is not allowed');
    expect(bad.logs!.some((l) => l.file.startsWith('../'))).toBe(false);
  }, 180_000);

  it('single jobs whose directives name their logs (--output, --error): status names those files', async () => {
    const { dir, out } = await buildExample({ edit: (y) => `${sweep('slurm')(y)}resources:\n  output: "run-%j.txt"\n  error: "err %j.txt"\n` });
    const host = (await inventory(dir, `hosts:\n  cluster: {kind: slurm, workdir: ${tmpDir('eegen-logs-')}/cluster}\n`)).get('cluster')!;
    await submit({ out, hosts: [host] });
    const bad = failedOnly(await settled(out, host));
    const id = /^slurm:(\d+)$/.exec(bad.jobId!)![1]!;
    expect(bad.logs!.map((l) => l.file)).toEqual([`run-${id}.txt`, `err ${id}.txt`]);
    expect(readFileSync(bad.logs![1]!.onHost, 'utf8')).toContain('lr 1 is not allowed');
    expect(existsSync(bad.logs![0]!.onHost)).toBe(true);
    // Below the bundle: collect brings it back to OUT.
    expect(bad.logs![1]!.local).toBe(path.join(out, FAIL, `err ${id}.txt`));
  }, 180_000);
});

describe('log locations for LSF arrays (fake bsub/bjobs: LSF cannot be installed here) and background runs', () => {
  const FAKE = path.resolve('test/dispatch/fake-lsf');
  const saved = { PATH: process.env.PATH, FAKE_LSF_DIR: process.env.FAKE_LSF_DIR };
  beforeAll(() => {
    process.env.PATH = `${FAKE}:${process.env.PATH}`;
    process.env.FAKE_LSF_DIR = tmpDir('eegen-fake-lsf-');
  });
  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_LSF_DIR === undefined) delete process.env.FAKE_LSF_DIR;
    else process.env.FAKE_LSF_DIR = saved.FAKE_LSF_DIR;
  });

  it('an LSF array element that fails: status names its %J_%I log (fake LSF)', async () => {
    const { dir, out } = await buildExample({ edit: sweep('lsf') });
    const host = (await inventory(dir, `hosts:\n  lsfbox: {kind: lsf, array: true, workdir: ${tmpDir('eegen-lsf-logs-')}/w}\n`)).get('lsfbox')!;
    const r = await submit({ out, hosts: [host] });
    const n = /^lsf:(\d+)\[1\]$/.exec(r.hosts[0]!.submitted[0]!.jobId)![1]!;
    const bad = failedOnly(await settled(out, host));
    expect(bad.jobId).toBe(`lsf:${n}[3]`);
    const task = bad.logs!.find((l) => l.file.startsWith('../'))!;
    expect(task.file).toMatch(new RegExp(`^\\.\\./\\.eegen/arrays/lsfbox/eegen-1-1-${n}_3\\.out$`));
    expect(readFileSync(task.onHost, 'utf8')).toContain('lr 1 is not allowed');
  }, 120_000);

  it('a background run on the local host: its eegen-run/output.log', async () => {
    const { out } = await buildExample({ edit: sweep('bash') });
    const local: HostEntry = { name: 'local', kind: 'local', scheduler: 'bash', slots: 4 };
    await submit({ out, hosts: [local] });
    const bad = failedOnly(await waitFinished(out, [local]));
    expect(bad.logs).toEqual([{ file: 'eegen-run/output.log', onHost: path.resolve(out, FAIL, 'eegen-run/output.log'), local: path.join(out, FAIL, 'eegen-run/output.log') }]);
    expect(readFileSync(bad.logs![0]!.onHost, 'utf8')).toContain('lr 1 is not allowed');
    expect((await status({ out, hosts: [local] })).bundles[2]!.logs).toEqual(bad.logs);
  }, 120_000);
});
