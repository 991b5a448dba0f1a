/**
 * GPU energy from what a run recorded: an nvidia-smi power trace (integrated) or NVML
 * total-energy counter readings (subtracted). On an H100, `power.draw` is a 1-second
 * average that lags load changes (-5 % on a 9 s training phase, +21 % on the idle after
 * it); `power.draw.instant` sampled at 100 ms is within a few per cent; the counter is
 * exact. So: counter, else instant, else draw, and say which.
 */
import { Problems, RESULT_CODES as C, type Parsed, type ReadOptions } from './codes.js';
import { isNotAvailable, readNvidiaSmiCsv } from './nvsmi-csv.js';
import { leadingNumber } from './text.js';
import type { EnergyEstimate, EnergyEvent, EnergyMethod, PowerSample, PowerTrace, RunEvent, TimeLike } from './types.js';

export interface PowerTraceOptions extends ReadOptions {
  /** Column names for a file recorded with `--format=csv,noheader`. */
  fields?: readonly string[];
  /**
   * nvidia-smi prints the host's local time without a zone. eegen's scripts record with
   * TZ=UTC; for a trace recorded elsewhere give the host's offset (UTC+2 -> 120).
   */
  utcOffsetMinutes?: number;
}

/** Midnight UTC of each date seen: a trace has one or two dates and a million rows. */
const dayCache = new Map<string, number>();

/** The number written by the digits s[from..to), or NaN. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `2026/11/24 18:45:51.285` (or `2026-11-24T18:45:51`) -> milliseconds since the epoch,
 * UTC unless an offset is given. Read by position, not regex: traces have millions of rows.
 */
export function parseSmiTimestamp(s: string, utcOffsetMinutes = 0): number | undefined {
  if (s.length < 19 || s.length > 29) return undefined;
  const sep = s[4];
  if ((sep !== '/' && sep !== '-') || s[7] !== sep || (s[10] !== ' ' && s[10] !== 'T') || s[13] !== ':' || s[16] !== ':') return undefined;
  const dayKey = s.slice(0, 10);
  let day = dayCache.get(dayKey);
  if (day === undefined) {
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 7);
    const d = digits(s, 8, 10);
    if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31)) return undefined;
    day = Date.UTC(y, mo - 1, d);
    if (dayCache.size > 1000) dayCache.clear();
    dayCache.set(dayKey, day);
  }
  const h = digits(s, 11, 13);
  const mi = digits(s, 14, 16);
  const sec = digits(s, 17, 19);
  let ms = 0;
  if (s.length > 19) {
    if (s[19] !== '.' || s.length === 20) return undefined;
    ms = digits(s, 20, s.length) / 10 ** (s.length - 23);
  }
  const t = day + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
  return Number.isFinite(t) && h < 24 && mi < 60 && sec < 61 ? t - utcOffsetMinutes * 60_000 : undefined;
}

/** Reads `nvidia-smi --query-gpu=timestamp,index,power.draw,... --format=csv [-lms N]`. */
export function parsePowerTrace(csvText: string, options: PowerTraceOptions = {}): Parsed<PowerTrace> {
  const problems = new Problems(options.file);
  const trace: PowerTrace = { fields: [], units: {}, samples: [] };
  const seen = new Set<string>();
  readNvidiaSmiCsv(
    csvText,
    problems,
    (columns, cells, lineNo) => {
      let time: number | undefined;
      let gpu = 0;
      const values: Record<string, number | string | null> = {};
      columns.forEach((col, i) => {
        const cell = cells[i] as string;
        if (!seen.has(col.name)) {
          seen.add(col.name);
          if (col.name !== 'timestamp' && col.name !== 'index') trace.fields.push(col.name);
        }
        if (col.unit !== undefined) trace.units[col.name] = col.unit;
        if (col.name === 'timestamp') time = parseSmiTimestamp(cell, options.utcOffsetMinutes);
        else if (col.name === 'index') gpu = leadingNumber(cell) ?? 0;
        else values[col.name] = isNotAvailable(cell) ? null : (leadingNumber(cell) ?? cell);
      });
      if (time === undefined) {
        problems.add(C.csvBadTimestamp, 'This row has no readable timestamp (YYYY/MM/DD HH:MM:SS.mmm); skipped.', lineNo, 'Include timestamp first in --query-gpu.');
        return;
      }
      trace.samples.push({ time, gpu, values });
    },
    options.fields,
  );
  return { value: trace, problems: problems.done() };
}

export function toMillis(t: TimeLike): number {
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  return Date.parse(t);
}

export interface IntegrateOptions {
  from?: TimeLike;
  to?: TimeLike;
  field: 'power.draw.instant' | 'power.draw' | (string & {});
  /** One GPU; all GPUs (summed) when left out. */
  gpu?: number;
  /**
   * How the window's edges are treated. `samples` (default): only samples inside
   * [from, to] count, so up to one sampling interval at each edge is left out (the method
   * of the fixture README's table). `interpolate`: the segments crossing `from` and `to`
   * are cut there with linearly interpolated power, so the whole window counts; on the
   * H100 fixture this lands closer to the NVML counter (see docs/formats.md).
   */
  edges?: 'samples' | 'interpolate';
}

interface Integral {
  joules: number;
  gpus: number[];
  /** Milliseconds of [from, to] covered, per GPU, the smallest. */
  coveredMs: number;
}

/**
 * Trapezoid rule over the samples of each GPU, clipped to [from, to] (see `edges`).
 * Samples with no value for `field` are left out (the segment bridges them). GPUs are
 * integrated one by one and summed.
 */
