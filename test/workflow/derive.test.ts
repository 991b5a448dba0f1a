/**
 * The coordinator's pure parts: node bundles (deterministic, the wrapper hook, the
 * timeout, one per workflow file) and the state rules (blocked, ready, retries,
 * unreachable hosts keep what was last seen), on made-up host answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleStatus } from '../../src/dispatch/index.js';
import { WRAPPER_HOOK } from '../../src/bundle/wrapper.js';
import { hostPlans, nodeBundle } from '../../src/workflow/bundles.js';
import { derive, hostLimit } from '../../src/workflow/run.js';
import { loadWorkflow } from '../../src/workflow/spec.js';
import type { NodeStatus, WorkflowSpec } from '../../src/workflow/types.js';
import { tmpDir } from '../support/tree.js';

async function spec(yaml: string, name = 'wf.yaml'): Promise<WorkflowSpec> {
  const dir = tmpDir('eegen-wf-derive-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), yaml);
  writeFileSync(path.join(dir, 'job.sh'), '#!/bin/sh\necho job\n');
  const r = await loadWorkflow(path.join(dir, name));
  if (!r.spec) throw new Error(JSON.stringify(r.diagnostics));
  return r.spec;
}

const YAML = 'workflow:\n  nodes:\n    a: {exec: "true"}\n    b: {exec: "exit 1", needs: a, retries: 1}\n    c: {script: job.sh, needs: b, timeout: 5m}\n    d: {exec: "true", needs: a}\n  dependencies: ["c,end"]\n';

function obs(bundles: Partial<BundleStatus>[], unknownHosts: string[] = []) {
  return { bundles: new Map(bundles.map((b) => [b.id!, { state: 'built', ...b } as BundleStatus])), hostErrors: [], unknownHosts: new Set(unknownHosts) };
}
const states = (ns: NodeStatus[]) => ns.map((n) => `${n.name}:${n.state}`).join(' ');

describe('node bundles', () => {
  it('run.sh runs the command through the wrapper hook, under timeout when asked; same spec, same bytes', async () => {
    const s = await spec(YAML);
    const plans = hostPlans(s);
    const c = plans.get('local')!.bundles.find((b) => b.id === 'c')!;
    const run = c.files.find((f) => f.path === 'run.sh')!.content.toString();
    expect(run).toContain(WRAPPER_HOOK);
    expect(run).toContain('timeout -k 10 300 ./node/job.sh || rc=$?');
    expect(c.files.map((f) => f.path)).toEqual(['SHA256SUMS', 'eegen-run.sh', 'manifest.json', 'node.json', 'node/job.sh', 'run.sh'].sort());
    expect(hostPlans(s).get('local')!.bundles.map((b) => b.hash)).toEqual(plans.get('local')!.bundles.map((b) => b.hash));
    const a = plans.get('local')!.bundles.find((b) => b.id === 'a')!;
    expect(a.files.find((f) => f.path === 'node/exec.sh')!.content.toString()).toBe('true\n');
    expect(spawnSync('bash', ['-n'], { input: run }).status).toBe(0);
  });

  it("another workflow file's node of the same name and command is another bundle (hosts never share its run)", async () => {
    const one = await spec(YAML);
    const two = await spec(YAML, 'other.yaml');
    const w = Buffer.from('x');
    expect(nodeBundle(one, one.nodes[1]!, 0, w).hash).not.toBe(nodeBundle(two, two.nodes[1]!, 0, w).hash);
  });
});

describe('node states', () => {
  it('waiting, ready, then each run state; a failure with retries left does not block; without, it does', async () => {
    const s = await spec(YAML);
    expect(states(derive(s, obs([]), new Map(), {}))).toBe('a:ready b:waiting c:waiting d:waiting end:waiting');
    expect(states(derive(s, obs([{ id: 'a', state: 'done', jobId: 'local:1' }]), new Map(), {}))).toBe('a:done b:ready c:waiting d:ready end:waiting');
    const once = derive(s, obs([{ id: 'a', state: 'done', jobId: 'local:1' }, { id: 'b', state: 'failed', jobId: 'local:2', run: 1, exitCode: 1 }]), new Map(), {});
    expect(states(once)).toBe('a:done b:failed c:waiting d:ready end:waiting');
    const twice = derive(s, obs([{ id: 'a', state: 'done', jobId: 'local:1' }, { id: 'b', state: 'failed', jobId: 'local:3', run: 2, exitCode: 1 }]), new Map(), {});
    expect(states(twice)).toBe('a:done b:failed c:blocked d:ready end:blocked');
    expect(twice.find((n) => n.name === 'end')!.blockedBy).toEqual(['c']);
  });

  it('a cancelled run is never retried and blocks; a host that could not be asked keeps what was seen last', async () => {
    const s = await spec(YAML);
    const cancelled = derive(s, obs([{ id: 'a', state: 'cancelled', jobId: 'local:1' }]), new Map(), {});
    expect(states(cancelled)).toBe('a:cancelled b:blocked c:blocked d:blocked end:blocked');
    const seen = new Map(cancelled.map((n) => [n.name, n]));
    expect(states(derive(s, obs([], ['local']), seen, {}))).toBe(states(cancelled));
    expect(states(derive(s, obs([], ['local']), new Map(), {}))).toBe('a:waiting b:waiting c:waiting d:waiting end:waiting');
  });

  it('host limits: slots where given, one at a time on local/ssh hosts without, no limit on schedulers', () => {
    expect(hostLimit({ name: 'x', kind: 'ssh' })).toBe(1);
    expect(hostLimit({ name: 'x', kind: 'ssh', slots: 4 })).toBe(4);
    expect(hostLimit({ name: 'x', kind: 'slurm' })).toBe(Infinity);
    expect(hostLimit({ name: 'x', kind: 'lsf', slots: 2 })).toBe(2);
  });
});
