/**
 * How a run ended, said the same way on every kind of host: an application killed by
 * SIGKILL that nobody cancelled is `killed` (local, ssh and Slurm alike), `eegen cancel`
 * is `cancelled`, a Slurm time limit is `timeout`; the progress shown is the last one the
 * application reported, never the 100% the built-in template's EXIT trap prints when a
 * signal stops the script. Real local processes, the loopback sshd and the real Slurm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancel, collect, status, submit, type BundleStatus, type HostEntry } from '../../src/dispatch/index.js';
import { LOCAL_HOST } from '../../src/inventory/hosts.js';
import { eegen } from '../support/cli.js';
import { skipWithout, sshArgs, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, stepMs = 500): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

const FINAL = new Set(['done', 'failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost']);

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('run states on local, ssh and Slurm hosts (real processes, sshd, Slurm)', () => {
  it('kill -9 of the application is killed everywhere, eegen cancel is cancelled everywhere, a Slurm time limit is timeout; progress is the last reported', async () => {
    const { ssh } = testEnv();
    const pids = tmpDir('eegen-states-pids-');
    // The application reports 40%, writes its pid where the test finds it, and sleeps.
    const { dir, out } = await buildExample({
      edit: (y) =>
        y
          .replace('scheduler: bash', 'scheduler: slurm\nresources: {time: "00:01:00"}')
          .replace('command: node', () => `command: echo "# eegen progress=40 msg=halfway"; bash -c 'echo $$ > ${pids}/$EEGEN_BUNDLE_ID.pid; exec sleep 300'; node`),
    });
    const work = tmpDir('eegen-states-work-');
    const hosts = await inventory(
      dir,
      `hosts:
  here: {kind: local, slots: 4}
  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box, slots: 4}
  cluster: {kind: slurm, workdir: ${work}/cluster}
`,
    );
    const here = hosts.get('here')!;
    const box = hosts.get('box')!;
    const cluster = hosts.get('cluster')!;
    const plan: { host: HostEntry; kill: string; cancel: string; limit?: string }[] = [
      { host: here, kill: 'lr-0.01_epochs-5_repeat-1', cancel: 'lr-0.01_epochs-5_repeat-2' },
      { host: box, kill: 'lr-0.1_epochs-5_repeat-1', cancel: 'lr-0.1_epochs-5_repeat-2' },
      { host: cluster, kill: 'lr-1_epochs-5_repeat-1', cancel: 'lr-1_epochs-5_repeat-2', limit: 'lr-1_epochs-20_repeat-1' },
    ];
    const all = [here, box, cluster];
    try {
      for (const p of plan) {
        const r = await submit({ out, hosts: [p.host], only: [p.kill, p.cancel, ...(p.limit ? [p.limit] : [])] });
        expect(r.hosts[0], JSON.stringify(r.hosts[0])).toMatchObject({ ok: true, failed: [] });
      }
      const ids = plan.flatMap((p) => [p.kill, p.cancel, ...(p.limit ? [p.limit] : [])]);
      const pidOf = (id: string) => Number(readFileSync(path.join(pids, `${id}.pid`), 'utf8').trim());
      const written = (id: string) => existsSync(path.join(pids, `${id}.pid`)) && /^\d+\n$/.test(readFileSync(path.join(pids, `${id}.pid`), 'utf8'));
      await until('every application running', () => (ids.every(written) ? true : undefined), 60_000, 200);
      // Progress is in the output before the pid file: wait until status shows it.
      await until('running with progress 40', async () => ((await status({ out, hosts: all, only: ids })).bundles.every((b) => b.state === 'running' && b.progress === 40) ? true : undefined), 30_000);

      // kill -9 of the application (not the wrapper): over ssh on the ssh host, directly elsewhere.
      for (const p of plan) {
        const pid = pidOf(p.kill);
        if (p.host === box) expect(spawnSync('ssh', [...sshArgs(ssh!), ssh!.host, `kill -KILL ${pid}`]).status).toBe(0);
        else process.kill(pid, 'SIGKILL');
      }
      for (const p of plan) {
        const c = await cancel({ out, hosts: [p.host], only: [p.cancel] });
        expect(c.cancelled.map((x) => x.id)).toEqual([p.cancel]);
      }
      const ended = plan.flatMap((p) => [p.kill, p.cancel]);
      const st = await until(
        'killed and cancelled bundles final',
        async () => {
          const r = await status({ out, hosts: all, only: ended });
          return r.bundles.every((b) => FINAL.has(b.state)) ? r.bundles : undefined;
        },
        60_000,
      );
      const by = new Map<string, BundleStatus>(st.map((b) => [b.id, b]));
      const killed = plan.map((p) => by.get(p.kill)!);
      for (const k of killed) expect(k, `${k.host}`).toMatchObject({ state: 'killed', signal: 'KILL', exitCode: 137, progress: 40, why: 'killed by SIGKILL; nobody cancelled it (out of memory? kill -9?)' });
      const cancelled = plan.map((p) => by.get(p.cancel)!);
      for (const c of cancelled) expect(c, `${c.host}`).toMatchObject({ state: 'cancelled', progress: 40, why: 'cancelled by eegen cancel' });
      expect(cancelled.find((c) => c.host === 'cluster')!.schedulerState).toBe('CANCELLED');

      // Collect while the time-limit job still runs: says so, names the command, exits 3.
      const hostsFile = path.join(dir, 'hosts.yaml');
      const early = eegen(['collect', out, '--hosts', hostsFile, '--host', 'here,box,cluster']);
      expect(early.code, early.stderr).toBe(3);
      expect(early.stdout).toContain('1 bundle has not finished (1 running): its row is partial.');
      expect(early.stdout).toContain(`eegen collect ${out} --host here,box,cluster --hosts ${hostsFile}`);
      const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const row = (id: string) => rows.find((r) => r.id === id)!;
      for (const p of plan) {
        expect(row(p.kill)).toMatchObject({ state: 'killed', signal: 'KILL', exitCode: 137, note: 'killed by SIGKILL; nobody cancelled it (out of memory? kill -9?)' });
        expect(row(p.cancel)).toMatchObject({ state: 'cancelled', note: 'cancelled by eegen cancel' });
      }
      expect(row('lr-1_epochs-20_repeat-1')).toMatchObject({ state: 'running' });

      // The Slurm time limit (1 minute; Slurm checks limits about every 30 s).
      const limited = await until(
        'time limit',
        async () => {
          const b = (await status({ out, hosts: [cluster], only: ['lr-1_epochs-20_repeat-1'] })).bundles[0]!;
          return FINAL.has(b.state) ? b : undefined;
        },
        150_000,
        2000,
      );
      expect(limited).toMatchObject({ state: 'timeout', schedulerState: 'TIMEOUT', progress: 40, why: 'stopped at its time limit (TIMEOUT)' });
      // The built-in template's EXIT trap prints a status line when TERM comes: "status=done
      // progress=100" or "status=failed exit=143", depending on where bash was (and nothing
      // when Slurm's KILL comes first). Slurm reports TIMEOUT as soon as it signals, so the
      // line lands a moment later: wait for it, then the state and progress shown must still
      // be the time limit's and the application's.
      const onHost = readdirSync(path.join(work, 'cluster')).find((d) => /^lr-1_epochs-20_repeat-1(-[0-9a-f]{12})?$/.test(d))!;
      const outPath = path.join(work, 'cluster', onHost, `slurm-${limited.jobId!.replace('slurm:', '')}.out`);
      const TRAP = /# cloudmesh status=(done progress=100|failed exit=\d+)/;
      await until("the EXIT trap's line in the job output", () => (TRAP.test(readFileSync(outPath, 'utf8')) ? true : undefined), 20_000, 250).catch(() => undefined);
      expect((await status({ out, hosts: [cluster], only: ['lr-1_epochs-20_repeat-1'] })).bundles[0]).toMatchObject({ state: 'timeout', progress: 40 });
      const last = eegen(['collect', out, '--hosts', hostsFile, '--host', 'here,box,cluster']);
      expect(last.code, last.stderr).toBe(0);
      expect(last.stdout).not.toContain('not finished');
      const c = await collect({ out, hosts: all });
      expect(c.pending.ids).toEqual([]);
      expect(c.rows.find((r) => r.id === 'lr-1_epochs-20_repeat-1')).toMatchObject({ state: 'timeout', note: 'stopped at its time limit (TIMEOUT)' });
    } finally {
      await cancel({ out, hosts: all }).catch(() => undefined);
    }
  }, 300_000);
});

describe('collect while bundles run (local host, real processes)', () => {
  it('says how many are still running or queued and how to collect again, exits 3; --json says the same', async () => {
    const { out } = await buildExample({ edit: (y) => y.replace('command: node', 'command: sleep 30; node') });
    const only = ['lr-0.01_epochs-5_*', 'lr-0.1_epochs-5_repeat-1'];
    await submit({ out, hosts: [{ ...LOCAL_HOST, slots: 2 }], only });
    try {
      await until('two running', async () => ((await status({ out, hosts: [LOCAL_HOST], only })).bundles.filter((b) => b.state === 'running').length === 2 ? true : undefined), 20_000, 200);
      const r = eegen(['collect', out, '--only', 'lr-0.01_epochs-5_*,lr-0.1_epochs-5_repeat-1', '--exclude', '*.ckpt']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toContain('3 bundles have not finished (2 running, 1 queued): their rows are partial.');
      expect(r.stdout).toContain(`eegen collect ${out} --only 'lr-0.01_epochs-5_*' --only lr-0.1_epochs-5_repeat-1 --exclude '*.ckpt'`);
      const j = eegen(['collect', out, '--json']);
      expect(j.code).toBe(3);
      const json = JSON.parse(j.stdout) as { pending: { running: number; queued: number; ids: string[] }; again: string; rows: unknown[] };
      expect(json.pending).toMatchObject({ running: 2, queued: 1 });
      expect(json.pending.ids.sort()).toEqual(['lr-0.01_epochs-5_repeat-1', 'lr-0.01_epochs-5_repeat-2', 'lr-0.1_epochs-5_repeat-1']);
      expect(json.again).toBe(`eegen collect ${out}`);
      expect(json.rows).toHaveLength(12);
    } finally {
      await cancel({ out, hosts: [LOCAL_HOST] });
    }
    const done = await until('cancelled', async () => {
      const bs = (await status({ out, hosts: [LOCAL_HOST], only })).bundles;
      return bs.every((b) => FINAL.has(b.state)) ? bs : undefined;
    }, 20_000);
    expect(done.map((b) => b.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    // The built-in bash template's EXIT trap printed "status=done progress=100" on TERM: not shown.
    expect(done.map((b) => b.progress).filter((p) => p !== undefined)).toEqual([0, 0]);
    const after = eegen(['collect', out]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).not.toContain('not finished');
  }, 90_000);
});
