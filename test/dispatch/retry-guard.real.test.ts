/**
 * Two machines retrying the same failed run (two copies of OUT, one host): a retry names
 * the attempt it replaces (its job id), and the host's submit script moves aside only that
 * one. So a client whose view is stale (it saw attempt 1 fail, but another client retried
 * it meanwhile and that retry ended too) submits nothing: it is told the run that stands.
 * Two processes: the other client is `eegen submit --retry failed` run as a child while
 * this one's submit waits between asking the host and submitting (a real runner, held).
 * (Removing the attempt check, `[ "$prev" = "$4" ]` in remote.ts's submit(), makes B move
 * attempt 2 aside and run a third: this test then fails.)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { createContext, realRunner, status, submit, type HostEntry, type Runner } from '../../src/dispatch/index.js';
import { BIN } from '../support/cli.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { inventory, waitFinished } from './helpers.js';

/** The run directories of the bundle on the host (below its workdir), and each one's start events. */
function runsOnHost(work: string): { dir: string; attempts: string[]; starts: number } {
  const dirs = readdirSync(work).filter((d) => /^single-[0-9a-f]{12}$/.test(d));
  expect(dirs).toHaveLength(1);
  const dir = path.join(work, dirs[0]!);
  const attempts = readdirSync(dir).filter((d) => d.startsWith('eegen-run.attempt-')).sort();
  let starts = 0;
  for (const r of ['eegen-run', ...attempts]) {
    const f = path.join(dir, r, 'events.jsonl');
    if (existsSync(f)) starts += readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"event":"start"')).length;
  }
  return { dir, attempts, starts };
}

async function guardCase(hostYaml: (work: string) => string, hostName: string): Promise<void> {
  const dir = tmpDir('eegen-retry-guard-');
  writeFileSync(path.join(dir, 'config.yaml'), 'name: only\nscheduler: bash\nrun:\n  command: "sleep 0.2; exit 3"\n');
  const outA = path.join(dir, 'out');
  const built = await build({ config: path.join(dir, 'config.yaml'), out: outA });
  expect(built.ok, JSON.stringify(built.diagnostics)).toBe(true);
  const work = path.join(tmpDir('eegen-retry-guard-work-'), 'w');
  const h = (await inventory(dir, hostYaml(work))).get(hostName)! as HostEntry;
  const first = await submit({ out: outA, hosts: [h] });
  const j1 = first.hosts[0]!.submitted[0]!.jobId;
  expect((await waitFinished(outA, [h])).map((b) => b.state)).toEqual(['failed']);
  // The other machine's copy of OUT: the same bundle.
  const outB = path.join(tmpDir('eegen-retry-guard-b-'), 'out');
  cpSync(outA, outB, { recursive: true });

  // B asks the host (attempt 1 failed: J1), then waits before its submit script runs; meanwhile A, another process, retries J1 and that run fails too.
  let j2 = '';
  let held = false;
  const runner: Runner = {
    async run(cmd, opts) {
      if (!held && cmd.purpose?.startsWith('verify and submit')) {
        held = true;
        const a = spawnSync(process.execPath, [BIN, 'submit', outA, '--hosts', path.join(dir, 'hosts.yaml'), '--host', hostName, '--retry', 'failed', '--json'], { encoding: 'utf8' });
        expect(a.status, a.stderr).toBe(0);
        j2 = (JSON.parse(a.stdout) as { hosts: { submitted: { jobId: string }[] }[] }).hosts[0]!.submitted[0]!.jobId;
        expect(j2).not.toBe(j1);
        expect((await waitFinished(outA, [h])).map((b) => `${b.state}:${b.run}`)).toEqual(['failed:2']);
      }
      return realRunner.run(cmd, opts);
    },
  };
  // B's first submit finds A's run there and takes it as its own (the host's view of B's OUT links to it): B sees attempt 1 failed too.
  expect((await submit({ out: outB, hosts: [h] })).hosts[0]).toMatchObject({ submitted: [], skipped: [{ id: 'single', jobId: j1 }] });
  expect((await status({ out: outB, hosts: [h] })).bundles.map((x) => `${x.state}:${x.jobId}`)).toEqual([`failed:${j1}`]);
  const b = await submit({ out: outB, hosts: [h], retry: ['failed'], context: createContext({ runner }) });
  expect(held).toBe(true);
  // B's retry was of J1, which is no longer the run: it submits nothing and is told J2 stands.
  expect(b.hosts[0]).toMatchObject({ ok: true, submitted: [], failed: [], skipped: [{ id: 'single', jobId: j2 }] });
  const runs = runsOnHost(work);
  expect(runs.attempts).toEqual(['eegen-run.attempt-1']);
  expect(runs.starts).toBe(2);
  expect(readFileSync(path.join(runs.dir, 'eegen-run', 'jobid'), 'utf8').split('\n')[0]).toBe(j2);
  // A retry from a view that is current (J2) still goes ahead: the guard is of the attempt, not of retries.
  const again = await submit({ out: outB, hosts: [h], retry: ['failed'] });
  expect(again.hosts[0]!.submitted).toHaveLength(1);
  await waitFinished(outB, [h]);
  expect(runsOnHost(work).attempts).toEqual(['eegen-run.attempt-1', 'eegen-run.attempt-2']);
}

describe('two machines retrying the same failed run: only the first retry of an attempt runs', () => {
  it('local host with a shared workdir (two processes: eegen submit --retry as a child, this one held with a stale view)', async () => {
    await guardCase((work) => `hosts:\n  shared: {kind: local, workdir: ${work}}\n`, 'shared');
  }, 90_000);

  it.skipIf(skipWithout('ssh', 'rsync'))('the real sshd (two processes, the same way)', async () => {
    const { ssh } = testEnv();
    await guardCase((work) => `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}}\n`, 'box');
  }, 120_000);
});
