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
import { chainAfter } from '../../src/workflow/chain.js';
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
    // A sweep on that one host is held as a whole; one split between hosts is not; nothing waits for a sweep (its results are collected first).
    expect(chainAfter(s, node('sweep'), m, ctx)).toEqual(['slurm:10']);
    expect(chainAfter(s, node('split'), m, ctx)).toBeUndefined();
    const sweeping = new Map(m).set('sweep', { name: 'sweep', kind: 'experiment', host: 'cluster', state: 'queued', jobId: 'slurm:40_0', run: 1, label: '' });
    expect(chainAfter(s, node('after-sweep'), sweeping, ctx)).toBeUndefined();
    // A tampered job id in a need's record never becomes a dependency.
    const bad = byName(derive(s, obs([{ id: 'a', state: 'queued', jobId: 'slurm:10;touch x', run: 1 }]), new Map(), {}));
    expect(chainAfter(s, node('b'), bad, ctx)).toBeUndefined();
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
