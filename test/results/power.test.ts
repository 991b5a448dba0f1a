import { describe, expect, it } from 'vitest';
import { bestEnergy, energyCounters, energyFromCounter, energyJoules, parseEvents, parsePowerTrace, parseSmiTimestamp, type PowerSample } from '../../src/results/index.js';
import { fixture } from './helpers.js';

interface Mark {
  label: string;
  utc: string;
  unix: number;
  energy_mJ: number;
}

/** Real H100 recording: nvidia-smi every 100 ms, NVML energy counter at each phase boundary. */
const trace = parsePowerTrace(fixture('gpu-h100/nvidia-smi-power-100ms.csv'), { file: 'nvidia-smi-power-100ms.csv' });
const marks = (JSON.parse(fixture('gpu-h100/marks.json')) as { marks: Mark[] }).marks;
const phases = marks.slice(1).map((end, i) => ({ from: marks[i] as Mark, to: end }));

describe('nvidia-smi power trace', () => {
  it('reads the H100 trace: units stripped, timestamps as UTC', () => {
    expect(trace.problems).toEqual([]);
    const { samples, fields, units } = trace.value;
    expect(samples).toHaveLength(311);
    expect(fields).toEqual(['power.draw', 'power.draw.average', 'power.draw.instant', 'utilization.gpu', 'utilization.memory', 'memory.used', 'temperature.gpu', 'clocks.current.sm']);
    expect(units).toMatchObject({ 'power.draw': 'W', 'memory.used': 'MiB', 'utilization.gpu': '%' });
    expect(samples[0]).toEqual({
      time: Date.parse('2026-11-24T18:45:51.285Z'),
      gpu: 0,
      values: { 'power.draw': 72.25, 'power.draw.average': 72.25, 'power.draw.instant': 72.29, 'utilization.gpu': 0, 'utilization.memory': 0, 'memory.used': 0, 'temperature.gpu': 32, 'clocks.current.sm': 345 },
    });
  });

  it('reproduces the README table: trapezoid over power.draw (463.2, 3314.4, 587.6 J)', () => {
    const got = phases.map((p) => energyJoules(trace.value.samples, { from: p.from.unix * 1000, to: p.to.unix * 1000, field: 'power.draw' }));
    [463.2, 3314.4, 587.6].forEach((want, i) => expect(Math.abs((got[i] as number) - want)).toBeLessThan(0.5));
  });

  it('reproduces the README table: trapezoid over power.draw.instant (462.5, 3436.9, 461.2 J)', () => {
    const got = phases.map((p) => energyJoules(trace.value.samples, { from: p.from.utc, to: p.to.utc, field: 'power.draw.instant', gpu: 0 }));
    [462.5, 3436.9, 461.2].forEach((want, i) => expect(Math.abs((got[i] as number) - want)).toBeLessThan(0.5));
  });

  it('matches the NVML counter exactly (473.1, 3506.2, 485.1 J)', () => {
    const got = phases.map((p) => energyFromCounter(p.from.energy_mJ, p.to.energy_mJ));
    expect(got.map((j) => Math.round((j as number) * 10) / 10)).toEqual([473.1, 3506.2, 485.1]);
    expect(energyFromCounter(10, 5)).toBeUndefined();
    expect(energyFromCounter(Number.NaN, 5)).toBeUndefined();
  });

  it('interpolated edges land closer to the counter on every phase (instant)', () => {
    for (const p of phases) {
      const counter = energyFromCounter(p.from.energy_mJ, p.to.energy_mJ) as number;
      const opts = { from: p.from.unix * 1000, to: p.to.unix * 1000, field: 'power.draw.instant' } as const;
      const inside = energyJoules(trace.value.samples, opts);
      const interpolated = energyJoules(trace.value.samples, { ...opts, edges: 'interpolate' });
      expect(Math.abs(interpolated - counter)).toBeLessThan(Math.abs(inside - counter));
    }
  });

  it('bestEnergy: counter, else instant, else draw, and says which', () => {
    const p = phases[1] as { from: Mark; to: Mark };
    const window = { from: p.from.unix * 1000, to: p.to.unix * 1000 };
    const counters = [{ gpu: 0, startMilliJoules: p.from.energy_mJ, endMilliJoules: p.to.energy_mJ }];
    expect(bestEnergy({ counters, samples: trace.value.samples, ...window })).toEqual({ joules: 3506.214, method: 'counter', gpus: [0] });

    const instant = bestEnergy({ counters: [{ gpu: 0, startMilliJoules: 9, endMilliJoules: 1 }], samples: trace.value.samples, ...window });
    expect(instant).toMatchObject({ method: 'power.draw.instant', gpus: [0], coverage: 1, edges: 'interpolate' });
    expect(instant?.joules).toBeCloseTo(3443.9, 0);

    const older = trace.value.samples.map((s) => ({ ...s, values: { ...s.values, 'power.draw.instant': null } }));
    expect(bestEnergy({ samples: older, ...window })).toMatchObject({ method: 'power.draw' });
    expect(bestEnergy({ samples: [] })).toBeUndefined();
  });

  it('pairs NVML counter readings recorded as energy events', () => {
    const events = parseEvents(fixture('events.jsonl')).value;
    const counters = energyCounters(events);
    expect(counters).toEqual([{ gpu: 0, startMilliJoules: 4205433, endMilliJoules: 8184733 }]);
    expect(bestEnergy({ counters })).toEqual({ joules: 3979.3, method: 'counter', gpus: [0] });
  });
});

