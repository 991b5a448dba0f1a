/**
 * The dispatcher as the package exports it (src/index.ts, what dist/index.js is): runSweep
 * reports every step through one EegenEvent stream; host failures are diagnostics with
 * EG6xxx codes; the CLI's status --exit-code, run --json and the log locations of failed
 * runs (real local processes, the real sshd).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as eegen from '../../src/index.js';
import { LOCAL_HOST, runSweep, status, submit, type EegenEvent } from '../../src/index.js';
import { eegen as cli } from '../support/cli.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

describe('the package exports the dispatcher', () => {
  it('submit, status, watch, cancel, collect, runSweep, createContext, AbortError from the package entry', () => {
    for (const name of ['submit', 'status', 'watch', 'cancel', 'collect', 'runSweep', 'createContext', 'hostsToAsk', 'loadInventory', 'findHostsFile', 'pickHosts', 'isAbortError', 'DryRunner']) expect(typeof (eegen as Record<string, unknown>)[name], name).toBe('function');
    expect(typeof eegen.realRunner.run).toBe('function');
    expect(new eegen.AbortError()).toBeInstanceOf(Error);
    expect(eegen.DISPATCH_CODES.unreachable).toBe('EG6010');
  });

  it('bench/run.js imports only the package entry, no deep dist/dispatch path', () => {
    const text = readFileSync('bench/run.js', 'utf8');
    expect(text).not.toMatch(/dist\/dispatch/);
    expect(text).toMatch(/from '\.\.\/dist\/index\.js'/);
  });
});

describe('runSweep: one event stream from build to collect (local processes)', () => {
  it('compile/write, then asked, submitted, status per poll, state per change, collected, results; ok', async () => {
    const dir = tmpDir('eegen-api-');
    const { cpSync, writeFileSync } = await import('node:fs');
    cpSync('fixtures/example', dir, { recursive: true });
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('lr: "0.01,0.1,1"', 'lr: "0.01,0.1"'));
    const events: EegenEvent[] = [];
    const r = await runSweep({ config, out: path.join(dir, 'out'), hosts: [LOCAL_HOST], intervalMs: 300, onEvent: (e) => events.push(e) });
    expect(r.ok).toBe(true);
    expect(r.collect!.rows).toHaveLength(8);
    const types = events.map((e) => e.type);
    const first = (t: EegenEvent['type']) => types.indexOf(t);
    expect(first('compile')).toBe(0);
    expect(first('compile')).toBeLessThan(first('asked'));
    expect(first('asked')).toBeLessThan(first('submitted'));
    expect(first('submitted')).toBeLessThan(first('status'));
    expect(first('status')).toBeLessThan(first('collected'));
    expect(types.at(-1)).toBe('results');
    const compiled = events.filter((e): e is Extract<EegenEvent, { type: 'compile' }> => e.type === 'compile');
    expect(compiled.at(-1)).toEqual({ type: 'compile', done: 8, total: 8 });
    const sub = events.find((e): e is Extract<EegenEvent, { type: 'submitted' }> => e.type === 'submitted')!;
    expect(sub.host).toBe('local');
    expect(sub.report.submitted).toHaveLength(8);
    const states = events.filter((e): e is Extract<EegenEvent, { type: 'state' }> => e.type === 'state');
    // Each bundle ended in a change to done, from what the poll before saw.
    for (const id of r.collect!.rows.map((x) => String(x.id))) {
      const last = states.filter((s) => s.id === id).at(-1);
      if (last) expect(last).toMatchObject({ to: 'done', host: 'local', bundle: { id, state: 'done' } });
      if (last) expect(last.from).not.toBe('done');
    }
    expect(states.length).toBeGreaterThan(0);
    const polls = events.filter((e): e is Extract<EegenEvent, { type: 'status' }> => e.type === 'status');
    expect(polls.at(-1)!.bundles.every((b) => b.state === 'done')).toBe(true);
    const collected = events.find((e): e is Extract<EegenEvent, { type: 'collected' }> => e.type === 'collected')!;
    expect(collected.host).toBe('local');
    expect(collected.rows).toHaveLength(8);
  }, 120_000);
});

describe('host failures are diagnostics (EG6xxx), in the library and the CLI', () => {
  it('status, submit and collect of an unreachable host: code EG6010, message naming the host, a hint; the CLI warns without a stack trace', async () => {
    const { dir, out } = await buildExample();
    const hosts = await inventory(dir, 'hosts:\n  dead: {kind: ssh, hostname: 127.0.0.1, port: 1, ssh_options: [ConnectTimeout=3], workdir: /tmp/nowhere}\n');
    const dead = hosts.get('dead')!;
    const st = await status({ out, hosts: [dead] });
    expect(st.hostErrors).toHaveLength(1);
    expect(st.hostErrors[0]).toMatchObject({ host: 'dead', diagnostic: { code: 'EG6010', severity: 'error' } });
    expect(st.hostErrors[0]!.diagnostic.message).toMatch(/^dead: /);
    expect(st.hostErrors[0]!.diagnostic.hint).toMatch(/ssh/);
    const sub = await submit({ out, hosts: [dead] });
    expect(sub.hosts[0]).toMatchObject({ ok: false, error: expect.stringMatching(/cannot reach dead/), diagnostic: { code: 'EG6010' } });
    const c = await eegen.collect({ out, hosts: [dead] });
    expect(c.hostErrors.map((e) => e.diagnostic.code)).toEqual(['EG6010']);
    const r = cli(['status', out, '--host', 'dead', '--hosts', path.join(dir, 'hosts.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: dead: .*\[EG6010\]$/m);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  }, 60_000);
});

describe('CLI: status --exit-code, log locations of failed runs, run --json (local processes)', () => {
  it('status --exit-code is 1 while a bundle failed, 0 without the flag; status and collect say where the failed run\'s log is', async () => {
    const { out } = await buildExample({ edit: (y) => y.replace('run:\n  command: node', 'run:\n  command: test {experiment.lr} != 1 || { echo "lr 1 is not allowed" >&2; exit 3; }; node') });
    expect(cli(['submit', out, '--host', 'local', '--only', 'lr-1_epochs-5_repeat-1,lr-0.1_epochs-5_repeat-1']).code).toBe(0);
    await waitFinished(out, [LOCAL_HOST]);
    const plain = cli(['status', out]);
    expect(plain.code).toBe(0);
    expect(cli(['status', out, '--exit-code']).code).toBe(1);
    expect(cli(['status', out, '--exit-code', '--only', 'lr-0.1_*']).code).toBe(0);
    const log = path.join(out, 'lr-1_epochs-5_repeat-1', 'eegen-run', 'output.log');
    expect(plain.stdout).toContain('Logs of runs that did not succeed');
    expect(plain.stdout).toContain(`lr-1_epochs-5_repeat-1: ${path.resolve(log)}`);
    expect(readFileSync(log, 'utf8')).toContain('lr 1 is not allowed');
    const json = JSON.parse(cli(['status', out, '--json', '--only', 'lr-1_epochs-5_repeat-1']).stdout) as { logs?: { file: string; onHost: string; local: string }[] }[];
    expect(json[0]!.logs).toEqual([{ file: 'eegen-run/output.log', onHost: path.resolve(log), local: log }]);
    const col = cli(['collect', out]);
    expect(col.stdout).toContain('Logs of runs that did not succeed');
    // The successful one has no log line.
    expect(plain.stdout).not.toMatch(/lr-0\.1_epochs-5_repeat-1: \//);
  }, 120_000);

  it('run --json prints one JSON document at the end (ok, build, submit, status, collect) and nothing else on stdout', () => {
    const out = path.join(tmpDir('eegen-runjson-'), 'out');
    const r = cli(['run', 'fixtures/example/config.yaml', '--out', out, '--json', '--interval', '0.3']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; build: { ok: boolean }; submit: { hosts: { submitted: unknown[] }[] }; status: { state: string }[]; collect: { rows: { state: string }[] } };
    expect(doc.ok).toBe(true);
    expect(doc.build.ok).toBe(true);
    expect(doc.submit.hosts[0]!.submitted).toHaveLength(12);
    expect(doc.status.every((b) => b.state === 'done')).toBe(true);
    expect(doc.collect.rows).toHaveLength(12);
    const help = cli(['run', '--help']).stdout + cli(['status', '--help']).stdout;
    expect(help).toMatch(/--json\s+print one JSON document at the end/);
    expect(help).toMatch(/--exit-code\s+exit 1 when a bundle failed/);
  }, 120_000);
});

describe.skipIf(skipWithout('ssh', 'rsync'))('log locations on an ssh host (real sshd)', () => {
  it('status names host:path of the failed run\'s log; after collect the local copy is there', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildExample({ edit: (y) => y.replace('run:\n  command: node', 'run:\n  command: echo "broken on purpose"; exit 7; node') });
    const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${tmpDir('eegen-logs-')}/w, slots: 4}\n`);
    const box = hosts.get('box')!;
    await submit({ out, hosts: [box], only: ['lr-1_epochs-5_repeat-1'] });
    const done = await waitFinished(out, [box]);
    const b = done.find((x) => x.id === 'lr-1_epochs-5_repeat-1')!;
    expect(b.state).toBe('failed');
    const log = b.logs!.find((l) => l.file === 'eegen-run/output.log')!;
    expect(log.onHost).toMatch(new RegExp(`^${ssh!.host}:.*/lr-1_epochs-5_repeat-1/eegen-run/output\\.log$`));
    expect(readFileSync(log.onHost.slice(ssh!.host.length + 1), 'utf8')).toContain('broken on purpose');
    expect(existsSync(log.local)).toBe(false);
    const c = await eegen.collect({ out, hosts: [box] });
    expect(c.logs.map((l) => l.local)).toContain(log.local);
    expect(readFileSync(log.local, 'utf8')).toContain('broken on purpose');
  }, 120_000);
});
