/**
 * Chains the scheduler carries (src/workflow/chain.ts), on the real local Slurm: a node
 * whose needs run on the same Slurm host is submitted as soon as they are submitted, with
 * `--dependency=afterok:<their job ids>`, so the chain runs to its end with the
 * coordinator killed (-9); a first node that fails leaves the second never run and shown
 * blocked, its job gone from the queue (Slurm cancels it, or the coordinator does); an
 * experiment node's job array held for a script node the same way. And
 * the same through LSF's `bsub -w`, with a fake bsub (LSF cannot be installed here).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/dispatch/context.js';
import { DEFAULT_SCHEDULERS, withSchedulers } from '../../src/scheduler/registry.js';
import { slurm } from '../../src/scheduler/slurm.js';
import { hostOut } from '../../src/workflow/bundles.js';
import { isAbortError } from '../../src/util/abort.js';
import { cancelWorkflow, runWorkflow, workflowStatus } from '../../src/workflow/run.js';
import { parseEvents } from '../../src/results/index.js';
import { ROOT } from '../support/cli.js';
import { skipWithout } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { load, recorder, runTimes, starts, workflowDir } from './helpers.js';
import { bothSubmitted, cliRun, slurmJob, squeue, startedIds, until } from './slurm-helpers.js';

/** A two-node chain a -> b on host `host` (running bundles in place): a runs `first` (with $LOG), b appends b to the file when its last line is a. */
function chainWorkflow(first: string, host = 'cluster: {kind: slurm}'): { dir: string; file: string; log: string } {
  const log = path.join(tmpDir('eegen-wf-chain-log-'), 'order.txt');
  const { dir, file } = workflowDir(
    `workflow:
  nodes:
    wfchain-a: {host: ${host.split(':')[0]}, exec: ${JSON.stringify(first.replace(/\$LOG/g, log))}}
    wfchain-b: {host: ${host.split(':')[0]}, exec: ${JSON.stringify(`test "$(tail -n1 ${log})" = a && echo b >> ${log}`)}, needs: wfchain-a}
`,
    { 'hosts.yaml': `hosts:\n  ${host}\n` },
  );
  return { dir, file, log };
}

