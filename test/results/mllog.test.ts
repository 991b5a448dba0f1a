import { describe, expect, it } from 'vitest';
import { mlResults, parseMlLog } from '../../src/results/index.js';
import { fixture } from './helpers.js';

describe('MLCommons log', () => {
  const { value: events, problems } = parseMlLog(fixture('legacy-job.log'));

  it('reads :::MLLOG lines, NaN included', () => {
    expect(problems).toEqual([]);
    expect(events.map((e) => e.key)).toEqual(['run_start', 'submission_benchmark', 'number_of_epochs', 'result', 'run_stop']);
    expect(events[3]).toMatchObject({ event_type: 'POINT_IN_TIME', time_ms: 1652220090000, metadata: { file: 'slstr_cloud.py', lineno: 200 } });
  });

  it('takes accuracy, loss and the per-epoch history from the final result event', () => {
    const r = mlResults(events);
    expect(r).toMatchObject({ accuracy: 0.8871, loss: 0.2713, runMs: 95000, status: 'success' });
    expect(r.history).toEqual([
      { epoch: 1, loss: 0.52, accuracy: 0.71, val_loss: 0.55 },
      { epoch: 2, loss: 0.34, accuracy: 0.83 },
      { epoch: 3, loss: 0.2713, accuracy: 0.8871, val_loss: 0.3 },
    ]);
    expect(r.last).toMatchObject({ submission_benchmark: 'cloudmask', number_of_epochs: 3, run_start: null });
  });

  it('accepts a history given as a list of epochs', () => {
    const line = ':::MLLOG {"key":"result","value":{"acc":1,"history":[{"epoch":1,"eval_accuracy":0.5,"loss":2},{"epoch":2,"eval_accuracy":0.7,"loss":1}]}}';
    expect(mlResults(parseMlLog(line).value).history).toEqual([
      { epoch: 1, eval_accuracy: 0.5, accuracy: 0.5, loss: 2 },
      { epoch: 2, eval_accuracy: 0.7, accuracy: 0.7, loss: 1 },
    ]);
  });

  it('without a result event: last eval_accuracy, and a history from epoch-tagged events', () => {
    const text = [
      'INFO 12:00 :::MLLOG {"namespace":"","time_ms":1,"event_type":"POINT_IN_TIME","key":"eval_accuracy","value":0.6,"metadata":{"epoch_num":1}}',
      ':::MLLOG {"key":"train_loss","value":0.9,"metadata":{"epoch_num":1}}',
      ':::MLLOG {"key":"eval_accuracy","value":0.8,"metadata":{"epoch_num":2}}',
      ':::MLLOG {not json',
    ].join('\n');
    const { value, problems } = parseMlLog(text);
    expect(problems.map((p) => [p.code, p.line])).toEqual([['EG7030', 4]]);
    const r = mlResults(value);
    expect(r.accuracy).toBe(0.8);
    expect(r.loss).toBe(0.9);
    expect(r.history).toEqual([
      { epoch: 1, eval_accuracy: 0.6, accuracy: 0.6, train_loss: 0.9, loss: 0.9 },
      { epoch: 2, eval_accuracy: 0.8, accuracy: 0.8 },
    ]);
  });
});
