/**
 * Every bundle runs exactly once, also when several `eegen submit` processes of the same
 * output directory run at the same time (real CLI processes, real sshd, real Slurm): the
 * host's claims (mkdir, atomic) and the submit lock of OUT decide, not luck. And when a
 * bundle did run twice (here: made to, by running its script again), status says so.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIndex } from '../../src/dispatch/outdir.js';
import { remoteDirName, workdirOf } from '../../src/dispatch/transport.js';
import { parseEvents } from '../../src/results/index.js';
import { BIN, eegen } from '../support/cli.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

/** The CLI as a separate process, asynchronously (so several run at once). */
function eegenAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function starts(file: string): number {
  return existsSync(file) ? parseEvents(readFileSync(file, 'utf8')).value.filter((e) => e.event === 'start').length : 0;
}

const big = (scheduler: string, lr: string, repeat = '1,2') => (y: string) =>
  y.replace('lr: "0.01,0.1,1"', `lr: "${lr}"`).replace('epochs: "5,20"', 'epochs: "1,2"').replace('repeat: "1,2"', `repeat: "${repeat}"`).replace('scheduler: bash', `scheduler: ${scheduler}`).replace('command: node train.mjs', 'command: true || node train.mjs');

async function submitAtOnce(n: number, args: string[][]): Promise<void> {
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => eegenAsync(args[i % args.length]!)));
  for (const r of runs) expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  // Together they submitted each bundle once (JSON output of each process).
  const ids = runs.flatMap((r) => (JSON.parse(r.stdout) as { hosts: { submitted: { id: string }[] }[] }).hosts.flatMap((h) => h.submitted.map((s) => s.id)));
  expect(ids.length, 'submitted in total').toBe(new Set(ids).size);
}

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('two or three submits at once run every bundle exactly once', () => {
  it('ssh host, 200 bundles, three CLI processes at once: 200 runs, one start each', async () => {
    const { ssh } = testEnv();
    const { dir, out, count } = await buildExample({ edit: big('bash', '[1-50]') });
    expect(count).toBe(200);
    const work = path.join(tmpDir('eegen-once-'), 'box');
    const hostsFile = path.join(dir, 'hosts.yaml');
    const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}, slots: 8}\n`);
    await submitAtOnce(3, [['submit', out, '--host', 'box', '--hosts', hostsFile, '--json']]);
    const done = await waitFinished(out, [hosts.get('box')!], 240_000);
    expect(done.filter((b) => b.state === 'done')).toHaveLength(200);
    const view = workdirOf(hosts.get('box')!, out);
    const counts = done.map((b) => [b.id, starts(path.join(view, b.id, 'eegen-run', 'events.jsonl'))]);
    expect(counts.filter(([, n]) => n !== 1)).toEqual([]);
    expect(done.filter((b) => b.runs)).toEqual([]);
  }, 400_000);

  it('two copies of one output directory (as from two machines, no shared lock) at once to one ssh workdir: the host claims decide', async () => {
    const { ssh } = testEnv();
    const { dir, out, count } = await buildExample({ edit: big('bash', '[1-25]') });
    expect(count).toBe(100);
    const copy = `${out}-copy`;
    cpSync(out, copy, { recursive: true });
    const work = path.join(tmpDir('eegen-once-'), 'box');
    const hostsFile = path.join(dir, 'hosts.yaml');
    const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}, slots: 8}\n`);
    await submitAtOnce(2, [
      ['submit', out, '--host', 'box', '--hosts', hostsFile, '--json'],
      ['submit', copy, '--host', 'box', '--hosts', hostsFile, '--json'],
    ]);
    const done = await waitFinished(out, [hosts.get('box')!], 240_000);
    expect(done.filter((b) => b.state === 'done')).toHaveLength(100);
    // Same content: both copies' views lead to the same run directories.
    const views = [workdirOf(hosts.get('box')!, out), workdirOf(hosts.get('box')!, copy)];
    expect(views[0]).not.toBe(views[1]);
    for (const v of views) expect(done.map((b) => [b.id, starts(path.join(v, b.id, 'eegen-run', 'events.jsonl'))]).filter(([, n]) => n !== 1)).toEqual([]);
  }, 400_000);

  for (const array of [false, true]) {
    it(`Slurm, 30 bundles, two CLI processes at once${array ? ', --array' : ''}: one job and one start per bundle`, async () => {
      const { dir, out, count } = await buildExample({ edit: big('slurm', '[1-15]', '1') });
      expect(count).toBe(30);
      const work = path.join(tmpDir('eegen-once-'), 'cluster');
      const hostsFile = path.join(dir, 'hosts.yaml');
      const hosts = await inventory(dir, `hosts:\n  cluster: {kind: slurm, workdir: ${work}, slots: 40}\n`);
      const args = ['submit', out, '--host', 'cluster', '--hosts', hostsFile, '--json', ...(array ? ['--array'] : [])];
      await submitAtOnce(2, [args]);
      const cluster = hosts.get('cluster')!;
      const done = (await waitFinished(out, [cluster], 240_000)).filter((b) => b.jobId);
      expect(done).toHaveLength(30);
      expect(done.every((b) => b.state === 'done')).toBe(true);
      const index = new Map((await readIndex(out)).bundles.map((b) => [b.id, b]));
      const counts = done.map((b) => [b.id, starts(path.join(work, remoteDirName(index.get(b.id)!), 'eegen-run', 'events.jsonl'))]);
      expect(counts.filter(([, n]) => n !== 1)).toEqual([]);
      if (!array) {
        // Slurm's own view: exactly one job whose working directory is each bundle's.
        const jobs = await new Promise<string>((resolve) => {
          const p = spawn('scontrol', ['-o', 'show', 'job'], { stdio: ['ignore', 'pipe', 'ignore'] });
          let s = '';
          p.stdout.on('data', (d) => (s += d));
          p.on('close', () => resolve(s));
        });
        for (const b of done) expect(jobs.split('\n').filter((l) => l.includes(` WorkDir=${path.join(work, remoteDirName(index.get(b.id)!))} `)).length, b.id).toBe(1);
      }
    }, 400_000);
  }

  it('local and ssh at once, same output directory: a bundle never runs on both', async () => {
    const { ssh } = testEnv();
    const { dir, out, count } = await buildExample({ edit: (y) => big('bash', '[1-10]')(y) });
    expect(count).toBe(40);
    const work = path.join(tmpDir('eegen-once-'), 'box');
    const hostsFile = path.join(dir, 'hosts.yaml');
    const hosts = await inventory(dir, `hosts:\n  here: {kind: local, slots: 4}\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}, slots: 4}\n`);
    await submitAtOnce(2, [
      ['submit', out, '--host', 'here', '--hosts', hostsFile, '--json'],
      ['submit', out, '--host', 'box', '--hosts', hostsFile, '--json'],
    ]);
    const both = [hosts.get('here')!, hosts.get('box')!];
    const done = await waitFinished(out, both, 240_000);
    expect(done.filter((b) => b.state === 'done')).toHaveLength(40);
    for (const b of done) {
      const here = starts(path.join(out, b.id, 'eegen-run', 'events.jsonl'));
      const there = starts(path.join(workdirOf(hosts.get('box')!, out), b.id, 'eegen-run', 'events.jsonl'));
      expect(`${b.id}: here ${here}, box ${there}`).toBe(`${b.id}: here ${b.host === 'here' ? 1 : 0}, box ${b.host === 'box' ? 1 : 0}`);
    }
  }, 400_000);
});

