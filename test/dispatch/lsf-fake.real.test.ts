import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, status, submit } from '../../src/dispatch/index.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

const FAKE = path.resolve('test/dispatch/fake-lsf');

describe('LSF host (fake bsub/bjobs/bkill speaking recorded LSF output: LSF cannot be installed here)', () => {
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

  it('submits with bsub, follows bjobs, records exit codes and collects (fake LSF)', async () => {
    const { dir, out } = await buildExample({ edit: (y) => y.replace('scheduler: bash', 'scheduler: lsf').replace('command: node', 'command: test {experiment.lr} != 1 || exit 3; node') });
    const hosts = await inventory(dir, `hosts:\n  lsfbox: {kind: lsf, workdir: ${tmpDir('eegen-lsf-work-')}/w}\n`);
    const lsf = hosts.get('lsfbox')!;
    const r = await submit({ out, hosts: [lsf], only: ['*_epochs-5_repeat-1'] });
    expect(r.hosts[0]!.submitted.map((s) => s.jobId)).toEqual(['lsf:1001', 'lsf:1002', 'lsf:1003']);
    const done = (await waitFinished(out, [lsf])).filter((b) => b.jobId);
    expect(done.map((b) => [b.id, b.state, b.exitCode])).toEqual([
      ['lr-0.01_epochs-5_repeat-1', 'done', 0],
      ['lr-0.1_epochs-5_repeat-1', 'done', 0],
      ['lr-1_epochs-5_repeat-1', 'failed', 3],
    ]);
    expect(['RUN', 'DONE']).toContain(done[0]!.schedulerState); // bjobs was asked and understood
    const c = await collect({ out, hosts: [lsf], only: ['*_epochs-5_repeat-1'] });
    expect(c.rows.filter((row) => typeof row.accuracy === 'number')).toHaveLength(2);
    const st = await status({ out, hosts: [lsf] });
    expect(st.bundles.filter((b) => b.state === 'built')).toHaveLength(9); // never copied to the host
  });

  it('submits a sweep as LSF job arrays (bsub -J "name[1-N]%K") and follows every element (fake LSF)', async () => {
    const { dir, out } = await buildExample({ edit: (y) => y.replace('scheduler: bash', 'scheduler: lsf') });
    const hosts = await inventory(dir, `hosts:\n  lsfbox: {kind: lsf, workdir: ${tmpDir('eegen-lsf-work-')}/w, array: true, slots: 3}\n`);
    const lsf = hosts.get('lsfbox')!;
    const r = await submit({ out, hosts: [lsf] });
    const ids = r.hosts[0]!.submitted.map((s) => s.jobId);
    expect(ids).toHaveLength(12);
    expect(ids.every((j) => /^lsf:\d+\[\d+\]$/.test(j))).toBe(true);
    expect(new Set(ids.map((j) => j.replace(/\[.*/, ''))).size).toBe(1);
    const done = await waitFinished(out, [lsf]);
    expect(done.map((b) => b.state)).toEqual(Array(12).fill('done'));
    expect(done.every((b) => b.schedulerState === 'DONE' || b.schedulerState === 'RUN')).toBe(true);
  });
});
