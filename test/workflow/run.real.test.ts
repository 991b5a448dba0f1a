/**
 * The coordinator on real processes: local background jobs through the dispatcher, a
 * coordinator killed with SIGKILL and started again, two coordinators at once, failures,
 * retries, timeouts, a changed spec, and a node on the real sshd.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../src/util/abort.js';
import { hostOut } from '../../src/workflow/bundles.js';
import { runWorkflow, workflowStatus } from '../../src/workflow/run.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { coordinator, fixtureCopy, load, recorder, runTimes, starts, workflowDir } from './helpers.js';

const POLL = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('eegen workflow: running (real local processes)', () => {
  it("runs the paper's example to its end, in order, each node once, with rendered labels", async () => {
    const dir = fixtureCopy('cloudmesh');
    const spec = await load(path.join(dir, 'workflow.yaml'));
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: POLL, onEvent: rec.onEvent });
    expect(r.ok).toBe(true);
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['start:done', 'fetch-data:done', 'compute:done', 'analyze:done', 'end:done']);
    expect(r.nodes.map((n) => n.label)).toEqual(['start', 'fetch-data\nprogress=100', 'compute\nprogress=100', 'analyze\nprogress=100', 'end']);
    for (const n of ['fetch-data', 'compute', 'analyze']) expect(starts(spec, n), n).toBe(1);
    // Each started after the one before it ended (the hosts' own records).
    const t = ['fetch-data', 'compute', 'analyze'].map((n) => runTimes(spec, n));
    expect(t[1]!.start!).toBeGreaterThanOrEqual(t[0]!.end!);
    expect(t[2]!.start!).toBeGreaterThanOrEqual(t[1]!.end!);
    // Every node that ran was reported started, then done; the run ended with one `finished`.
    for (const n of ['fetch-data', 'compute', 'analyze']) {
      const mine = rec.events.filter((e) => 'node' in e && e.node === n).map((e) => e.type);
      expect(mine.filter((x) => x !== 'progress' && x !== 'queued'), n).toEqual(['started', 'done']);
    }
    expect(rec.of('finished')).toHaveLength(1);
    // A second run starts nothing and reports the same.
    const again = await runWorkflow(spec, { pollMs: POLL });
    expect(again.ok).toBe(true);
    for (const n of ['fetch-data', 'compute', 'analyze']) expect(starts(spec, n)).toBe(1);
  });

  it('a failing node blocks its dependents, a parallel branch goes on; retries; a node timeout', async () => {
    const count = path.join(tmpDir('eegen-wf-count-'), 'flaky');
    const { file } = workflowDir(`workflow:
  nodes:
    a: {exec: "true"}
    bad: {exec: "echo failing; exit 3", needs: a}
    after-bad: {exec: "true", needs: bad}
    side: {exec: "sleep 0.5", needs: a}
    after-side: {exec: "true", needs: side}
    flaky: {exec: "n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; [ $n -ge 1 ]", retries: 2, needs: a}
    hopeless: {exec: "exit 1", retries: 1}
    slow: {exec: "sleep 30", timeout: 1}
    after-slow: {exec: "true", needs: slow}
  dependencies:
    - after-bad,end
`);
    const spec = await load(file);
    const rec = recorder();
    const t0 = Date.now();
    const r = await runWorkflow(spec, { pollMs: POLL, onEvent: rec.onEvent });
    expect(Date.now() - t0).toBeLessThan(25_000);
    const state = Object.fromEntries(r.nodes.map((n) => [n.name, n.state]));
    expect(state).toEqual({ a: 'done', bad: 'failed', 'after-bad': 'blocked', side: 'done', 'after-side': 'done', flaky: 'done', hopeless: 'failed', slow: 'timeout', 'after-slow': 'blocked', end: 'blocked' });
    expect(r.ok).toBe(false);
    const byName = Object.fromEntries(r.nodes.map((n) => [n.name, n]));
    expect(byName.bad).toMatchObject({ exitCode: 3, why: 'exited with code 3' });
    expect(byName['after-bad']!.blockedBy).toEqual(['bad']);
    expect(byName.end!.blockedBy).toEqual(['after-bad']);
    expect(byName.slow!.why).toBe('stopped at its timeout (1 s)');
    expect([starts(spec, 'after-bad'), starts(spec, 'after-slow')]).toEqual([0, 0]);
    expect([starts(spec, 'flaky'), byName.flaky!.run]).toEqual([2, 2]);
    expect([starts(spec, 'hopeless'), byName.hopeless!.run]).toEqual([2, 2]);
    expect(rec.of('failed').filter((e) => e.type === 'failed' && e.node === 'hopeless').map((e) => (e as { retry: boolean }).retry)).toEqual([true, false]);
    expect(rec.of('blocked').map((e) => (e as { node: string }).node).sort()).toEqual(['after-bad', 'after-slow', 'end']);

    // --rerun-failed: the failed and timed-out nodes run again (out of retries or not), then their dependents stay blocked.
    const again = await runWorkflow(spec, { pollMs: POLL, rerunFailed: true });
    expect([starts(spec, 'bad'), starts(spec, 'hopeless'), starts(spec, 'slow'), starts(spec, 'a'), starts(spec, 'flaky')]).toEqual([2, 3, 2, 1, 2]);
    expect(again.nodes.find((n) => n.name === 'after-bad')!.state).toBe('blocked');
  }, 90_000);

  it('kill -9 of the coordinator at several moments, then a restart: every node ran exactly once', async () => {
    // fetch -> 4 parallel computes (2 at a time: local slots) -> analyze -> end
    const yaml = `workflow:
  nodes:
    fetch: {exec: "sleep 0.4"}
    c1: {exec: "sleep 0.6", needs: fetch}
    c2: {exec: "sleep 0.6", needs: fetch}
    c3: {exec: "sleep 0.6", needs: fetch}
    c4: {exec: "sleep 0.6", needs: fetch}
    analyze: {exec: "sleep 0.3", needs: [c1, c2, c3, c4]}
  dependencies: ['analyze,end']
`;
    for (const killAt of [150, 700, 1500, 2600]) {
      const { file } = workflowDir(yaml);
      const spec = await load(file);
      const child = coordinator(file);
      await sleep(killAt);
      child.kill('SIGKILL');
      await child.exited;
      const r = await runWorkflow(spec, { pollMs: POLL });
      expect(r.ok, `killed at ${killAt} ms: ${child.output()}`).toBe(true);
      for (const n of ['fetch', 'c1', 'c2', 'c3', 'c4', 'analyze']) expect(starts(spec, n), `${n}, killed at ${killAt} ms`).toBe(1);
      const a = runTimes(spec, 'analyze');
      for (const c of ['c1', 'c2', 'c3', 'c4']) expect(a.start!).toBeGreaterThanOrEqual(runTimes(spec, c).end!);
    }
  }, 120_000);

  it('picks up nodes that finished while no coordinator ran', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    a: {exec: "sleep 1"}\n    b: {exec: "true", needs: a}\n');
    const spec = await load(file);
    const child = coordinator(file);
    for (let i = 0; i < 100 && starts(spec, 'a') === 0; i++) await sleep(50);
    child.kill('SIGKILL');
    await child.exited;
    await sleep(1500);
    const before = await workflowStatus(spec);
    expect(before.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['a:done', 'b:ready']);
    const r = await runWorkflow(spec, { pollMs: POLL });
    expect(r.ok).toBe(true);
    expect([starts(spec, 'a'), starts(spec, 'b')]).toEqual([1, 1]);
  }, 60_000);

  it('two coordinators at once on the same workflow: no node starts twice', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => `    n${i}: {exec: "sleep 0.2", needs: fetch}`).join('\n');
    const { file } = workflowDir(`workflow:\n  nodes:\n    fetch: {exec: "true"}\n${nodes}\n    join: {exec: "true", needs: [n0, n1, n2, n3, n4, n5]}\n`, { 'hosts.yaml': 'hosts:\n  local: {kind: local, slots: 3}\n' });
    const spec = await load(file);
    const one = coordinator(file, { pollMs: 20 });
    const two = coordinator(file, { pollMs: 20 });
    const codes = await Promise.all([one.exited, two.exited]);
    expect(codes, one.output() + two.output()).toEqual([0, 0]);
    for (const n of ['fetch', 'n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'join']) expect(starts(spec, n), n).toBe(1);
    // Each node was launched by one of them (the other saw it already there).
    const launched = (out: string) => out.split('\n').filter((l) => l.includes('"type":"started"')).length;
    expect(launched(one.output()) + launched(two.output())).toBeGreaterThanOrEqual(8);
  }, 60_000);

  it('a node whose spec changed since it ran is reported and not rerun; --rerun NODE reruns only it', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    a: {exec: "echo one"}\n    b: {exec: "true", needs: a}\n');
    let spec = await load(file);
    expect((await runWorkflow(spec, { pollMs: POLL })).ok).toBe(true);
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo one', 'echo two'));
    spec = await load(file);
    // status sees the change too (it rewrites the node's bundle when index.json no longer matches the spec).
    expect((await workflowStatus(spec)).nodes.map((n) => `${n.name}:${n.changed ?? false}`)).toEqual(['a:true', 'b:false']);
    const rec = recorder();
    const r = await runWorkflow(spec, { pollMs: POLL, onEvent: rec.onEvent });
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.changed ?? false}`)).toEqual(['a:done:true', 'b:done:false']);
    expect(rec.of('changed')).toEqual([{ type: 'changed', node: 'a' }]);
    expect([starts(spec, 'a'), starts(spec, 'b')]).toEqual([1, 1]);
    const rerun = await runWorkflow(spec, { pollMs: POLL, rerun: ['a'] });
    expect(rerun.nodes.map((n) => `${n.name}:${n.state}:${n.changed ?? false}:${n.run}`)).toEqual(['a:done:false:2', 'b:done:false:1']);
    expect([starts(spec, 'a'), starts(spec, 'b')]).toEqual([2, 1]);
    expect(readFileSync(path.join(hostOut(spec, 'local'), 'a', 'eegen-run', 'output.log'), 'utf8')).toContain('two');
    await expect(runWorkflow(spec, { rerun: ['x'] })).rejects.toThrow(/EG7130/);
  }, 60_000);

  it('an abort rejects with AbortError and leaves the runs going; the next run finishes them, none twice', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    a: {exec: "sleep 1"}\n    b: {exec: "true", needs: a}\n');
    const spec = await load(file);
    const ac = new AbortController();
    const p = runWorkflow(spec, { pollMs: POLL, signal: ac.signal, onEvent: (e) => e.type === 'started' && ac.abort() });
    const e = await p.catch((x: unknown) => x);
    expect(isAbortError(e)).toBe(true);
    const r = await runWorkflow(spec, { pollMs: POLL });
    expect(r.ok).toBe(true);
    expect([starts(spec, 'a'), starts(spec, 'b')]).toEqual([1, 1]);
  }, 60_000);

  it('hostile values: a command with quotes, $() and a newline runs as written, nothing else runs', async () => {
    const dir = tmpDir('eegen-wf-evil-');
    const { file } = workflowDir(`workflow:\n  nodes:\n    evil:\n      exec: |\n        echo "it's \\$(not run)" '$(neither)' > ${dir}/out\n        echo second line >> ${dir}/out\n      label: '{name} $(touch ${dir}/pwned)'\n`);
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: POLL });
    expect(r.ok).toBe(true);
    expect(readFileSync(path.join(dir, 'out'), 'utf8')).toBe("it's $(not run) $(neither)\nsecond line\n");
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(r.nodes[0]!.label).toBe(`evil $(touch ${dir}/pwned)`);
  }, 30_000);
});

describe.skipIf(skipWithout('ssh', 'rsync'))('eegen workflow on the real sshd', () => {
  it('a node on an ssh host runs after a local one, and its status comes back', async () => {
    const { ssh } = testEnv();
    const work = tmpDir('eegen-wf-ssh-');
    const { file } = workflowDir(
      `workflow:
  nodes:
    fetch: {exec: "echo fetched", host: localhost, kind: local}
    remote: {exec: "echo '# cloudmesh status=running progress=50'; hostname", host: box, kind: ssh, needs: fetch, label: '{name}@{host} {progress}%'}
  dependencies: ['remote,end']
`,
      { 'hosts.yaml': `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}\n` },
    );
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: POLL });
    expect(r.nodes.map((n) => `${n.name}:${n.state}:${n.host ?? ''}`)).toEqual(['fetch:done:local', 'remote:done:box', 'end:done:']);
    expect(r.nodes[1]!.label).toBe('remote@box 100%');
    expect(starts(spec, 'remote', [path.join(work, 'box')])).toBe(1);
    const again = await runWorkflow(spec, { pollMs: POLL });
    expect(again.ok).toBe(true);
    expect(starts(spec, 'remote', [path.join(work, 'box')])).toBe(1);
  }, 90_000);
});
