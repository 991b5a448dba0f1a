/**
 * A script node chained onto an experiment node on the real local Slurm (src/workflow/chain.ts):
 * the node after a sweep on the same cluster is submitted as soon as the sweep is, held on
 * the sweep's job array (`--dependency=afterok:<array>`), so it runs after every task of the
 * sweep with the coordinator killed -9; a failing task (allow_failed: 0) leaves it never
 * run and blocked; with allow_failed: 1 the scheduler cannot count, so its held job ends
 * unrun and the coordinator submits it again once the sweep is done; a node reading the
 * sweep's merged results (inputs:) is not chained, and says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvents } from '../../src/results/index.js';
import { experimentOut, hostOut } from '../../src/workflow/bundles.js';
import { cancelWorkflow, runWorkflow, workflowStatus } from '../../src/workflow/run.js';
import { skipWithout } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { load, recorder, runTimes, starts, workflowDir } from './helpers.js';
import { bothSubmitted, cliRun, slurmJob, slurmTasks, squeue, startedIds, until } from './slurm-helpers.js';

const SWEEP = (command: string) => `name: wfsweep\nexperiment:\n  x: "1,2,3"\nscheduler: bash\nrun:\n  command: ${JSON.stringify(command)}\n`;

/** A sweep on the cluster as one job array, and a script node after it on the same cluster. */
function sweepThenNode(command: string, opts: { allowFailed?: number; after?: string; exec?: string } = {}): { dir: string; file: string } {
  return workflowDir(
    `workflow:
  nodes:
    wfsweep-s: {host: cluster, experiment: {config: sweep.yaml, array: true, allow_failed: ${opts.allowFailed ?? 0}}}
    wfsweep-after: {host: cluster, exec: ${JSON.stringify(opts.exec ?? 'true')}, ${opts.after ?? 'needs: wfsweep-s'}}
`,
    { 'sweep.yaml': SWEEP(command), 'hosts.yaml': 'hosts:\n  cluster: {kind: slurm}\n' },
  );
}

/** Start and end (ms) of each bundle's run of the sweep, from the run records where the bundles ran (in place). */
function sweepRuns(out: string): { id: string; starts: number[]; end?: number; exit?: number }[] {
  const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; dir: string }[] };
  return index.bundles.map((b) => {
    const f = path.join(out, b.dir, 'eegen-run', 'events.jsonl');
    const ev = existsSync(f) ? parseEvents(readFileSync(f, 'utf8')).value : [];
    const end = ev.find((e) => e.event === 'end');
    return { id: b.id, starts: ev.filter((e) => e.event === 'start').map((e) => Date.parse(e.ts!)), ...(end ? { end: Date.parse(end.ts!), exit: (end as { exit_code?: number }).exit_code } : {}) };
  });
}

const ended = (jobId: string) => ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'].includes(slurmJob(jobId).JobState ?? '');