describe('status reports a bundle that ran more than once', () => {
  it('running a finished bundle\'s script again by hand shows runs: 2 and "RAN 2 TIMES"', async () => {
    const { out } = await buildExample();
    const id = 'lr-0.1_epochs-5_repeat-1';
    const r = eegen(['submit', out, '--host', 'local', '--only', id]);
    expect(r.code, r.stderr).toBe(0);
    const done = await waitFinished(out, [{ name: 'local', kind: 'local', scheduler: 'bash' }]);
    expect(done.find((b) => b.id === id)).toMatchObject({ state: 'done' });
    let st = JSON.parse(eegen(['status', out, '--json', '--only', id]).stdout) as { runs?: number }[];
    expect(st[0]!.runs).toBeUndefined();
    // A second run of the same record, as a second submitter would have started it.
    const again = await new Promise<number | null>((resolve) => spawn('bash', ['eegen-run.sh', 'job.sh'], { cwd: path.join(out, id), stdio: 'ignore' }).on('close', resolve));
    expect(again).toBe(0);
    st = JSON.parse(eegen(['status', out, '--json', '--only', id]).stdout) as { runs?: number }[];
    expect(st[0]!.runs).toBe(2);
    const text = eegen(['status', out, '--only', id]);
    expect(text.stdout).toMatch(new RegExp(`${id.replace(/\./g, '\\.')}.*done \\(RAN 2 TIMES\\)`));
  });
});
