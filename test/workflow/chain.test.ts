/**
 * The chain rules (src/workflow/chain.ts) on made-up host answers: when a node is
 * submitted to wait for its needs' jobs, and what a held run that has not started is,
 * as its needs stand (held, blocked, stale).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/dispatch/context.js';
import type { BundleStatus } from '../../src/dispatch/index.js';
import { chainAfter, pendingChain, unchainedWhy, type SweepJobs } from '../../src/workflow/chain.js';
import { derive } from '../../src/workflow/run.js';
import { loadWorkflow } from '../../src/workflow/spec.js';
import type { NodeStatus, WorkflowSpec } from '../../src/workflow/types.js';
import { tmpDir } from '../support/tree.js';

const YAML = `workflow:
  nodes:
    a: {host: cluster, exec: "true"}
    b: {host: cluster, exec: "true", needs: a}
    c: {host: cluster, exec: "true", needs: b}
    r: {host: cluster, exec: "true", retries: 1}
    after-r: {host: cluster, exec: "true", needs: r}
    in: {host: cluster, exec: "true", inputs: {a: [x.txt]}}
    far: {host: farm, exec: "true", needs: a}
    box: {host: local, exec: "true"}
    after-box: {host: box2, exec: "true", needs: box}
    two: {host: cluster, exec: "true", needs: [a, box]}
    sweep: {experiment: {config: c.yaml, hosts: [cluster]}, needs: a}
    split: {experiment: {config: c.yaml, hosts: [cluster, farm]}, needs: a}
    after-sweep: {host: cluster, exec: "true", needs: sweep}
    reads-sweep: {host: cluster, exec: "true", inputs: {sweep: [results.csv]}}
    after-split: {host: cluster, exec: "true", needs: split}
    sweep-r: {experiment: {config: c.yaml, hosts: [cluster]}, retries: 1}
    after-sweep-r: {host: cluster, exec: "true", needs: sweep-r}
    box-after-sweep: {host: box2, exec: "true", needs: sweep}
`;

async function spec(): Promise<WorkflowSpec> {
  const dir = tmpDir('eegen-wf-chain-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'wf.yaml'), YAML);
  writeFileSync(path.join(dir, 'c.yaml'), 'experiment:\n  x: "1,2"\n');
  writeFileSync(path.join(dir, 'hosts.yaml'), 'hosts:\n  cluster: {kind: slurm}\n  farm: {kind: slurm}\n  box2: {kind: ssh, hostname: box2.example}\n');
  const r = await loadWorkflow(path.join(dir, 'wf.yaml'));
  if (!r.spec) throw new Error(JSON.stringify(r.diagnostics));
  return r.spec;
}

const obs = (bundles: Partial<BundleStatus>[]) => ({ bundles: new Map(bundles.map((b) => [b.id!, { state: 'built', ...b } as BundleStatus])), hostErrors: [], unknownHosts: new Set<string>() });
const byName = (ns: NodeStatus[]) => new Map(ns.map((n) => [n.name, n]));
const ctx = createContext();

describe('chains the scheduler carries: the rules', () => {
  it('a waiting node is submitted after its needs\' jobs when each is done or active on its own scheduler host, a last try', async () => {
    const s = await spec();
    const node = (n: string) => s.nodes.find((x) => x.name === n)!;
    const now = derive(s, obs([{ id: 'a', state: 'queued', jobId: 'slurm:10', run: 1 }, { id: 'r', state: 'running', jobId: 'slurm:11', run: 1 }, { id: 'box', state: 'running', jobId: 'local:99' }]), new Map(), {});
    const m = byName(now);
    expect(chainAfter(s, node('b'), m, ctx)).toEqual(['slurm:10']);
    // c needs b, which has not been submitted: it waits for the next poll.
    expect(chainAfter(s, node('c'), m, ctx)).toBeUndefined();
    // r has a retry left: a job held for this try could wait for ever; the coordinator decides.
    expect(chainAfter(s, node('after-r'), m, ctx)).toBeUndefined();
    // Its inputs are copied in by the coordinator once a ended.
    expect(chainAfter(s, node('in'), m, ctx)).toBeUndefined();
    // Another Slurm cluster, an ssh host (no dependencies), a need on another host.
    expect(chainAfter(s, node('far'), m, ctx)).toBeUndefined();
    expect(chainAfter(s, node('after-box'), m, ctx)).toBeUndefined();
    expect(chainAfter(s, node('two'), m, ctx)).toBeUndefined();
    // r's last try, and a done need besides an active one: only the active one is waited for.
    const last = byName(derive(s, obs([{ id: 'a', state: 'done', jobId: 'slurm:10' }, { id: 'b', state: 'running', jobId: 'slurm:12', run: 1 }, { id: 'r', state: 'queued', jobId: 'slurm:13', run: 2 }]), new Map(), {}));
    expect(chainAfter(s, node('after-r'), last, ctx)).toEqual(['slurm:13']);
    expect(chainAfter(s, node('c'), last, ctx)).toEqual(['slurm:12']);
    // A sweep on that one host is held as a whole; one split between hosts is not.
    expect(chainAfter(s, node('sweep'), m, ctx)).toEqual(['slurm:10']);
    expect(chainAfter(s, node('split'), m, ctx)).toBeUndefined();
    // A tampered job id in a need's record never becomes a dependency.
    const bad = byName(derive(s, obs([{ id: 'a', state: 'queued', jobId: 'slurm:10;touch x', run: 1 }]), new Map(), {}));
    expect(chainAfter(s, node('b'), bad, ctx)).toBeUndefined();
  });

  it('a node after a sweep on the same cluster waits for every job of it; not with inputs from it, a need with retries, a sweep split or not fully submitted (why says so)', async () => {
    const s = await spec();
    const node = (n: string) => s.nodes.find((x) => x.name === n)!;
    const st = (name: string, jobId: string, run = 1) => ({ name, kind: 'experiment', host: 'cluster', state: 'running' as const, jobId, run, label: '' });
    const m = new Map([['sweep', st('sweep', 'slurm:40_0')], ['split', st('split', 'slurm:50_0')], ['sweep-r', st('sweep-r', 'slurm:60_0')]]);
    const sweeps = new Map<string, SweepJobs>([
      ['sweep', { jobId: 'slurm:40_0', jobs: ['slurm:40', 'slurm:41'], failed: 0 }],
      ['split', { jobId: 'slurm:50_0', jobs: ['slurm:50'], failed: 0 }],
      ['sweep-r', { jobId: 'slurm:60_0', jobs: ['slurm:60'], failed: 0 }],
    ]);
    // Every job array of the sweep (an array as a whole: all its tasks).
    expect(chainAfter(s, node('after-sweep'), m, ctx, sweeps)).toEqual(['slurm:40', 'slurm:41']);
    expect(unchainedWhy(s, node('after-sweep'), m, ctx, sweeps)).toBeUndefined();
    // Not seen yet as a whole, or only partly submitted: wait for the next poll.
    expect(chainAfter(s, node('after-sweep'), m, ctx)).toBeUndefined();
    expect(chainAfter(s, node('after-sweep'), m, ctx, new Map(sweeps).set('sweep', { ...sweeps.get('sweep')!, incomplete: true }))).toBeUndefined();
    // Its merged results are collected on this machine before the reader starts.
    expect(chainAfter(s, node('reads-sweep'), m, ctx, sweeps)).toBeUndefined();
    expect(unchainedWhy(s, node('reads-sweep'), m, ctx, sweeps)).toBe("not chained on cluster: its inputs from sweep are copied in by the coordinator once sweep ended (a sweep's merged results are collected on this machine first)");
    // Split between two clusters, a retry left, another host without dependencies.
    expect(chainAfter(s, node('after-split'), m, ctx, sweeps)).toBeUndefined();
    expect(unchainedWhy(s, node('after-split'), m, ctx, sweeps)).toBeUndefined();
    expect(chainAfter(s, node('after-sweep-r'), m, ctx, sweeps)).toBeUndefined();
    expect(unchainedWhy(s, node('after-sweep-r'), m, ctx, sweeps)).toMatch(/^not chained to sweep-r on cluster: sweep-r has retries left/);
    expect(chainAfter(s, node('box-after-sweep'), m, ctx, sweeps)).toBeUndefined();
    expect(unchainedWhy(s, node('box-after-sweep'), m, ctx, sweeps)).toBeUndefined();
    // The sweep's last try: chained.
    expect(chainAfter(s, node('after-sweep-r'), new Map(m).set('sweep-r', st('sweep-r', 'slurm:60_0', 2)), ctx, sweeps)).toEqual(['slurm:60']);
    // derive shows why a node waits with the coordinator.
    const derived = derive(s, { ...obs([{ id: 'r', state: 'running', jobId: 'slurm:11', run: 1 }]), experiments: new Map() }, new Map(), {});
    expect(derived.find((x) => x.name === 'after-r')).toMatchObject({ state: 'waiting', why: expect.stringMatching(/^not chained to r on cluster: r has retries left/) });
  });

  it('a run held for a sweep: held while it runs; once the sweep is done with failed bundles (allow_failed), tolerated: it counts as none and is submitted again', () => {
    const done = { name: 'sweep', kind: 'experiment', host: 'cluster', state: 'done' as const, jobId: 'slurm:40_0', run: 1, label: '' };
    const held = { after: ['slurm:40'], state: 'cancelled' };
    expect(pendingChain(held, [done], new Map([['sweep', { jobId: 'slurm:40_0', jobs: ['slurm:40'], failed: 1 }]]))).toBe('tolerated');
    expect(pendingChain(held, [done], new Map([['sweep', { jobId: 'slurm:40_0', jobs: ['slurm:40'], failed: 0 }]]))).toBe('held');
    expect(pendingChain(held, [{ ...done, state: 'running' }], new Map([['sweep', { jobId: 'slurm:40_0', jobs: ['slurm:40'], failed: 1 }]]))).toBe('held');
    // The sweep ran again (a retried bundle: its own job): the run waits for what no longer stands.
    expect(pendingChain(held, [done], new Map([['sweep', { jobId: 'slurm:40_0', jobs: ['slurm:40_0', 'slurm:77'], failed: 0 }]]))).toBe('stale');
    expect(pendingChain({ ...held, started: '2026-01-01T00:00:00Z' }, [done], new Map())).toBeUndefined();
  });

  it('a held run that has not started: its own state while its need is active or done; blocked when the need failed; as none when it waits for a replaced run or a try that will be retried', async () => {
    const s = await spec();
    const at = (bundles: Partial<BundleStatus>[], n: string) => derive(s, obs(bundles), new Map(), {}).find((x) => x.name === n)!;
    const held = { id: 'b', state: 'queued' as const, jobId: 'slurm:20', run: 1, after: ['slurm:10'], reason: 'Dependency' };
    expect(at([{ id: 'a', state: 'running', jobId: 'slurm:10' }, held], 'b')).toMatchObject({ state: 'queued', jobId: 'slurm:20', after: ['slurm:10'] });
    const blocked = at([{ id: 'a', state: 'failed', jobId: 'slurm:10', exitCode: 3 }, { ...held, state: 'cancelled', reason: 'DependencyNeverSatisfied' }], 'b');
    expect(blocked).toMatchObject({ state: 'blocked', blockedBy: ['a'], jobId: 'slurm:20', why: 'held for a, which did not succeed (DependencyNeverSatisfied)' });
    expect(at([{ id: 'a', state: 'failed', jobId: 'slurm:10', exitCode: 3 }, { ...held, state: 'cancelled' }], 'c')).toMatchObject({ state: 'blocked', blockedBy: ['b'] });
    // a ran again (another job id): b's run waits for nothing that will come; b waits for a's new run.
    const stale = at([{ id: 'a', state: 'running', jobId: 'slurm:30', run: 2 }, { ...held, state: 'cancelled' }], 'b');
    expect(stale.state).toBe('waiting');
    expect(stale.jobId).toBeUndefined();
    // A held run of r's first try, which r retries: none either.
    expect(at([{ id: 'r', state: 'failed', jobId: 'slurm:11', run: 1 }, { id: 'after-r', state: 'queued', jobId: 'slurm:21', run: 1, after: ['slurm:11'] }], 'after-r').state).toBe('waiting');
    // A held run that started is a run like any other: its failure is its own.
    expect(at([{ id: 'a', state: 'done', jobId: 'slurm:10' }, { ...held, state: 'failed', started: '2026-01-01T00:00:00Z', exitCode: 1 }], 'b').state).toBe('failed');
  });
});