describe.skipIf(skipWithout('slurm'))('a node chained onto a sweep (the real local Slurm)', () => {
  it('submitted held on the job array right after it, coordinator killed -9: it runs after every task of the sweep, without a coordinator; a rerun submits nothing', async () => {
    const { dir, file } = sweepThenNode('sleep 4; echo x={experiment.x}');
    const spec = await load(file);
    const run = cliRun(dir);
    await bothSubmitted(run);
    const ids = startedIds(run.events());
    const [sweep, after] = [ids.get('wfsweep-s')!, ids.get('wfsweep-after')!];
    expect(sweep).toMatch(/^slurm:\d+_\d+$/);
    const array = sweep.replace(/_\d+$/, '');
    // Held on the whole array (all its tasks), the sweep not finished.
    expect(slurmJob(after).Dependency).toMatch(new RegExp(`^afterok:${array.slice(6)}(_\\*)?\\(unfulfilled\\)$`));
    expect(squeue([after])[0]).toMatch(/ PENDING (Dependency|None)$/);
    expect(sweepRuns(experimentOut(spec, 'wfsweep-s')).some((r) => r.end !== undefined)).toBe(false);

    // No coordinator: Slurm runs the three tasks, then the node.
    await until('the node to end', () => ended(after), 120_000);
    expect(slurmJob(after).JobState).toBe('COMPLETED');
    const tasks = slurmTasks(array);
    expect(tasks.map((t) => t.JobState)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const startTime = Date.parse(slurmJob(after).StartTime!);
    for (const t of tasks) expect(startTime, `task ${t.ArrayTaskId} ended ${t.EndTime}`).toBeGreaterThanOrEqual(Date.parse(t.EndTime!));
    // The run records agree (ms): the node started after each bundle's run ended.
    const runs = sweepRuns(experimentOut(spec, 'wfsweep-s'));
    expect(runs.map((r) => r.starts.length)).toEqual([1, 1, 1]);
    for (const r of runs) expect(runTimes(spec, 'wfsweep-after').start!, r.id).toBeGreaterThanOrEqual(r.end!);

    // eegen workflow run again: done at once with the same jobs; nothing submitted again.
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['wfsweep-s:done', 'wfsweep-after:done']);
    expect(r.nodes[1]).toMatchObject({ jobId: after, after: [array], run: 1 });
    expect(r.nodes[0]).toMatchObject({ jobId: sweep, bundles: 'done 3' });
    expect(starts(spec, 'wfsweep-after')).toBe(1);
    expect(sweepRuns(experimentOut(spec, 'wfsweep-s')).map((x) => x.starts.length)).toEqual([1, 1, 1]);
  }, 240_000);

  it('a failing task (allow_failed: 0): the held node never runs, Slurm ends it (DependencyNeverSatisfied), it is blocked, with or without a coordinator', async () => {
    const { dir, file } = sweepThenNode('sleep 3; test {experiment.x} -ne 2');
    const spec = await load(file);
    const run = cliRun(dir);
    await bothSubmitted(run);
    const ids = startedIds(run.events());
    const [sweep, after] = [ids.get('wfsweep-s')!, ids.get('wfsweep-after')!];
    await until('the node to leave the queue', () => squeue([after]).length === 0, 120_000);
    expect([slurmJob(after).JobState, slurmJob(after).Reason]).toEqual(['CANCELLED', 'DependencyNeverSatisfied']);
    expect(slurmTasks(sweep).map((t) => t.JobState).sort()).toEqual(['COMPLETED', 'COMPLETED', 'FAILED']);
    const st = await workflowStatus(spec);
    expect(st.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(st.nodes)).toEqual(['wfsweep-s:failed', 'wfsweep-after:blocked']);
    expect(st.nodes[1]).toMatchObject({ blockedBy: ['wfsweep-s'], jobId: after, why: 'held for wfsweep-s, which did not succeed (DependencyNeverSatisfied)' });
    // A coordinator ends at once: nothing started, the node stays blocked and never ran.
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.ok).toBe(false);
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['wfsweep-s:failed', 'wfsweep-after:blocked']);
    expect(r.nodes[0]!.why).toBe('1 of 3 bundles did not succeed (allow_failed: 0)');
    expect(rec.of('started').map((e) => (e as { node: string }).node)).toEqual(['wfsweep-s']);
    expect(starts(spec, 'wfsweep-after')).toBe(0);
  }, 240_000);

  it('allow_failed: 1 and one failing task: the held job ends unrun (afterok cannot count), the coordinator submits the node again once the sweep is done; it runs once, after the sweep', async () => {
    const { file } = sweepThenNode('sleep 3; test {experiment.x} -ne 2', { allowFailed: 1 });
    const spec = await load(file);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['wfsweep-s:done', 'wfsweep-after:done']);
    const [s, after] = r.nodes as [(typeof r.nodes)[0], (typeof r.nodes)[0]];
    expect(s.bundles!.split(', ').sort()).toEqual(['done 2', 'failed 1']);
    // Its first job was the one held on the array (it never started); the second ran.
    const first = rec.of('started').filter((e) => (e as { node: string }).node === 'wfsweep-after').map((e) => (e as { jobId: string }).jobId);
    expect(first).toHaveLength(2);
    // Ended by Slurm (DependencyNeverSatisfied), or cancelled by the coordinator first (still pending on Dependency) once it saw the sweep done.
    expect(slurmJob(first[0]!).JobState).toBe('CANCELLED');
    expect(['DependencyNeverSatisfied', 'Dependency']).toContain(slurmJob(first[0]!).Reason);
    expect(after).toMatchObject({ jobId: first[1], run: 2 });
    expect(after.after).toBeUndefined();
    expect(starts(spec, 'wfsweep-after')).toBe(1);
    for (const x of sweepRuns(experimentOut(spec, 'wfsweep-s'))) expect(runTimes(spec, 'wfsweep-after').start!, x.id).toBeGreaterThanOrEqual(x.end!);
  }, 240_000);

  it('two coordinators started at once on a sweep and the node chained onto it: every bundle and the node submitted once, the node after every task', async () => {
    const { dir, file } = sweepThenNode('sleep 3; echo x={experiment.x}');
    const spec = await load(file);
    const runs = [cliRun(dir), cliRun(dir)];
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes, runs.map((r) => r.output()).join('\n----\n')).toEqual([0, 0]);
    const ids = runs.map((r) => startedIds(r.events()));
    expect(ids[1]).toEqual(ids[0]);
    const submitted = (out: string) => readFileSync(path.join(out, '.eegen', 'ledger.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"action":"submitted"')).map((l) => (JSON.parse(l) as { id: string }).id).sort();
    expect(submitted(hostOut(spec, 'cluster'))).toEqual(['wfsweep-after']);
    expect(submitted(experimentOut(spec, 'wfsweep-s'))).toHaveLength(3);
    expect(new Set(submitted(experimentOut(spec, 'wfsweep-s'))).size).toBe(3);
    const runsNow = sweepRuns(experimentOut(spec, 'wfsweep-s'));
    expect(runsNow.map((x) => x.starts.length)).toEqual([1, 1, 1]);
    expect(starts(spec, 'wfsweep-after')).toBe(1);
    const st = await workflowStatus(spec);
    expect(st.nodes[1]!.after).toEqual([ids[0]!.get('wfsweep-s')!.replace(/_\d+$/, '')]);
    for (const x of runsNow) expect(runTimes(spec, 'wfsweep-after').start!, x.id).toBeGreaterThanOrEqual(x.end!);
  }, 240_000);

  it('workflow cancel of the sweep also cancels the node held for it: nothing of either is left in the queue, the node never ran and is blocked', async () => {
    const { dir, file } = sweepThenNode('sleep 60');
    const spec = await load(file);
    const run = cliRun(dir);
    await bothSubmitted(run);
    const ids = startedIds(run.events());
    const [sweep, after] = [ids.get('wfsweep-s')!, ids.get('wfsweep-after')!];
    const c = await cancelWorkflow(spec, { nodes: ['wfsweep-s'] });
    // (The sweep's node shares the host: only the host's script nodes are cancelled in its directory.)
    expect(c.hostErrors).toEqual([]);
    expect(c.cancelled.map((x) => x.id)).toContain('wfsweep-after');
    expect(c.cancelled.find((x) => x.id === 'wfsweep-after')!.jobId).toBe(after);
    await until('the sweep and the node to leave the queue', () => squeue([sweep.replace(/_\d+$/, ''), after]).length === 0, 60_000);
    const st = await workflowStatus(spec);
    expect(st.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(st.nodes)).toEqual(['wfsweep-s:failed', 'wfsweep-after:blocked']);
    expect(starts(spec, 'wfsweep-after')).toBe(0);
  }, 120_000);

  it('a node reading the sweep\'s merged results (inputs:) is not chained: it waits with the coordinator, says why, and reads results.csv once the sweep is collected', async () => {
    const { file } = sweepThenNode('sleep 2; echo x={experiment.x}', { after: 'inputs: {wfsweep-s: [results.csv]}', exec: "grep -c ',done,' inputs/wfsweep-s/results.csv > rows.txt" });
    const spec = await load(file);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['wfsweep-s:done', 'wfsweep-after:done']);
    expect(r.nodes[1]!.after).toBeUndefined();
    expect(readFileSync(path.join(hostOut(spec, 'cluster'), 'wfsweep-after', 'rows.txt'), 'utf8')).toBe('3\n');
    // While the sweep ran, the node's status said why the scheduler does not carry it.
    const waiting = rec.of('status').flatMap((e) => (e.type === 'status' ? e.nodes.filter((n) => n.name === 'wfsweep-after' && n.state === 'waiting') : []));
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.at(-1)!.why).toBe("not chained on cluster: its inputs from wfsweep-s are copied in by the coordinator once wfsweep-s ended (a sweep's merged results are collected on this machine first)");
    for (const x of sweepRuns(experimentOut(spec, 'wfsweep-s'))) expect(runTimes(spec, 'wfsweep-after').start!, x.id).toBeGreaterThanOrEqual(x.end!);
  }, 240_000);
});

