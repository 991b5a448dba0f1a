/**
 * No ambient state: two experiments dispatched at once in one process — submit, status
 * and collect of each running concurrently, to two inventories that both call their host
 * `box` (an ssh host in one, the Slurm cluster with job arrays in the other) — give the
 * same results as the same two experiments dispatched one after the other. (Before, the
 * MaxArraySize cache and the ledger queue were module globals keyed by host name.)
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { collect, createContext, realRunner, status, submit, type BundleStatus, type HostEntry, type Row, type Runner } from '../../src/index.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory } from './helpers.js';

const editA = (y: string) => y.replace('lr: "0.01,0.1,1"', 'lr: "0.01,0.1"');
const editB = (y: string) => y.replace('epochs: "5,20"', 'epochs: "3"').replace('scheduler: bash', 'scheduler: slurm');

async function setup(which: 'A' | 'B'): Promise<{ out: string; box: HostEntry; count: number }> {
  const { ssh } = testEnv();
  const { dir, out, count } = await buildExample({ edit: which === 'A' ? editA : editB });
  const work = path.join(tmpDir(`eegen-iso-${which}-`), 'w');
  const yaml = which === 'A' ? `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}, slots: 4}\n` : `hosts:\n  box: {kind: slurm, workdir: ${work}, array: true, slots: 8}\n`;
  return { out, box: (await inventory(dir, yaml)).get('box')!, count };
}

async function untilDone(out: string, box: HostEntry, n: number): Promise<BundleStatus[]> {
  const ctx = createContext();
  for (const t0 = Date.now(); ; ) {
    const r = await status({ out, hosts: [box], context: ctx });
    if (r.bundles.length === n && r.bundles.every((b) => b.state === 'done' || b.state === 'failed')) return r.bundles;
    if (Date.now() - t0 > 180_000) throw new Error(`timed out: ${JSON.stringify(r.bundles.map((b) => b.state))}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** What must not depend on running alone: ids, parameters, states, exit codes, results; not times, job ids or output bytes (the run records they count differ run to run). */
const keep = (r: Row) => Object.fromEntries(Object.entries(r).filter(([k]) => !/^(jobId|start|end|duration_s|timer\.|fp\.|energy|output_bytes$|eegen$|history$)/.test(k)));
const states = (bs: BundleStatus[]) => bs.map((b) => [b.id, b.host, b.state, b.exitCode ?? null, b.run ?? 1]);

async function dispatchOne(x: { out: string; box: HostEntry; count: number }) {
  const sub = await submit({ out: x.out, hosts: [x.box] });
  const done = await untilDone(x.out, x.box, x.count);
  const col = await collect({ out: x.out, hosts: [x.box] });
  return { submitted: sub.hosts.map((h) => [h.host, h.ok, h.submitted.length, h.failed.length]), arrays: new Set(sub.hosts[0]!.submitted.map((s) => s.jobId.replace(/_\d+$/, ''))).size, states: states(done), rows: col.rows.map(keep), errors: col.hostErrors };
}

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('two experiments at once in one process', () => {
  it('submit, status and collect of both concurrently equal both one after the other', async () => {
    const alone = [];
    for (const w of ['A', 'B'] as const) alone.push(await dispatchOne(await setup(w)));
    const [a, b] = await Promise.all([setup('A'), setup('B')]);
    const together = await Promise.all([dispatchOne(a), dispatchOne(b)]);
    expect(together[0]).toEqual(alone[0]);
    expect(together[1]).toEqual(alone[1]);
    // And the runs are real: every bundle done, with results, on the host it was sent to.
    expect(alone[0]!.rows.every((r) => r.state === 'done' && typeof r.accuracy === 'number' && r.host === 'box')).toBe(true);
    expect(alone[1]!.rows).toHaveLength(6);
    expect(alone[1]!.arrays).toBe(1);
  }, 400_000);

  it('two clusters both called "cluster": each submit splits its arrays at its own MaxArraySize; one context asks once', async () => {
    // Two Slurm clusters of the same name are simulated by answering the MaxArraySize query
    // (scontrol show config) differently per experiment; sbatch and everything else is real.
    const asked: string[] = [];
    const answering = (n: number): Runner => ({
      run(cmd, o) {
        if (!cmd.purpose.includes('MaxArraySize')) return realRunner.run(cmd, o);
        asked.push(String(n));
        return Promise.resolve({ code: 0, stdout: `MaxArraySize            = ${n}\n`, stderr: '' });
      },
    });
    const quick = (y: string) => y.replace('scheduler: bash', 'scheduler: slurm').replace('command: node train.mjs', 'command: true || node train.mjs');
    const one = async () => {
      const { dir, out } = await buildExample({ edit: quick });
      const h = (await inventory(dir, `hosts:\n  cluster: {kind: slurm, workdir: ${path.join(tmpDir('eegen-iso-'), 'w')}, slots: 12}\n`)).get('cluster')!;
      return { out, h };
    };
    const [x, y] = await Promise.all([one(), one()]);
    const [rx, ry] = await Promise.all([submit({ out: x.out, hosts: [x.h], array: true, runner: answering(3) }), submit({ out: y.out, hosts: [y.h], array: true, runner: answering(5) })]);
    const arrays = (r: typeof rx) => new Set(r.hosts[0]!.submitted.map((s) => s.jobId.replace(/_\d+$/, ''))).size;
    expect(rx.hosts[0]!.submitted).toHaveLength(12);
    expect([arrays(rx), arrays(ry)]).toEqual([4, 3]);
    expect(asked.sort()).toEqual(['3', '5']);
    // One context kept across calls remembers the answer: a second submit does not ask again.
    const ctx = createContext({ runner: answering(4) });
    const z = await one();
    await submit({ out: z.out, hosts: [z.h], array: true, context: ctx, only: ['lr-0.01_*'] });
    await submit({ out: z.out, hosts: [z.h], array: true, context: ctx });
    expect(asked.filter((a) => a === '4')).toEqual(['4']);
    for (const w of [x, y, z]) await untilDone(w.out, w.h, 12);
  }, 300_000);
});
