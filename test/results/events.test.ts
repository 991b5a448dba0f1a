import { describe, expect, it } from 'vitest';
import { parseEvents, parseProgressLines, summarizeRun } from '../../src/results/index.js';
import { fixture } from './helpers.js';

describe('run events (events.jsonl)', () => {
  const { value: events, problems } = parseEvents(fixture('events.jsonl'), { file: 'events.jsonl' });

  it('reads every event and skips garbage and the cut-short last line with warnings', () => {
    expect(events.map((e) => e.event)).toEqual(['start', 'fingerprint', 'energy', 'progress', 'progress', 'other', 'energy', 'end']);
    expect(problems.map((p) => [p.code, p.line, p.severity])).toEqual([
      ['EG7001', 5, 'warning'],
      ['EG7001', 10, 'warning'],
    ]);
    expect(problems[1]?.message).toMatch(/cut short/);
    expect(problems[0]?.file).toBe('events.jsonl');
  });

  it('types the known fields and keeps unknown events', () => {
    expect(events[0]).toMatchObject({ event: 'start', host: 'node1', jobId: '123', pid: 42, ts: '2026-11-25T15:00:00.123Z', line: 1 });
    expect(events[5]).toMatchObject({ event: 'other', name: 'checkpoint', extra: { file: 'model-3.pt' } });
    expect(events[7]).toMatchObject({ event: 'end', exitCode: 3, signal: null });
    const fp = events[1];
    expect(fp?.event === 'fingerprint' && fp.fingerprint.gpus?.[0]?.memoryMiB).toBe(81559);
  });

  it('summarizes the run', () => {
    expect(summarizeRun(events)).toEqual({
      attempts: 1,
      started: '2026-11-25T15:00:00.123Z',
      ended: '2026-11-25T15:00:20.100Z',
      exitCode: 3,
      signal: null,
      progress: 50,
      lastMsg: 'epoch 3/6, loss=0.31 "best"',
      host: 'node1',
      jobId: '123',
      pid: 42,
    });
  });

  it('a requeued run reports its last attempt only', () => {
    const text = [
      '{"ts":"t1","event":"start","host":"a","jobId":"9"}',
      '{"ts":"t2","event":"progress","progress":80}',
      '{"ts":"t3","event":"end","exitCode":null,"signal":"SIGTERM"}',
      '{"ts":"t4","event":"start","host":"b","jobId":"9"}',
      '{"ts":"t5","event":"progress","progress":10}',
    ].join('\n');
    const s = summarizeRun(parseEvents(text).value);
    expect(s).toEqual({ attempts: 2, started: 't4', host: 'b', jobId: '9', progress: 10 });
    expect(parseEvents(text).value[2]).toMatchObject({ signal: 'TERM', exitCode: null });
  });

  it('never throws on hostile input and flags wrong types', () => {
    const r = parseEvents('\u0000\u0001\n[1,2]\n{"event":5}\n{"event":"progress","progress":"lots","ts":7}\nnull\n{"event":"energy"}\r\n');
    expect(r.value).toEqual([{ event: 'progress', source: 'events', line: 4 }]);
    expect(r.problems.map((p) => p.code)).toEqual(['EG7001', 'EG7001', 'EG7002', 'EG7003', 'EG7003', 'EG7001', 'EG7003']);
    expect(parseEvents('').value).toEqual([]);
  });

  it('size events: the bytes of the last attempt; a size that is not a whole number of bytes is skipped with a warning', () => {
    const text = [
      '{"ts":"2026-11-25T15:00:00Z","event":"start"}',
      '{"ts":"2026-11-25T15:00:05Z","event":"size","bytes":111}',
      '{"ts":"2026-11-25T15:00:04Z","event":"end","exitCode":0,"signal":null}',
      '{"ts":"2026-11-25T15:01:00Z","event":"start"}',
      '{"ts":"2026-11-25T15:01:05Z","event":"size","bytes":-1}',
      '{"ts":"2026-11-25T15:01:05Z","event":"size","bytes":1.5}',
      '{"ts":"2026-11-25T15:01:05Z","event":"size","bytes":"many"}',
    ].join('\n');
    const { value, problems: found } = parseEvents(text);
    expect([...new Set(found.map((p) => p.line))]).toEqual([5, 6, 7]);
    expect(found.every((p) => /whole number of bytes/.test(p.message) || /number/.test(p.message))).toBe(true);
    // The second attempt recorded no valid size: not the first attempt's.
    expect(summarizeRun(value).bytes).toBeUndefined();
    expect(summarizeRun(value.slice(0, 3)).bytes).toBe(111);
    expect(summarizeRun(value.slice(0, 3)).ended).toBe('2026-11-25T15:00:04Z');
  });

  it('caps the problem list on a garbage file', () => {
    const r = parseEvents('garbage\n'.repeat(1000));
    expect(r.problems).toHaveLength(101);
    expect(r.problems[100]).toMatchObject({ code: 'EG7099', message: '900 more problems were not listed.' });
  });
});

