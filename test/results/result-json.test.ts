import { describe, expect, it } from 'vitest';
import { readResultJson } from '../../src/results/index.js';

const schema = {
  type: 'object',
  required: ['accuracy'],
  properties: { accuracy: { type: 'number', minimum: 0, maximum: 1 }, history: { type: 'array', items: { type: 'object', properties: { loss: { type: 'number' } } } } },
};

describe('result.json', () => {
  it('reads an object; NaN written by Python reads as null', () => {
    expect(readResultJson('\uFEFF{"accuracy": 0.9, "loss": NaN}')).toEqual({ value: { accuracy: 0.9, loss: null }, problems: [] });
  });

  it('checks a schema and lists every violation, keeping the value', () => {
    const r = readResultJson('{"accuracy": 1.5, "history": [{"loss": "x"}]}', schema, { file: 'b1/result.json' });
    expect(r.value).toEqual({ accuracy: 1.5, history: [{ loss: 'x' }] });
    expect(r.problems.map((p) => [p.code, p.severity, p.file, p.message])).toEqual([
      ['EG7062', 'error', 'b1/result.json', 'result.json at /accuracy must be <= 1.'],
      ['EG7062', 'error', 'b1/result.json', 'result.json at /history/0/loss must be number.'],
    ]);
    expect(readResultJson('{"accuracy": 0.5}', schema).problems).toEqual([]);
    expect(readResultJson('{}', schema).problems[0]?.message).toBe("result.json must have required property 'accuracy'.");
  });

  it('never throws: not JSON, not an object, a broken schema', () => {
    expect(readResultJson('{"accuracy": 0.9').problems.map((p) => p.code)).toEqual(['EG7060']);
    expect(readResultJson('[1]')).toMatchObject({ value: undefined, problems: [{ code: 'EG7061' }] });
    expect(readResultJson('{}', { type: 'no-such-type' }).problems.map((p) => p.code)).toEqual(['EG7063']);
  });
});