describe('a node chained onto a sweep on LSF (fake bsub/bjobs/bkill: LSF cannot be installed here)', () => {
  const saved = { PATH: process.env.PATH, FAKE_LSF_DIR: process.env.FAKE_LSF_DIR };
  const fakeDir = tmpDir('eegen-wf-fake-lsf-sweep-');
  beforeAll(() => {
    process.env.PATH = `${path.resolve('test/workflow/fake-lsf')}:${path.resolve('test/dispatch/fake-lsf')}:${process.env.PATH}`;
    process.env.FAKE_LSF_DIR = fakeDir;
  });
  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_LSF_DIR === undefined) delete process.env.FAKE_LSF_DIR;
    else process.env.FAKE_LSF_DIR = saved.FAKE_LSF_DIR;
  });

  it("the node is submitted with -w 'done(..) && ..' on every job of the sweep while it runs, and runs after all of them (fake LSF)", async () => {
    const { file } = workflowDir(
      'workflow:\n  nodes:\n    wfsweep-s: {host: farm, experiment: {config: sweep.yaml}}\n    wfsweep-after: {host: farm, exec: "true", needs: wfsweep-s}\n',
      { 'sweep.yaml': SWEEP('sleep 3; echo x={experiment.x}'), 'hosts.yaml': 'hosts:\n  farm: {kind: lsf}\n' },
    );
    const spec = await load(file);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: 100, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`), JSON.stringify(r.nodes)).toEqual(['wfsweep-s:done', 'wfsweep-after:done']);
    const index = JSON.parse(readFileSync(path.join(experimentOut(spec, 'wfsweep-s'), 'index.json'), 'utf8')) as { bundles: { dir: string }[] };
    const sweepJobs = index.bundles.map((b) => readFileSync(path.join(experimentOut(spec, 'wfsweep-s'), b.dir, 'eegen-run', 'jobid'), 'utf8').split('\n')[0]!.replace(/^lsf:/, ''));
    const after = r.nodes[1]!.jobId!.replace(/^lsf:/, '');
    expect(readFileSync(path.join(fakeDir, `args.${after}`), 'utf8').split('\n').filter(Boolean)).toEqual(['-w', sweepJobs.map((j) => `done(${j})`).join(' && '), '-ti']);
    expect(r.nodes[1]!.after).toEqual(sweepJobs.map((j) => `lsf:${j}`));
    const order = rec.events.filter((e) => e.type === 'started' || e.type === 'done').map((e) => `${e.type}:${(e as { node: string }).node}`);
    expect(order).toEqual(['started:wfsweep-s', 'started:wfsweep-after', 'done:wfsweep-s', 'done:wfsweep-after']);
    for (const x of sweepRuns(experimentOut(spec, 'wfsweep-s'))) expect(runTimes(spec, 'wfsweep-after').start!, x.id).toBeGreaterThanOrEqual(x.end!);
  }, 90_000);
});