describe('power trace edge cases', () => {
  it('sums GPUs, clips, and bridges N/A samples', () => {
    const csv = [
      'timestamp, index, power.draw [W]',
      '2026/01/01 00:00:00.000, 0, 100.00 W',
      '2026/01/01 00:00:00.000, 1, 200.00 W',
      '2026/01/01 00:00:01.000, 0, [N/A]',
      '2026/01/01 00:00:02.000, 0, 100.00 W',
      '2026/01/01 00:00:02.000, 1, 200.00 W',
    ].join('\n');
    const { value, problems } = parsePowerTrace(csv);
    expect(problems).toEqual([]);
    expect(value.samples[2]?.values['power.draw']).toBeNull();
    expect(energyJoules(value.samples, { field: 'power.draw' })).toBe(600);
    expect(energyJoules(value.samples, { field: 'power.draw', gpu: 1 })).toBe(400);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    expect(energyJoules(value.samples, { field: 'power.draw', from: t0 + 500, to: t0 + 1500, edges: 'interpolate' })).toBe(300);
    expect(bestEnergy({ samples: value.samples, from: t0 - 2000, to: t0 + 2000 })).toMatchObject({ method: 'power.draw', joules: 600, coverage: 0.5, gpus: [0, 1] });
  });

  it('follows a repeated header, reads noheader files given fields, and skips bad rows', () => {
    const csv = [
      '2026/01/01 00:00:00.000, 0, 50',
      'timestamp, index, power.draw [W]',
      '2026/01/01 00:00:01.000, 0, 10.00 W',
      'not a row',
      'yesterday, 0, 10.00 W',
      '# stderr:',
      'timestamp, power.draw.instant [W]',
      '2026/01/01 00:00:02.000, 20.00 W',
    ].join('\r\n');
    const { value, problems } = parsePowerTrace(csv);
    expect(problems.map((p) => [p.code, p.line])).toEqual([['EG7040', 1], ['EG7041', 4], ['EG7042', 5]]);
    expect(value.samples.map((s) => s.values)).toEqual([{ 'power.draw': 10 }, { 'power.draw.instant': 20 }]);
    const noheader = parsePowerTrace('2026/01/01 00:00:00.000, 0, 50\n', { fields: ['timestamp', 'index', 'power.draw'] });
    expect(noheader.value.samples[0]?.values).toEqual({ 'power.draw': 50 });
  });

  it('reads timestamps as UTC unless an offset is given', () => {
    expect(parseSmiTimestamp('2026/11/24 18:45:51.285')).toBe(Date.parse('2026-11-24T18:45:51.285Z'));
    expect(parseSmiTimestamp('2026/11/24 20:45:51.285', 120)).toBe(Date.parse('2026-11-24T18:45:51.285Z'));
    expect(parseSmiTimestamp('Tue Nov 24 18:45:51 2026')).toBeUndefined();
  });

  it('integrates a long trace fast enough', () => {
    const samples: PowerSample[] = [];
    for (let i = 0; i < 200_000; i++) samples.push({ time: i * 100, gpu: i % 4, values: { 'power.draw': 100 } });
    const t = performance.now();
    energyJoules(samples, { field: 'power.draw' });
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
