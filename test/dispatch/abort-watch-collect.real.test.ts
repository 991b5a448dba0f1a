/**
 * watch(), collect() and runSweep() under an AbortSignal, against real processes and the
 * real sshd: watch ends promptly (its status query in flight is killed, its sleep cut
 * short); an aborted collect leaves results.csv / .jsonl as they were, whole, and the
 * next collect completes them; an aborted runSweep rejects at once and leaves its jobs
 * running, as kill -9 of `eegen run` would.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancel, collect, isAbortError, LOCAL_HOST, realRunner, runSweep, status, submit, watch, type Runner } from '../../src/index.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

const slow = (seconds: number) => (y: string) => y.replace('command: node train.mjs', `command: sleep ${seconds}; node train.mjs`);

describe('watch() and runSweep() stop promptly on abort (local processes)', () => {
  it('watch with a 30 s interval ends within a second of the abort, after its first update', async () => {
    const { out } = await buildExample({ edit: slow(20) });
    await submit({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] });
    const ac = new AbortController();
    const polls: number[] = [];
    let t0 = 0;
    for await (const u of watch({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'], intervalMs: 30_000, signal: ac.signal })) {
      polls.push(u.poll);
      expect(u.done).toBe(false);
      setTimeout(() => {
        t0 = Date.now();
        ac.abort();
      }, 200);
    }
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(polls).toEqual([1]);
    // The job was not touched by the abort.
    expect((await status({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] })).bundles[0]!.state).toMatch(/queued|running/);
    await cancel({ out, hosts: [LOCAL_HOST] });
  });

  it('watch aborted while a status query runs: the query is killed and the iteration ends', async () => {
    const { out } = await buildExample();
    const ac = new AbortController();
    // A host whose status query hangs (bash reading a script that never ends).
    const hanging: Runner = { run: (cmd, o) => realRunner.run({ ...cmd, argv: ['bash', '-c', 'sleep 300'] }, o) };
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 300);
    const updates = [];
    for await (const u of watch({ out, hosts: [LOCAL_HOST], runner: hanging, signal: ac.signal })) updates.push(u);
    expect(updates).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('runSweep aborted while it waits rejects with AbortError at once; the runs go on and finish', async () => {
    const dir = tmpDir('eegen-runsweep-');
    const { cpSync, writeFileSync } = await import('node:fs');
    cpSync('fixtures/example', dir, { recursive: true });
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, slow(2)(readFileSync(config, 'utf8')).replace('lr: "0.01,0.1,1"', 'lr: "0.01"'));
    const out = path.join(dir, 'out');
    const ac = new AbortController();
    const seen: string[] = [];
    let t0 = 0;
    const err = await runSweep({
      config,
      out,
      hosts: [LOCAL_HOST],
      intervalMs: 5000,
      signal: ac.signal,
      onEvent: (e) => {
        seen.push(e.type);
        if (e.type === 'status' && !t0) {
          t0 = Date.now();
          ac.abort();
        }
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(seen).toContain('compile');
    expect(seen).toContain('submitted');
    expect(existsSync(path.join(out, 'results.csv'))).toBe(false);
    const done = await waitFinished(out, [LOCAL_HOST]);
    expect(done.map((b) => b.state)).toEqual(['done', 'done', 'done', 'done']);
  });
});

describe.skipIf(skipWithout('ssh', 'rsync'))('collect aborted while copying results back (real sshd, rsync)', () => {
  it('leaves the results files as they were (whole), and the next collect completes them', async () => {
    const { ssh } = testEnv();
    const { dir, out, count } = await buildExample({ edit: (y) => y.replace('command: node train.mjs', 'command: head -c 20000000 /dev/urandom > big.bin; node train.mjs') });
    const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${tmpDir('eegen-abort-collect-')}/w, slots: 4}\n`);
    const box = hosts.get('box')!;
    await submit({ out, hosts: [box], only: ['lr-0.01_*'] });
    await waitFinished(out, [box], 120_000);
    const before = await collect({ out, hosts: [box], exclude: ['big.bin'] });
    expect(before.rows.filter((r) => r.state === 'done')).toHaveLength(4);
    const csv = readFileSync(path.join(out, 'results.csv'), 'utf8');
    const jsonl = readFileSync(path.join(out, 'results.jsonl'), 'utf8');
    await submit({ out, hosts: [box] });
    await waitFinished(out, [box], 120_000);
    // Abort 150 ms into the copy of 12 x 20 MB.
    const ac = new AbortController();
    const cutting: Runner = {
      run(cmd, o) {
        if (cmd.purpose.startsWith('copy results')) setTimeout(() => ac.abort(), 150);
        return realRunner.run(cmd, o);
      },
    };
    const events: string[] = [];
    await expect(collect({ out, hosts: [box], runner: cutting, signal: ac.signal, onEvent: (e) => events.push(e.type) })).rejects.toSatisfy(isAbortError);
    expect(events).not.toContain('results');
    expect(readFileSync(path.join(out, 'results.csv'), 'utf8')).toBe(csv);
    expect(readFileSync(path.join(out, 'results.jsonl'), 'utf8')).toBe(jsonl);
    // No file copied back under its own name half-way: every big.bin in OUT is whole or absent.
    const { readdirSync, statSync } = await import('node:fs');
    for (const d of readdirSync(out)) {
      const f = path.join(out, d, 'big.bin');
      if (existsSync(f)) expect(statSync(f).size, f).toBe(20_000_000);
    }
    const after = await collect({ out, hosts: [box] });
    expect(after.rows.filter((r) => r.state === 'done')).toHaveLength(count);
    expect(after.hostErrors).toEqual([]);
  }, 300_000);
});

describe('the CLI: Ctrl-C during status --watch', () => {
  it('SIGINT ends `eegen status --watch` within a second with exit code 130; the run goes on', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../support/cli.js');
    const { out } = await buildExample({ edit: slow(20) });
    await submit({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] });
    try {
      const p = spawn(process.execPath, [BIN, 'status', out, '--watch', '--interval', '30', '--only', 'lr-0.01_epochs-5_repeat-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      const firstLine = new Promise<void>((res) => p.stdout.on('data', (d) => ((stdout += d), res())));
      const closed = new Promise<number | null>((res) => p.on('close', res));
      await firstLine;
      const t0 = Date.now();
      p.kill('SIGINT');
      expect(await closed).toBe(130);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(stderr).toMatch(/interrupted/);
      expect(stderr).not.toMatch(/internal error/);
      expect(stdout).toMatch(/queued 1|running 1/);
      expect((await status({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] })).bundles[0]!.state).toMatch(/queued|running/);
    } finally {
      await cancel({ out, hosts: [LOCAL_HOST] });
    }
  });
});
