import { describe, expect, it } from 'vitest';
import { deriveStatus, type RemoteBundle } from '../../src/dispatch/status.js';
import type { SchedulerJob } from '../../src/dispatch/types.js';
import type { HostEntry } from '../../src/inventory/hosts.js';

/** How a run's own record and the scheduler's view combine (pure; recorded shapes). */
const host = { name: 'cluster', kind: 'slurm', scheduler: 'slurm' } as HostEntry;
const run = (end?: { exitCode: number | null; signal: string | null }): RemoteBundle => ({
  present: true,
  jobId: 'slurm:42',
  events: [
    '{"ts":"2026-11-25T15:00:00Z","event":"start","host":"n1","jobId":"42","pid":7}',
    ...(end ? [`{"ts":"2026-11-25T15:01:00Z","event":"end","exitCode":${JSON.stringify(end.exitCode)},"signal":${JSON.stringify(end.signal)}}`] : []),
  ],
  logLines: [],
});
const job = (state: SchedulerJob['state'], rawState: string): SchedulerJob[] => [{ jobId: '42', state, rawState }];

describe('deriveStatus', () => {
  it('a run killed at its time limit stays running while Slurm is COMPLETING, then is timeout', () => {
    const killed = run({ exitCode: null, signal: 'TERM' });
    expect(deriveStatus('b', killed, host, job('running', 'COMPLETING')).state).toBe('running');
    expect(deriveStatus('b', killed, host, job('timeout', 'TIMEOUT')).state).toBe('timeout');
  });

  it('a clean exit is done even before the scheduler settles; a failure once it has', () => {
    expect(deriveStatus('b', run({ exitCode: 0, signal: null }), host, job('running', 'COMPLETING')).state).toBe('done');
    expect(deriveStatus('b', run({ exitCode: 3, signal: null }), host, job('failed', 'FAILED'))).toMatchObject({ state: 'failed', exitCode: 3 });
  });

  it('finished by the scheduler without an end event is lost; the end event, asked after, prevents that race', () => {
    expect(deriveStatus('b', run(), host, job('done', 'COMPLETED')).state).toBe('lost');
    expect(deriveStatus('b', run({ exitCode: 0, signal: null }), host, job('done', 'COMPLETED')).state).toBe('done');
  });
});
