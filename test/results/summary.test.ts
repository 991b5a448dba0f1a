/**
 * What a run's record says about how it ended: cancel requests, the content that ran, and
 * progress claims the record contradicts (pure readers, plus the real wrapper for `content`).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvents, parseProgressLines, summarizeRun } from '../../src/results/index.js';
import { makeBundle, readRun, removeTemps, runJob } from '../runtime/helpers.js';

afterAll(removeTemps);

const ev = (lines: object[]) => parseEvents(lines.map((l) => JSON.stringify(l)).join('\n')).value;
const start = { ts: '2026-11-25T15:00:00Z', event: 'start', host: 'n1', jobId: '1', pid: 7 };

describe('run summary', () => {
  it('a cancel event before the end is a cancel request; one after the end, or before a requeue start, is not', () => {
    const end = { ts: '2026-11-25T15:01:00Z', event: 'end', exitCode: 143, signal: 'TERM' };
    const cancel = { ts: '2026-11-25T15:00:30Z', event: 'cancel', by: 'eegen' };
    expect(summarizeRun(ev([start, cancel, end])).cancelRequested).toBe('2026-11-25T15:00:30Z');
    expect(summarizeRun(ev([start, end, cancel])).cancelRequested).toBeUndefined();
    expect(summarizeRun(ev([start, cancel, end, start])).cancelRequested).toBeUndefined();
    // Cancelled while waiting for a slot: no start at all.
    expect(summarizeRun(ev([{ event: 'queued' }, cancel, end])).cancelRequested).toBe('2026-11-25T15:00:30Z');
  });

  it('"status=done progress=100" from an EXIT trap does not count when the run ended by a signal or failed', () => {
    const log = parseProgressLines('# eegen progress=40 msg=halfway\n# cloudmesh status=done progress=100 pid=9\n').value;
    const term = ev([start, { event: 'end', exitCode: 143, signal: 'TERM' }]);
    const ok = ev([start, { event: 'end', exitCode: 0, signal: null }]);
    const failed = ev([start, { event: 'end', exitCode: 3, signal: null }]);
    expect(summarizeRun(term, log)).toMatchObject({ progress: 40, lastMsg: 'halfway' });
    expect(summarizeRun(failed, log).progress).toBe(40);
    expect(summarizeRun(ok, log).progress).toBe(100);
    // A legacy log alone (no record of start or end): the claim is all there is.
    expect(summarizeRun([], log).progress).toBe(100);
    // Real progress reported after a claim wins.
    expect(summarizeRun(term, parseProgressLines('# cloudmesh status=done progress=100\n# eegen progress=70\n').value).progress).toBe(70);
  });

  it('start.content must be a sha256; anything else is dropped with a warning', () => {
    const good = parseEvents(JSON.stringify({ ...start, content: 'a'.repeat(64) }));
    expect(summarizeRun(good.value).content).toBe('a'.repeat(64));
    const bad = parseEvents(JSON.stringify({ ...start, content: 'x; rm -rf /' }));
    expect(summarizeRun(bad.value).content).toBeUndefined();
    expect(bad.problems.map((p) => p.code)).toEqual(['EG7003']);
  });

  it('eegen-run.sh records sha256(SHA256SUMS) of the bundle in its start event (real wrapper)', () => {
    const dir = makeBundle('echo hi');
    const sums = 'f'.repeat(64) + '  job.sh\n';
    writeFileSync(path.join(dir, 'SHA256SUMS'), sums);
    expect(runJob(dir).status).toBe(0);
    const { summary, raw } = readRun(dir);
    expect(summary.content).toBe(createHash('sha256').update(readFileSync(path.join(dir, 'SHA256SUMS'))).digest('hex'));
    expect(raw.find((e) => e.event === 'start')!.content).toBe(summary.content);
    // No SHA256SUMS: no content field (nothing to claim).
    const bare = makeBundle('echo hi');
    expect(runJob(bare).status).toBe(0);
    expect(readRun(bare).raw.find((e) => e.event === 'start')).not.toHaveProperty('content');
  });
});
