import { describe, expect, it } from 'vitest';
import { lsfCancelCommand, lsfQueryCommand, lsfState, parseBjobs, parseBsub, parseLsfQuery } from '../../../src/scheduler/lsf.js';
import type { SchedulerJob } from '../../../src/dispatch/types.js';
import { fixture, GARBAGE } from './helpers.js';

const byId = (jobs: SchedulerJob[]): Record<string, SchedulerJob> => Object.fromEntries(jobs.map((j) => [j.jobId, j]));

describe('LSF adapter (recorded LSF output: LSF cannot be installed here)', () => {
  it('parseBsub reads the job id, and classifies refusals', () => {
    expect(parseBsub(fixture('lsf', 'bsub-submitted.txt'))).toEqual({ ok: true, jobId: '123456' });
    expect(parseBsub(fixture('lsf', 'bsub-default-queue.txt'))).toEqual({ ok: true, jobId: '123457' });
    expect(parseBsub(fixture('lsf', 'bsub-array.txt'))).toEqual({ ok: true, jobId: '123470' });
    expect(parseBsub('', fixture('lsf', 'bsub-bad-queue.txt'))).toMatchObject({ ok: false, kind: 'partition', message: /No such queue/ });
    expect(parseBsub('', fixture('lsf', 'bsub-bad-resource.txt'))).toMatchObject({ ok: false, kind: 'resources' });
    expect(parseBsub('garbage')).toMatchObject({ ok: false, kind: 'unparsable' });
  });

  it('parseBjobs reads the delimiter form: states, exit codes, reasons, array elements, not-found ids', () => {
    const q = parseLsfQuery(fixture('lsf', 'bjobs-delimited.txt'));
    const m = byId(q.jobs);
    expect(m['123456']).toEqual({ jobId: '123456', state: 'done', rawState: 'DONE', exitCode: 0 });
    expect(m['123457']).toEqual({ jobId: '123457', state: 'failed', rawState: 'EXIT', exitCode: 3 });
    expect(m['123458']).toMatchObject({ state: 'timeout', exitCode: 140, reason: /TERM_RUNLIMIT/ });
    expect(m['123459']).toMatchObject({ state: 'cancelled', exitCode: 130 });
    expect(m['123461']).toMatchObject({ state: 'oom', exitCode: 137 });
    expect(m['123462']).toEqual({ jobId: '123462', state: 'running', rawState: 'RUN' });
    expect(m['123463']).toMatchObject({ state: 'queued', rawState: 'PEND' });
    expect(['123464', '123465', '123466'].map((id) => m[id]?.state)).toEqual(['queued', 'queued', 'queued']);
    expect(m['123467']).toMatchObject({ state: 'running', rawState: 'UNKWN', reason: /contact/ });
    expect(m['123470_1']).toMatchObject({ state: 'done' });
    expect(m['123470_2']).toMatchObject({ state: 'failed', exitCode: 1 });
    expect(m['123470_3']).toMatchObject({ state: 'running' });
    expect(m['123470_5']).toMatchObject({ state: 'queued' });
    expect(m['123470']).toBeUndefined();
    expect(q.unknown).toEqual(['999999']);
    expect(q.warnings).toEqual([]);
  });

  it('parseBjobs reads the -json form the same way', () => {
    const q = parseLsfQuery(fixture('lsf', 'bjobs.json'));
    const m = byId(q.jobs);
    expect(m['123456']).toEqual({ jobId: '123456', state: 'done', rawState: 'DONE', exitCode: 0 });
    expect(m['123457']).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(m['123458']).toMatchObject({ state: 'timeout' });
    expect(m['123459']).toMatchObject({ state: 'cancelled' });
    expect(m['123461']).toMatchObject({ state: 'oom' });
    expect(m['123462']).toMatchObject({ state: 'running' });
    expect(m['123470_1']).toMatchObject({ state: 'done' });
    expect(m['123470_4']).toMatchObject({ state: 'queued' });
    expect(q.unknown).toEqual(['999999']);
    // two documents back to back (one per chunk of ids)
    expect(parseBjobs(fixture('lsf', 'bjobs.json') + fixture('lsf', 'bjobs.json'))).toHaveLength(q.jobs.length);
  });

  it('accepts 123[4] job ids and reports a down cluster as warnings, not jobs', () => {
    expect(parseBjobs(fixture('lsf', 'bjobs-array-bracket.txt')).map((j) => [j.jobId, j.state])).toEqual([
      ['123480_1', 'done'],
      ['123480_2', 'failed'],
    ]);
    const down = parseLsfQuery(fixture('lsf', 'bjobs-down.txt'));
    expect(down.jobs).toEqual([]);
    expect(down.warnings).toHaveLength(2);
  });

  it('maps exit reasons', () => {
    expect(lsfState('EXIT', 'TERM_CPULIMIT: job killed after reaching LSF CPU usage limit')).toBe('timeout');
    expect(lsfState('EXIT', 'TERM_SWAP: job killed after reaching LSF swap usage limit')).toBe('oom');
    expect(lsfState('EXIT', 'TERM_ADMIN: job killed by root or LSF administrator')).toBe('cancelled');
    expect(lsfState('EXIT', 'TERM_FORCE_OWNER: job killed by owner without time for cleanup')).toBe('cancelled');
    expect(lsfState('EXIT', 'TERM_PREEMPT: job killed after preemption')).toBe('failed');
    expect(lsfState('DONE', 'TERM_RUNLIMIT')).toBe('done');
    expect(lsfState('ZOMBI')).toBe('failed');
    expect(lsfState('NEWSTATE')).toBe('submitted');
  });

  it('builds query and cancel commands (chunked, ids validated, elements quoted)', () => {
    expect(lsfQueryCommand(['5', '3_2', '3[1]', 'x', '5'])).toBe(`bjobs -a -noheader -o "jobid stat exit_code jobindex exit_reason delimiter='|'" 3 5 2>&1`);
    expect(lsfQueryCommand([...Array(450).keys()].map(String)).split('; ')).toHaveLength(3);
    expect(lsfQueryCommand([])).toBe('true');
    expect(lsfCancelCommand(['12', '13_4', '14[2]', '$(reboot)', '12'])).toBe(`bkill 12 '13[4]' '14[2]'`);
    expect(lsfCancelCommand(['nope'])).toBe('true');
  });

  it('never throws on garbage', () => {
    for (const g of GARBAGE) {
      expect(() => parseBjobs(g as string)).not.toThrow();
      expect(() => parseBsub(g as string, g as string)).not.toThrow();
    }
    expect(parseBjobs('{"RECORDS":[{"JOBID":"7","STAT":"RUN"},{"JOBID":"x","STAT":"RUN"}]} trailing {')).toEqual([
      { jobId: '7', state: 'running', rawState: 'RUN' },
    ]);
  });
});
