import { readFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, status, submit } from '../../src/dispatch/index.js';
import { LOCAL_HOST } from '../../src/inventory/hosts.js';
import { parseEvents } from '../../src/results/index.js';
import { eegen } from '../support/cli.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

describe('local host: submit, status, collect (real background processes)', () => {
  it('runs the example sweep to completion and merges one row per bundle', async () => {
    const { out, count } = await buildExample();
    expect(count).toBe(12);
    const before = await status({ out, hosts: [LOCAL_HOST] });
    expect(new Set(before.bundles.map((b) => b.state))).toEqual(new Set(['synced']));
    const r = await submit({ out, hosts: [LOCAL_HOST] });
    expect(r.hosts[0]).toMatchObject({ ok: true });
    expect(r.hosts[0]!.submitted).toHaveLength(12);
    const done = await waitFinished(out, [LOCAL_HOST]);
    expect(done.map((b) => b.state)).toEqual(Array(12).fill('done'));
    expect(done.every((b) => b.exitCode === 0 && b.jobId?.startsWith('local:'))).toBe(true);
    const c = await collect({ out, hosts: [LOCAL_HOST] });
    expect(c.rows).toHaveLength(12);
    const row = c.rows[0]!;
    expect(row).toMatchObject({ id: 'lr-0.01_epochs-5_repeat-1', lr: 0.01, epochs: 5, repeat: 1, steps: 50, host: 'local', state: 'done', exitCode: 0 });
    expect(typeof row.accuracy).toBe('number');
    expect(typeof row['timer.training']).toBe('number');
    expect(typeof row['result.accuracy']).toBe('number');
    expect(row['fp.os']).toBeTruthy();
    const csv = readFileSync(path.join(out, 'results.csv'), 'utf8').split('\n');
    expect(csv[0]).toMatch(/^id,lr,epochs,repeat,steps,host,jobId,state,exitCode,start,end,duration_s/);
    expect(csv.filter((l) => l.trim())).toHaveLength(13);
    // The StopWatch msg "lr=0.01, epochs=5" contains a comma: columns must not shift.
    expect(readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12);
    // Collecting again adds no duplicate rows.
    const again = await collect({ out, hosts: [LOCAL_HOST] });
    expect(again.rows).toHaveLength(12);
    expect(again.conflicts).toEqual([]);
  });

  it('submitting again is idempotent, also with the ledger deleted', async () => {
    const { out } = await buildExample();
    await submit({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_*'] });
    await waitFinished(out, [LOCAL_HOST]).catch(() => undefined);
    rmSync(path.join(out, '.eegen', 'ledger.jsonl'), { force: true });
    const st = await status({ out, hosts: [LOCAL_HOST] });
    expect(st.bundles.filter((b) => b.state === 'done')).toHaveLength(4);
    expect(st.bundles.filter((b) => b.state === 'synced')).toHaveLength(8);
    const r = await submit({ out, hosts: [LOCAL_HOST] });
    expect(r.hosts[0]!.submitted).toHaveLength(8);
    expect(r.alreadyThere).toHaveLength(4);
    await waitFinished(out, [LOCAL_HOST]);
    for (const b of st.bundles) {
      const events = parseEvents(readFileSync(path.join(out, b.id, 'eegen-run', 'events.jsonl'), 'utf8')).value;
      expect(events.filter((e) => e.event === 'start'), b.id).toHaveLength(1);
    }
  });

  it('a job that exits 3 is failed with exit code 3, and --retry failed resubmits only it', async () => {
    const { out } = await buildExample({ edit: (y) => y.replace('run:\n  command: node', 'run:\n  command: test {experiment.lr} != 1 || exit 3; node') });
    await submit({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-5_*', 'lr-0.1_epochs-5_repeat-1'] });
    const done = (await waitFinished(out, [LOCAL_HOST])).filter((b) => b.jobId);
    expect(done.filter((b) => b.state === 'failed').map((b) => [b.id, b.exitCode])).toEqual([
      ['lr-1_epochs-5_repeat-1', 3],
      ['lr-1_epochs-5_repeat-2', 3],
    ]);
    expect(done.find((b) => b.id === 'lr-0.1_epochs-5_repeat-1')?.state).toBe('done');
    const r = await submit({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-5_*', 'lr-0.1_epochs-5_repeat-1'], retryFailed: true });
    expect(r.hosts[0]!.submitted.map((s) => s.id).sort()).toEqual(['lr-1_epochs-5_repeat-1', 'lr-1_epochs-5_repeat-2']);
    await waitFinished(out, [LOCAL_HOST]);
    expect(existsSync(path.join(out, 'lr-1_epochs-5_repeat-1', 'eegen-run.attempt-1', 'events.jsonl'))).toBe(true);
  });

  it('a slot limit of 2 holds after the client is gone, and every bundle finishes', async () => {
    const { out, dir } = await buildExample({ edit: (y) => y.replace('command: node', 'command: sleep 1; node') });
    const hosts = await inventory(dir, 'hosts:\n  two: {kind: local, slots: 2}\n');
    // Submit from a separate process that exits right away.
    const r = eegen(['submit', out, '--host', 'two', '--hosts', path.join(dir, 'hosts.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    const done = await waitFinished(out, [hosts.get('two')!]);
    expect(done.every((b) => b.state === 'done')).toBe(true);
    const spans = done.map((b) => [Date.parse(b.started!), Date.parse(b.ended!)] as const);
    const maxConcurrent = Math.max(...spans.map(([s]) => spans.filter(([a, e]) => a <= s && s < e).length));
    expect(maxConcurrent).toBeLessThanOrEqual(2);
  });

  it('cancel stops running bundles and they are reported cancelled', async () => {
    const { out } = await buildExample({ edit: (y) => y.replace('command: node', 'command: sleep 30; node') });
    await submit({ out, hosts: [{ ...LOCAL_HOST, slots: 12 }], only: ['lr-0.01_epochs-5_*'] });
    await new Promise((r) => setTimeout(r, 1500));
    const c = eegen(['cancel', out, '--host', 'local', '--only', 'lr-0.01_epochs-5_*']);
    expect(c.code, c.stderr).toBe(0);
    const done = (await waitFinished(out, [LOCAL_HOST], 20_000)).filter((b) => b.jobId);
    expect(done.map((b) => b.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('refuses to submit a bundle whose files no longer match its checksums', async () => {
    const { out } = await buildExample();
    const { appendFileSync } = await import('node:fs');
    appendFileSync(path.join(out, 'lr-1_epochs-20_repeat-2', 'train.mjs'), '\n// edited after the build\n');
    const r = await submit({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-20_*'] });
    expect(r.hosts[0]!.submitted.map((s) => s.id)).toEqual(['lr-1_epochs-20_repeat-1']);
    expect(r.hosts[0]!.failed).toHaveLength(1);
    expect(r.hosts[0]!.failed[0]!.id).toBe('lr-1_epochs-20_repeat-2');
    expect(r.hosts[0]!.failed[0]!.error).toMatch(/checksums do not match on the host: .*train\.mjs/);
    await waitFinished(out, [LOCAL_HOST]);
  });

  it('status --json has id, host, state, jobId and exitCode for every bundle', async () => {
    const { out } = await buildExample();
    const r = eegen(['status', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(12);
    for (const row of rows) for (const k of ['id', 'host', 'state', 'jobId', 'exitCode']) expect(row).toHaveProperty(k);
  });
});
