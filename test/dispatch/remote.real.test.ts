/**
 * The dispatcher against real components on loopback: an sshd (ssh + rsync), the
 * single-node Slurm cluster, and local background processes, together.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancel, collect, status, submit, type HostEntry } from '../../src/dispatch/index.js';
import { readLedger } from '../../src/dispatch/ledger.js';
import { realRunner, type Runner } from '../../src/dispatch/process.js';
import { parseEvents } from '../../src/results/index.js';
import { skipWithout, startTestSshd, stopTestSshd, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

function hostsYaml(sshConfig: string, sshHost: string, work: string): string {
  return `hosts:
  here: {kind: local, slots: 2}
  box: {kind: ssh, hostname: ${sshHost}, ssh_config: ${sshConfig}, workdir: ${work}/box, slots: 2}
  cluster: {kind: slurm, workdir: ${work}/cluster}
  dead: {kind: ssh, hostname: 127.0.0.1, port: 1, ssh_options: [ConnectTimeout=2], workdir: /tmp/nowhere}
`;
}

function starts(out: string, id: string): number {
  const f = path.join(out, id, 'eegen-run', 'events.jsonl');
  return existsSync(f) ? parseEvents(readFileSync(f, 'utf8')).value.filter((e) => e.event === 'start').length : 0;
}

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('ssh and Slurm hosts (real sshd, rsync and Slurm on loopback)', () => {
  it('splits the example sweep across local, ssh and slurm hosts and merges one table', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildExample();
    const hosts = await inventory(dir, hostsYaml(ssh!.config, ssh!.host, tmpDir('eegen-remote-')));
    const targets = ['here', 'box', 'cluster'].map((n) => hosts.get(n)!);
    const r = await submit({ out, hosts: targets });
    for (const h of r.hosts) expect(h, JSON.stringify(h)).toMatchObject({ ok: true, failed: [] });
    expect(r.hosts.map((h) => h.submitted.length)).toEqual([4, 4, 4]);
    expect(r.hosts[2]!.submitted[0]!.jobId).toMatch(/^slurm:\d+$/);
    const done = await waitFinished(out, targets, 120_000);
    expect(done.map((b) => `${b.id}@${b.host}:${b.state}:${b.exitCode}`)).toEqual(done.map((b) => `${b.id}@${b.host}:done:0`));
    const c = await collect({ out, hosts: targets });
    expect(c.hostErrors).toEqual([]);
    expect(new Set(c.rows.map((row) => row.host))).toEqual(new Set(['here', 'box', 'cluster']));
    expect(c.rows.every((row) => row.state === 'done' && typeof row.accuracy === 'number' && row.exitCode === 0)).toBe(true);
    // Results came back from the remote work directories.
    const fromBox = c.rows.find((row) => row.host === 'box')!;
    expect(existsSync(path.join(out, String(fromBox.id), 'result.json'))).toBe(true);
    const fromCluster = c.rows.find((row) => row.host === 'cluster')!;
    expect(String(fromCluster.jobId)).toMatch(/^slurm:\d+$/);
    // Submitting again submits nothing anywhere.
    const again = await submit({ out, hosts: targets });
    expect(again.hosts.flatMap((h) => h.submitted)).toEqual([]);
    expect(again.alreadyThere).toHaveLength(12);
  });

  it('collect brings results back over rsync but leaves out files matching --exclude', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildExample({ edit: (y) => y.replace('command: node', 'command: head -c 100000 /dev/zero > model.ckpt; node') });
    const hosts = await inventory(dir, hostsYaml(ssh!.config, ssh!.host, tmpDir('eegen-remote-')));
    const box = hosts.get('box')!;
    await submit({ out, hosts: [box], only: ['lr-1_epochs-5_*'] });
    await waitFinished(out, [box]);
    const c = await collect({ out, hosts: [box], exclude: ['*.ckpt'] });
    expect(c.hostErrors).toEqual([]);
    for (const id of ['lr-1_epochs-5_repeat-1', 'lr-1_epochs-5_repeat-2']) {
      expect(existsSync(path.join(out, id, 'result.json')), id).toBe(true);
      expect(existsSync(path.join(out, id, 'model.ckpt')), id).toBe(false);
    }
    expect(c.rows.filter((r) => r.state === 'done')).toHaveLength(2);
  });

  it('an unreachable host is reported and the others proceed', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildExample();
    const hosts = await inventory(dir, hostsYaml(ssh!.config, ssh!.host, tmpDir('eegen-remote-')));
    const r = await submit({ out, hosts: [hosts.get('dead')!, hosts.get('box')!] });
    const dead = r.hosts.find((h) => h.host === 'dead')!;
    expect(dead.ok).toBe(false);
    expect(dead.error).toMatch(/cannot reach dead/);
    expect(r.hosts.find((h) => h.host === 'box')!.submitted).toHaveLength(12);
    await waitFinished(out, [hosts.get('box')!]);
  });

  it('Slurm: exit 3 is failed (3), scancel is cancelled, a past-limit job is timeout', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildExample({
      edit: (y) =>
        y
          .replace('scheduler: bash', 'scheduler: slurm\nresources: {time: "00:01:00"}')
          .replace('command: node', 'command: case {experiment.lr} in 1) exit 3;; 0.1) sleep 300;; esac; node'),
    });
    const hosts = await inventory(dir, hostsYaml(ssh!.config, ssh!.host, tmpDir('eegen-remote-')));
    const cluster = hosts.get('cluster')!;
    await submit({ out, hosts: [cluster], only: ['lr-1_epochs-5_repeat-1', 'lr-0.1_epochs-5_*'] });
    // Wait until both sleepers run, then cancel one; the other runs into its 1-minute limit.
    for (let i = 0; i < 60; i++) {
      const st = await status({ out, hosts: [cluster], only: ['lr-0.1_epochs-5_*'] });
      if (st.bundles.every((b) => b.state === 'running')) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const c = await cancel({ out, hosts: [cluster], only: ['lr-0.1_epochs-5_repeat-1'] });
    expect(c.cancelled.map((x) => x.id)).toEqual(['lr-0.1_epochs-5_repeat-1']);
    const done = await waitFinished(out, [cluster], 150_000);
    const by = Object.fromEntries(done.map((b) => [b.id, b]));
    expect(by['lr-1_epochs-5_repeat-1']).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(by['lr-0.1_epochs-5_repeat-1']).toMatchObject({ state: 'cancelled' });
    expect(by['lr-0.1_epochs-5_repeat-2']).toMatchObject({ state: 'timeout', schedulerState: 'TIMEOUT' });
  }, 240_000);

  it('sshd stopped in the middle of a submit: a clear error, a consistent ledger, and a rerun submits nothing twice', async () => {
    const instance = 'submitcut';
    const target = startTestSshd({ instance, port: 2299 });
    try {
      const { dir, out } = await buildExample({ edit: (y) => y.replace('command: node', 'command: sleep 2; node') });
      const hosts = await inventory(dir, `hosts:\n  flaky: {kind: ssh, hostname: ${target.host}, ssh_config: ${target.config}, workdir: ${tmpDir('eegen-cut-')}/w, slots: 4}\n`);
      const flaky = hosts.get('flaky')!;
      // Stop sshd right after the bundles were copied, as the submit script starts.
      const cutting: Runner = {
        async run(cmd, opts) {
          if (cmd.purpose.startsWith('verify and submit')) {
            const p = realRunner.run(cmd, opts);
            await new Promise((res) => setTimeout(res, 150));
            stopTestSshd({ instance });
            return p;
          }
          return realRunner.run(cmd, opts);
        },
      };
      const r = await submit({ out, hosts: [flaky], runner: cutting });
      expect(r.hosts[0]!.ok).toBe(false);
      expect(r.hosts[0]!.error).toMatch(/did not finish|cannot reach/);
      const ledger = await readLedger(out);
      expect(new Set(ledger.map((e) => e.id)).size).toBe(ledger.length);
      startTestSshd({ instance, port: 2299 });
      const again = await submit({ out, hosts: [flaky] });
      expect(again.hosts[0]!.ok).toBe(true);
      expect(again.hosts[0]!.submitted.length + again.alreadyThere.length).toBe(12);
      await waitFinished(out, [flaky], 120_000);
      await collect({ out, hosts: [flaky] });
      for (const id of (await status({ out, hosts: [flaky] })).bundles.map((b) => b.id)) expect(starts(out, id), id).toBe(1);
      const ledger2 = await readLedger(out);
      expect(new Set(ledger2.map((e) => e.id)).size).toBe(ledger2.length);
    } finally {
      stopTestSshd({ instance });
    }
  }, 240_000);

  it('submits a large sweep as Slurm job arrays split at MaxArraySize', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildExample({
      edit: (y) => y.replace('lr: "0.01,0.1,1"', 'lr: "[1-30]"').replace('epochs: "5,20"', 'epochs: "1,2"').replace('repeat: "1,2"', 'repeat: "[1-4]"').replace('scheduler: bash', 'scheduler: slurm').replace('command: node train.mjs', 'command: true || node train.mjs'),
    });
    const hosts: Map<string, HostEntry> = await inventory(dir, hostsYaml(ssh!.config, ssh!.host, tmpDir('eegen-remote-')));
    const cluster = { ...hosts.get('cluster')!, slots: 50 };
    const r = await submit({ out, hosts: [cluster], array: true });
    const ids = r.hosts[0]!.submitted.map((s) => s.jobId);
    expect(ids).toHaveLength(240);
    const arrays = new Set(ids.map((j) => j.replace(/_\d+$/, '')));
    expect(arrays.size).toBe(3); // 240 bundles, MaxArraySize 101
    const done = await waitFinished(out, [cluster], 180_000);
    expect(done.filter((b) => b.state === 'done')).toHaveLength(240);
  }, 240_000);
});
