import { describe, expect, it } from 'vitest';
import { deriveStatus, type RemoteBundle } from '../../src/dispatch/status.js';
import type { SchedulerJob } from '../../src/dispatch/types.js';
import type { HostEntry } from '../../src/inventory/hosts.js';

/** killed vs cancelled from recorded shapes (pure): the same words whatever the host kind. */
const slurm = { name: 'cluster', kind: 'slurm' } as HostEntry;
const local = { name: 'here', kind: 'local' } as HostEntry;
const START = '{"ts":"2026-11-25T15:00:00Z","event":"start","host":"n1","jobId":"42","pid":7}';
const CANCEL = '{"ts":"2026-11-25T15:00:30Z","event":"cancel","by":"eegen"}';
const end = (code: number, sig: string | null) => `{"ts":"2026-11-25T15:01:00Z","event":"end","exitCode":${code},"signal":${JSON.stringify(sig)}}`;
const run = (jobId: string, events: string[]): RemoteBundle => ({ present: true, jobId, pidAlive: false, events, logLines: [] });
const job = (state: SchedulerJob['state'], rawState: string, exitCode?: number): SchedulerJob[] => [{ jobId: '42', state, rawState, ...(exitCode !== undefined ? { exitCode } : {}) }];

describe('deriveStatus: what happened, the same on every host kind', () => {
  it('SIGKILL nobody asked for is killed on local and on Slurm (which says FAILED)', () => {
    const onLocal = deriveStatus('b', run('local:7', [START, end(137, 'KILL')]), local, []);
    const onSlurm = deriveStatus('b', run('slurm:42', [START, end(137, 'KILL')]), slurm, job('failed', 'FAILED', 137));
    for (const st of [onLocal, onSlurm]) expect(st).toMatchObject({ state: 'killed', signal: 'KILL', exitCode: 137, why: 'killed by SIGKILL; nobody cancelled it (out of memory? kill -9?)' });
    expect(deriveStatus('b', run('local:7', [START, end(143, 'TERM')]), local, [])).toMatchObject({ state: 'killed', why: 'killed by SIGTERM; nobody cancelled it' });
  });

  it('eegen cancel (its cancel event before the end) is cancelled on both; the scheduler alone says so too', () => {
    const onLocal = deriveStatus('b', run('local:7', [START, CANCEL, end(143, 'TERM')]), local, []);
    const onSlurm = deriveStatus('b', run('slurm:42', [START, CANCEL, end(143, 'TERM')]), slurm, job('cancelled', 'CANCELLED'));
    for (const st of [onLocal, onSlurm]) expect(st).toMatchObject({ state: 'cancelled', why: 'cancelled by eegen cancel' });
    expect(deriveStatus('b', run('slurm:42', [START, end(143, 'TERM')]), slurm, job('cancelled', 'CANCELLED'))).toMatchObject({ state: 'cancelled', why: 'cancelled by the scheduler (CANCELLED)' });
    // A cancel that came after the run had ended changes nothing.
    expect(deriveStatus('b', run('local:7', [START, end(3, null), CANCEL]), local, [])).toMatchObject({ state: 'failed', why: 'exited with code 3' });
  });

  it('the content a run recorded at start is its runHash, before the submit record', () => {
    const withContent = START.replace('"pid":7', `"pid":7,"content":"${'c'.repeat(64)}"`);
    const b: RemoteBundle = { ...run('local:7', [withContent, end(0, null)]), submitted: { jobId: 'local:7', hash: 'd'.repeat(64) } };
    expect(deriveStatus('b', b, local, []).runHash).toBe('c'.repeat(64));
    expect(deriveStatus('b', { ...b, events: [START] }, local, []).runHash).toBe('d'.repeat(64));
  });
});