describe('status lines in job output', () => {
  it('reads # eegen lines: quoted values with escapes, event=, numbers', () => {
    const log = [
      'some output',
      '# eegen event=start host=node7 jobId=4711 pid=99',
      '# eegen progress=50 msg="epoch 3, \\"best\\" \\\\ so far"',
      '   # eegen progress=75 msg=unquoted words run on note=x',
      '#eegen progress=80',
      '# eegenx progress=1',
      '# eegen event=end exitCode=0 signal=null',
    ].join('\n');
    const { value, problems } = parseProgressLines(log);
    expect(problems).toEqual([]);
    expect(value).toEqual([
      { event: 'start', source: 'eegen', line: 2, host: 'node7', jobId: '4711', pid: 99 },
      { event: 'progress', source: 'eegen', line: 3, progress: 50, msg: 'epoch 3, "best" \\ so far' },
      { event: 'progress', source: 'eegen', line: 4, progress: 75, msg: 'unquoted words run on', extra: { note: 'x' } },
      { event: 'progress', source: 'eegen', line: 5, progress: 80 },
      { event: 'end', source: 'eegen', line: 7, exitCode: 0, signal: null },
    ]);
  });

  it('reads legacy # cloudmesh lines; the last one wins', () => {
    const { value, problems } = parseProgressLines(fixture('legacy-job.log'));
    expect(problems).toEqual([]);
    expect(value).toHaveLength(4);
    expect(value[1]).toMatchObject({ source: 'cloudmesh', status: 'running', progress: 33, msg: 'epoch 1 of 3', extra: { pid: '1234' } });
    expect(summarizeRun([], value)).toEqual({ attempts: 0, progress: 100, lastMsg: 'epoch 2 of 3', legacyStatus: 'done' });
  });

  it('finds a status line printed after a progress bar redrawn with carriage returns', () => {
    const log = ' 10%|#         | 1/10\r 20%|##        | 2/10\r# eegen progress=20 msg="two"\r\n';
    expect(parseProgressLines(log).value).toEqual([{ event: 'progress', source: 'eegen', line: 1, progress: 20, msg: 'two' }]);
  });

  it('reports an unclosed quote but keeps what it read', () => {
    const { value, problems } = parseProgressLines('# eegen progress=5 msg="never closed\n');
    expect(value[0]).toMatchObject({ progress: 5, msg: 'never closed' });
    expect(problems.map((p) => [p.code, p.line])).toEqual([['EG7010', 1]]);
  });

  it('the events file wins; the log fills only what it lacks', () => {
    const events = parseEvents('{"ts":"t1","event":"start","host":"a"}\n{"ts":"t2","event":"progress","progress":40}\n').value;
    const log = parseProgressLines('# eegen progress=90 msg="from log"\n# cloudmesh status=running\n').value;
    expect(summarizeRun(events, log)).toEqual({ attempts: 1, started: 't1', host: 'a', progress: 40, lastMsg: 'from log', legacyStatus: 'running' });
  });
});