function integrate(samples: readonly PowerSample[], options: IntegrateOptions): Integral {
  const from = options.from === undefined ? -Infinity : toMillis(options.from);
  const to = options.to === undefined ? Infinity : toMillis(options.to);
  const interpolate = options.edges === 'interpolate';
  const byGpu = new Map<number, { t: number; p: number }[]>();
  for (const s of samples) {
    if (options.gpu !== undefined && s.gpu !== options.gpu) continue;
    const p = s.values[options.field];
    if (typeof p !== 'number' || !Number.isFinite(p)) continue;
    if (!interpolate && (s.time < from || s.time > to)) continue;
    let list = byGpu.get(s.gpu);
    if (!list) byGpu.set(s.gpu, (list = []));
    list.push({ t: s.time, p });
  }
  let joules = 0;
  let coveredMs = Infinity;
  for (const list of byGpu.values()) {
    if (!isSorted(list)) list.sort((a, b) => a.t - b.t);
    let covered = 0;
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as { t: number; p: number };
      const b = list[i] as { t: number; p: number };
      const lo = a.t > from ? a.t : from;
      const hi = b.t < to ? b.t : to;
      if (hi <= lo) continue;
      const slope = (b.p - a.p) / (b.t - a.t);
      const pLo = a.p + slope * (lo - a.t);
      const pHi = a.p + slope * (hi - a.t);
      joules += ((pLo + pHi) / 2) * ((hi - lo) / 1000);
      covered += hi - lo;
    }
    coveredMs = Math.min(coveredMs, covered);
  }
  return { joules, gpus: [...byGpu.keys()].sort((a, b) => a - b), coveredMs: byGpu.size === 0 ? 0 : coveredMs };
}

function isSorted(list: readonly { t: number }[]): boolean {
  for (let i = 1; i < list.length; i++) if ((list[i] as { t: number }).t < (list[i - 1] as { t: number }).t) return false;
  return true;
}

/** Joules from a power trace between `from` and `to` (see `integrate`). */
export function energyJoules(samples: readonly PowerSample[], options: IntegrateOptions): number {
  return integrate(samples, options).joules;
}

/**
 * Joules between two NVML total-energy counter readings (millijoules). Undefined when the
 * counter went backwards (the driver was reloaded in between) or a reading is missing.
 */
export function energyFromCounter(startMilliJoules: number, endMilliJoules: number): number | undefined {
  if (!Number.isFinite(startMilliJoules) || !Number.isFinite(endMilliJoules) || endMilliJoules < startMilliJoules) return undefined;
  return (endMilliJoules - startMilliJoules) / 1000;
}

export interface CounterPair {
  gpu: number;
  startMilliJoules: number;
  endMilliJoules: number;
}

/**
 * Pairs the `energy` events labelled `fromLabel` and `toLabel` per GPU (the last of each
 * label after the last `start`, so a requeued run counts its last attempt).
 */
export function energyCounters(events: readonly RunEvent[], fromLabel = 'start', toLabel = 'end'): CounterPair[] {
  let first = 0;
  events.forEach((e, i) => {
    if (e.event === 'start') first = i;
  });
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  for (const e of events.slice(first)) {
    if (e.event !== 'energy') continue;
    const energy = e as EnergyEvent;
    if (energy.label === fromLabel) starts.set(energy.gpu, energy.mJ);
    if (energy.label === toLabel) ends.set(energy.gpu, energy.mJ);
  }
  const pairs: CounterPair[] = [];
  for (const [gpu, startMilliJoules] of [...starts].sort((a, b) => a[0] - b[0])) {
    const endMilliJoules = ends.get(gpu);
    if (endMilliJoules !== undefined) pairs.push({ gpu, startMilliJoules, endMilliJoules });
  }
  return pairs;
}

export interface BestEnergyInput {
  counters?: readonly CounterPair[];
  samples?: readonly PowerSample[];
  from?: TimeLike;
  to?: TimeLike;
  gpu?: number;
  /** Edge treatment for integrations; default `interpolate` (closer to the counter). */
  edges?: 'samples' | 'interpolate';
}

/**
 * The most trustworthy energy figure available: the NVML counter (every GPU counted has a
 * valid pair), else the trace integrated over `power.draw.instant`, else over
 * `power.draw`. Undefined when there is nothing to go on.
 */
export function bestEnergy(input: BestEnergyInput): EnergyEstimate | undefined {
  const pairs = (input.counters ?? []).filter((c) => input.gpu === undefined || c.gpu === input.gpu);
  const fromCounters = pairs.map((c) => energyFromCounter(c.startMilliJoules, c.endMilliJoules));
  if (pairs.length > 0 && fromCounters.every((j) => j !== undefined)) {
    return { joules: fromCounters.reduce<number>((a, b) => a + (b as number), 0), method: 'counter', gpus: pairs.map((c) => c.gpu) };
  }
  const samples = input.samples ?? [];
  for (const field of ['power.draw.instant', 'power.draw'] as const satisfies readonly EnergyMethod[]) {
    const edges = input.edges ?? 'interpolate';
    const options: IntegrateOptions = { field, edges };
    if (input.from !== undefined) options.from = input.from;
    if (input.to !== undefined) options.to = input.to;
    if (input.gpu !== undefined) options.gpu = input.gpu;
    const r = integrate(samples, options);
    if (r.coveredMs <= 0) continue;
    const estimate: EnergyEstimate = { joules: r.joules, method: field, gpus: r.gpus, edges };
    if (input.from !== undefined && input.to !== undefined) {
      const span = toMillis(input.to) - toMillis(input.from);
      if (span > 0) estimate.coverage = Math.min(1, r.coveredMs / span);
    }
    return estimate;
  }
  return undefined;
}