describe.skipIf(skipWithout('slurm'))('chains the scheduler carries (the real local Slurm)', () => {
  it('a two-node chain: both submitted at once (b held on Dependency), coordinator killed -9, both run in order without it; a rerun submits nothing', async () => {
    const { dir, file, log } = chainWorkflow('sleep 6; echo a >> $LOG');
    const spec = await load(file);
    const run = cliRun(dir);
    await bothSubmitted(run);
    const ids = startedIds(run.events());
    const a = ids.get('wfchain-a')!;
    const b = ids.get('wfchain-b')!;
    expect([a, b].every((j) => /^slurm:\d+$/.test(j))).toBe(true);
    // Both in the queue the moment the coordinator is gone; b held for a, a not finished.
    const queue = squeue([a, b]);
    // (Reason None until Slurm's scheduler has looked at the new job.)
    expect(queue.find((l) => l.startsWith(`${b.slice(6)} `))).toMatch(new RegExp(`^${b.slice(6)} PENDING (Dependency|None)$`));
    expect(queue.find((l) => l.startsWith(`${a.slice(6)} `))).toMatch(/ (PENDING|RUNNING) /);
    expect(slurmJob(b).Dependency).toBe(`afterok:${a.slice(6)}(unfulfilled)`);
    expect(existsSync(log)).toBe(false);

    // No coordinator: Slurm runs a, then b.
    await until('b to end', () => slurmJob(b).JobState === 'COMPLETED' || slurmJob(b).JobState === 'FAILED' || slurmJob(b).JobState === 'CANCELLED', 90_000);
    expect(readFileSync(log, 'utf8')).toBe('a\nb\n');
    const [ja, jb] = [slurmJob(a), slurmJob(b)];
    expect([ja.JobState, jb.JobState]).toEqual(['COMPLETED', 'COMPLETED']);
    expect(Date.parse(jb.StartTime!)).toBeGreaterThanOrEqual(Date.parse(ja.EndTime!));
    const t = [runTimes(spec, 'wfchain-a'), runTimes(spec, 'wfchain-b')];
    expect(t[1]!.start!).toBeGreaterThanOrEqual(t[0]!.end!);

    // eegen workflow run again: done at once, nothing submitted again (same job ids, one start each, two submits in the ledger).
    const t0 = Date.now();
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.jobId}`)).toEqual([`wfchain-a:done:${a}`, `wfchain-b:done:${b}`]);
    expect(r.nodes[1]!.after).toEqual([a]);
    expect([starts(spec, 'wfchain-a'), starts(spec, 'wfchain-b')]).toEqual([1, 1]);
    const ledger = readFileSync(path.join(hostOut(spec, 'cluster'), '.eegen', 'ledger.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"action":"submitted"'));
    expect(ledger).toHaveLength(2);
  }, 180_000);

  it('two coordinators started at once on a chained pair: each node is submitted once (one job each, two submits in the ledger, one run record each), both run in order', async () => {
    const { dir, file, log } = chainWorkflow('sleep 4; echo a >> $LOG');
    const spec = await load(file);
    const runs = [cliRun(dir), cliRun(dir)];
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes, runs.map((r) => r.output()).join('\n----\n')).toEqual([0, 0]);
    // Both saw the same job of each node: one was submitted, the other found it.
    const ids = runs.map((r) => startedIds(r.events()));
    expect([...ids[0]!.keys()].sort()).toEqual(['wfchain-a', 'wfchain-b']);
    expect(ids[1]).toEqual(ids[0]);
    const ledger = readFileSync(path.join(hostOut(spec, 'cluster'), '.eegen', 'ledger.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"action":"submitted"'));
    expect(ledger.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(['wfchain-a', 'wfchain-b']);
    expect([starts(spec, 'wfchain-a'), starts(spec, 'wfchain-b')]).toEqual([1, 1]);
    expect(readFileSync(log, 'utf8')).toBe('a\nb\n');
    // The controller knows exactly these two jobs of the workflow's directory (none submitted twice and dropped).
    const mine = execFileSync('bash', ['-c', 'scontrol -o show job | grep -F -- "$1" || true', 'bash', ` WorkDir=${hostOut(spec, 'cluster')}/`], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').filter(Boolean);
    expect(mine.map((l) => `slurm:${/^JobId=(\d+)/.exec(l)![1]}`).sort()).toEqual([...ids[0]!.values()].sort());
    // b was chained (held on a's job), by whichever coordinator decided first.
    expect((await workflowStatus(spec)).nodes[1]!.after).toEqual([ids[0]!.get('wfchain-a')]);
  }, 180_000);

  it('a first node that fails: b (already submitted, held) never runs, Slurm cancels it (DependencyNeverSatisfied), it is shown blocked, with or without a coordinator', async () => {
    const { dir, file, log } = chainWorkflow('sleep 5; echo a >> $LOG; exit 3');
    const spec = await load(file);
    const run = cliRun(dir);
    await bothSubmitted(run);
    await run.exited;
    const ids = startedIds(run.events());
    const [a, b] = [ids.get('wfchain-a')!, ids.get('wfchain-b')!];
    // Without a coordinator: a fails, Slurm ends b (--kill-on-invalid-dep=yes) instead of keeping it pending.
    await until('b to leave the queue', () => squeue([b]).length === 0, 90_000);
    expect([slurmJob(a).JobState, slurmJob(b).JobState, slurmJob(b).Reason]).toEqual(['FAILED', 'CANCELLED', 'DependencyNeverSatisfied']);
    const st = await workflowStatus(spec);
    expect(st.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:failed', 'wfchain-b:blocked']);
    expect(st.nodes[1]).toMatchObject({ blockedBy: ['wfchain-a'], jobId: b, why: 'held for wfchain-a, which did not succeed (DependencyNeverSatisfied)' });
    // A coordinator finishes at once: nothing started, b stays blocked, never run.
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.ok).toBe(false);
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:failed', 'wfchain-b:blocked']);
    expect(rec.of('started')).toEqual([expect.objectContaining({ node: 'wfchain-a', jobId: a })]);
    expect(rec.of('blocked')).toEqual([{ type: 'blocked', node: 'wfchain-b', by: ['wfchain-a'] }]);
    expect([starts(spec, 'wfchain-a'), starts(spec, 'wfchain-b')]).toEqual([1, 0]);
    expect(readFileSync(log, 'utf8')).toBe('a\n');
  }, 180_000);

  it('a scheduler that keeps a job pending on DependencyNeverSatisfied (no --kill-on-invalid-dep): the coordinator cancels it; --rerun-failed then runs a and b again in order', async () => {
    // The Slurm adapter without --kill-on-invalid-dep: as on a cluster whose jobs stay pending.
    const keep = withSchedulers(DEFAULT_SCHEDULERS, { ...slurm, dependsOn: (jobIds) => [slurm.dependsOn!(jobIds)[0]!] });
    const context = createContext({ schedulers: keep });
    const flag = path.join(tmpDir('eegen-wf-chain-flag-'), 'fail-once');
    const { file, log } = chainWorkflow(`sleep 5; echo a >> $LOG; if [ ! -e ${flag} ]; then touch ${flag}; exit 3; fi`);
    const spec = await load(file);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, context, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:failed', 'wfchain-b:blocked']);
    const a = r.nodes[0]!.jobId!;
    const b = r.nodes[1]!.jobId!;
    expect(r.nodes[1]!.after).toEqual([a]);
    // b was submitted while a ran (held), and cancelled by the coordinator once a had failed.
    const order = rec.events.filter((e) => (e.type === 'started' || e.type === 'failed') && 'node' in e).map((e) => `${e.type}:${(e as { node: string }).node}`);
    expect(order.slice(0, 3)).toEqual(['started:wfchain-a', 'started:wfchain-b', 'failed:wfchain-a']);
    expect(squeue([b])).toEqual([]);
    expect(slurmJob(b).JobState).toBe('CANCELLED');
    expect(starts(spec, 'wfchain-b')).toBe(0);
    // --rerun-failed: a runs again; b, waiting for a run that is no longer a's, is submitted again after the new one.
    const again = await runWorkflow(spec, { pollMs: 100, context, rerunFailed: true });
    expect(again.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:done', 'wfchain-b:done']);
    expect(again.nodes[0]!.jobId).not.toBe(a);
    expect(again.nodes[1]!.after).toEqual([again.nodes[0]!.jobId]);
    expect(readFileSync(log, 'utf8')).toBe('a\na\nb\n');
    expect([starts(spec, 'wfchain-a'), starts(spec, 'wfchain-b')]).toEqual([2, 1]);
  }, 180_000);

  it('workflow cancel of the first node also cancels the run held for it (even where the scheduler would keep it pending); b is blocked', async () => {
    const keep = withSchedulers(DEFAULT_SCHEDULERS, { ...slurm, dependsOn: (jobIds) => [slurm.dependsOn!(jobIds)[0]!] });
    const context = createContext({ schedulers: keep });
    const { file } = chainWorkflow('sleep 60');
    const spec = await load(file);
    const stop = new AbortController();
    const rec = recorder();
    const running = runWorkflow(spec, { pollMs: 100, context, signal: stop.signal, onEvent: rec.onEvent }).catch((e: unknown) => e);
    await until('both nodes submitted', () => rec.of('started').length === 2, 60_000);
    stop.abort();
    expect(isAbortError(await running)).toBe(true);
    const [a, b] = ['wfchain-a', 'wfchain-b'].map((n) => (rec.of('started').find((e) => e.type === 'started' && e.node === n) as { jobId: string }).jobId);
    const c = await cancelWorkflow(spec, { nodes: ['wfchain-a'], context });
    expect(c.cancelled.map((x) => `${x.id}:${x.jobId}`).sort()).toEqual([`wfchain-a:${a}`, `wfchain-b:${b}`]);
    await until('both to leave the queue', () => squeue([a!, b!]).length === 0, 60_000);
    const st = await workflowStatus(spec, { context });
    expect(st.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:cancelled', 'wfchain-b:blocked']);
    expect(starts(spec, 'wfchain-b')).toBe(0);
  }, 120_000);

  it('an experiment node after a script node on the same cluster: its job array is submitted held (afterok), the coordinator killed -9, every bundle runs after the first node; a rerun submits nothing', async () => {
    const dir = path.join(tmpDir('eegen-wf-chain-exp-'), 'paper');
    cpSync(path.join(ROOT, 'fixtures/workflow/paper'), dir, { recursive: true });
    const work = tmpDir('eegen-wf-chain-exp-work-');
    writeFileSync(path.join(dir, 'hosts.yaml'), `hosts:\n  cluster: {kind: slurm, workdir: ${work}/cluster, defaults: {cpus_per_task: 1, mem: 500M, time: "00:05:00"}}\n`);
    writeFileSync(
      path.join(dir, 'wf.yaml'),
      `workflow:
  nodes:
    wfchain-prep: {host: cluster, exec: "sleep 6"}
    compute: {host: cluster, experiment: {config: config.yaml, template: cloudmask.in.slurm, array: true}, needs: wfchain-prep}
`,
    );
    const spec = await load(path.join(dir, 'wf.yaml'));
    const run = cliRun(dir);
    await bothSubmitted(run);
    const ids = startedIds(run.events());
    const [prep, sweep] = [ids.get('wfchain-prep')!, ids.get('compute')!];
    expect(sweep).toMatch(/^slurm:\d+_\d+$/);
    const array = sweep.replace(/_\d+$/, '');
    expect(squeue([array]).every((l) => / PENDING (Dependency|None)$/.test(l)), squeue([array]).join('; ')).toBe(true);
    expect(slurmJob(array).Dependency).toBe(`afterok:${prep.slice(6)}(unfulfilled)`);
    // No coordinator: the sweep runs once the first node ended.
    const runDirs = () => readdirSync(path.join(work, 'cluster')).filter((d) => /-[0-9a-f]{12}$/.test(d));
    const times = (d: string) => {
      const f = path.join(work, 'cluster', d, 'eegen-run', 'events.jsonl');
      const ev = existsSync(f) ? parseEvents(readFileSync(f, 'utf8')).value : [];
      return { starts: ev.filter((e) => e.event === 'start').map((e) => Date.parse(e.ts!)), end: ev.filter((e) => e.event === 'end').map((e) => Date.parse(e.ts!))[0] };
    };
    const sweepDirs = () => runDirs().filter((d) => !d.startsWith('wfchain-prep-'));
    await until('every bundle of the sweep to end', () => sweepDirs().length === 2 && sweepDirs().every((d) => times(d).end !== undefined), 120_000);
    const prepEnd = times(runDirs().find((d) => d.startsWith('wfchain-prep-'))!).end!;
    for (const d of sweepDirs()) {
      expect(times(d).starts, d).toHaveLength(1);
      expect(times(d).starts[0]!, d).toBeGreaterThanOrEqual(prepEnd);
    }
    // Again: done at once, nothing submitted twice; the sweep's results are collected.
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['wfchain-prep:done', 'compute:done']);
    expect(r.nodes[1]).toMatchObject({ jobId: sweep, after: [prep], bundles: 'done 2' });
    expect(sweepDirs().map((d) => times(d).starts.length)).toEqual([1, 1]);
  }, 240_000);

  it('an experiment node held for a script node that fails: its sweep never runs, it is blocked, nothing of it is left in the queue', async () => {
    const dir = path.join(tmpDir('eegen-wf-chain-exp-'), 'paper');
    cpSync(path.join(ROOT, 'fixtures/workflow/paper'), dir, { recursive: true });
    const work = tmpDir('eegen-wf-chain-exp-work-');
    writeFileSync(path.join(dir, 'hosts.yaml'), `hosts:\n  cluster: {kind: slurm, workdir: ${work}/cluster, defaults: {cpus_per_task: 1, mem: 500M, time: "00:05:00"}}\n`);
    writeFileSync(path.join(dir, 'wf.yaml'), 'workflow:\n  nodes:\n    wfchain-prep: {host: cluster, exec: "sleep 4; exit 3"}\n    compute: {host: cluster, experiment: {config: config.yaml, template: cloudmask.in.slurm, array: true}, needs: wfchain-prep}\n');
    const spec = await load(path.join(dir, 'wf.yaml'));
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['wfchain-prep:failed', 'compute:blocked']);
    const compute = r.nodes[1]!;
    expect(compute).toMatchObject({ blockedBy: ['wfchain-prep'], after: [r.nodes[0]!.jobId] });
    expect(compute.jobId).toMatch(/^slurm:\d+_\d+$/);
    expect(squeue([compute.jobId!.replace(/_\d+$/, '')])).toEqual([]);
    // Each bundle of the sweep reached the host and never started (a cancel event at most: eegen's, when the coordinator was first).
    const sweep = readdirSync(path.join(work, 'cluster')).filter((d) => /^repeat-/.test(d));
    expect(sweep).toHaveLength(2);
    for (const d of sweep) {
      const f = path.join(work, 'cluster', d, 'eegen-run', 'events.jsonl');
      expect(existsSync(f) ? parseEvents(readFileSync(f, 'utf8')).value.filter((e) => e.event === 'start') : [], d).toEqual([]);
    }
  }, 120_000);

  it('not chained: a need with retries left (its retry is the coordinator\'s), a node with inputs, a need on another host', async () => {
    const { file } = workflowDir(
      `workflow:
  nodes:
    wfchain-r: {host: cluster, exec: "sleep 2", retries: 1}
    wfchain-r2: {host: cluster, exec: "true", needs: wfchain-r}
    wfchain-o: {host: cluster, exec: "sleep 2; echo x > out.txt", outputs: [out.txt]}
    wfchain-i: {host: cluster, exec: "cat inputs/wfchain-o/out.txt", inputs: {wfchain-o: [out.txt]}}
    wfchain-l: {exec: "sleep 2"}
    wfchain-x: {host: cluster, exec: "true", needs: wfchain-l}
`,
      { 'hosts.yaml': 'hosts:\n  cluster: {kind: slurm}\n' },
    );
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.ok, JSON.stringify(r.nodes)).toBe(true);
    for (const n of ['wfchain-r2', 'wfchain-i', 'wfchain-x']) expect(r.nodes.find((x) => x.name === n)!.after, n).toBeUndefined();
    // Each started after its need ended (the coordinator started it).
    for (const [need, n] of [['wfchain-r', 'wfchain-r2'], ['wfchain-o', 'wfchain-i'], ['wfchain-l', 'wfchain-x']] as const) expect(runTimes(spec, n).start!, n).toBeGreaterThanOrEqual(runTimes(spec, need).end!);
  }, 180_000);
});

describe('chains on LSF (fake bsub/bjobs/bkill: LSF cannot be installed here)', () => {
  const saved = { PATH: process.env.PATH, FAKE_LSF_DIR: process.env.FAKE_LSF_DIR };
  const fakeDir = tmpDir('eegen-wf-fake-lsf-');
  beforeAll(() => {
    process.env.PATH = `${path.resolve('test/workflow/fake-lsf')}:${path.resolve('test/dispatch/fake-lsf')}:${process.env.PATH}`;
    process.env.FAKE_LSF_DIR = fakeDir;
  });
  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_LSF_DIR === undefined) delete process.env.FAKE_LSF_DIR;
    else process.env.FAKE_LSF_DIR = saved.FAKE_LSF_DIR;
  });

  it("b is submitted with -w 'done(<a's job id>)' -ti while a runs, and runs after it (fake LSF)", async () => {
    const { file, log } = chainWorkflow('sleep 5; echo a >> $LOG', 'farm: {kind: lsf}');
    const spec = await load(file);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:done', 'wfchain-b:done']);
    const [a, b] = r.nodes.map((n) => n.jobId!.replace(/^lsf:/, ''));
    const args = (id: string) => readFileSync(path.join(fakeDir, `args.${id}`), 'utf8').split('\n').filter(Boolean);
    expect(args(a!)).toEqual([]);
    expect(args(b!)).toEqual(['-w', `done(${a})`, '-ti']);
    expect(r.nodes[1]!.after).toEqual([`lsf:${a}`]);
    const order = rec.events.filter((e) => e.type === 'started' || e.type === 'done').map((e) => `${e.type}:${(e as { node: string }).node}`);
    expect(order).toEqual(['started:wfchain-a', 'started:wfchain-b', 'done:wfchain-a', 'done:wfchain-b']);
    expect(readFileSync(log, 'utf8')).toBe('a\nb\n');
    expect(runTimes(spec, 'wfchain-b').start!).toBeGreaterThanOrEqual(runTimes(spec, 'wfchain-a').end!);
  }, 60_000);

  it('a first node that fails: b ends as an orphan without running and is shown blocked (fake LSF)', async () => {
    const { file } = chainWorkflow('sleep 4; exit 3', 'farm: {kind: lsf}');
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfchain-a:failed', 'wfchain-b:blocked']);
    expect(r.nodes[1]!.jobId).toMatch(/^lsf:\d+$/);
    expect(starts(spec, 'wfchain-b')).toBe(0);
  }, 60_000);
});
