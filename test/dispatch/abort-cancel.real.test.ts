/**
 * cancel() under an AbortSignal (real local processes): aborted before its host script
 * runs, nothing is cancelled; aborted while the script runs, every bundle is either
 * cancelled or still running (never half-recorded), and a second cancel cancels the rest.
 */
import { describe, expect, it } from 'vitest';
import { cancel, LOCAL_HOST, status, submit, type Runner, realRunner } from '../../src/index.js';
import { buildExample } from './helpers.js';

const only = ['lr-0.01_*', 'lr-0.1_*'];
const FINAL = new Set(['cancelled', 'done', 'failed', 'killed']);

async function states(out: string): Promise<string[]> {
  return (await status({ out, hosts: [LOCAL_HOST], only })).bundles.map((b) => b.state);
}

describe('cancel() aborted', () => {
  it('before its host script: rejects, cancels nothing; mid-script: each bundle cancelled or still running; then a plain cancel ends them all', async () => {
    const { out } = await buildExample({ edit: (y) => y.replace('command: node train.mjs', 'command: sleep 60; node train.mjs') });
    await submit({ out, hosts: [{ ...LOCAL_HOST, slots: 8 }], only });
    for (let i = 0; i < 40 && !(await states(out)).every((s) => s === 'running'); i++) await new Promise((r) => setTimeout(r, 250));
    expect(await states(out)).toEqual(Array(8).fill('running'));

    await expect(cancel({ out, hosts: [LOCAL_HOST], only, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await states(out)).toEqual(Array(8).fill('running'));

    // Abort the moment the cancel script starts on the host.
    const ac = new AbortController();
    const runner: Runner = { run: (c, o) => (c.purpose.startsWith('cancel') && setTimeout(() => ac.abort(), 5), realRunner.run(c, o)) };
    await expect(cancel({ out, hosts: [LOCAL_HOST], only, signal: ac.signal, runner })).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 1500));
    const mid = await states(out);
    expect(mid.every((s) => s === 'running' || s === 'cancelled'), mid.join(',')).toBe(true);

    const rest = await cancel({ out, hosts: [LOCAL_HOST], only });
    expect(rest.cancelled.length).toBe(mid.filter((s) => s === 'running').length);
    let end: string[] = [];
    for (let i = 0; i < 40; i++) {
      end = await states(out);
      if (end.every((s) => FINAL.has(s))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(end).toEqual(Array(8).fill('cancelled'));
  }, 90_000);
});
