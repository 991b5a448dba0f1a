/**
 * The report's charts: Vega-Lite specs made from a study (which parameters vary, which
 * columns are results), rendered to SVG at report time by Vega (no browser). The only
 * import site of `vega` and `vega-lite`; loaded by `eegen report` only.
 *
 * Charts: runtime per configuration (mean and spread over repeats, by host), the
 * per-epoch training histories from the MLLOG results, each metric against each numeric
 * swept parameter, GPU energy per configuration, and bundles per state. A chart whose
 * data the study does not have is left out, not drawn empty. The config's `report:`
 * settings (settings.ts) override the grouping, the x parameters and the metrics.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Study, StudyRow } from './study.js';
import { num, str } from './study.js';
import { parametersOf, type ReportSettings } from './settings.js';
import { mean, metricsOf, sd } from './summary.js';

export interface Chart {
  /** File name stem: charts/NAME.svg, charts/NAME.png. */
  name: string;
  title: string;
  spec: TopLevelSpec;
  /** Bundles whose rows the chart draws. */
  bundles: string[];
}

interface Entry {
  row: StudyRow;
  params: Record<string, unknown>;
  config: string;
}

const WIDTH = 520;

/** Each collected bundle, labelled by its configuration: the values of `groupBy` (default: every swept parameter but repeat). */
function entries(studies: readonly Study[], groupBy?: readonly string[]): Entry[] {
  const out: Entry[] = [];
  for (const s of studies) {
    const keys = groupBy ?? s.varying.filter((k) => k !== 'repeat');
    for (const b of s.bundles) {
      const row = s.rows.get(b.id);
      if (!row) continue;
      const config = keys.map((k) => `${k}=${typeof b.params[k] === 'string' ? b.params[k] : JSON.stringify(b.params[k])}`).join(' ') || b.id;
      out.push({ row, params: b.params, config });
    }
  }
  return out;
}

/** A history as per-epoch rows: Keras' {loss: [...]} or [{epoch, loss, ...}] (docs/formats.md). */
function historyRows(h: unknown): Record<string, number>[] {
  if (Array.isArray(h)) return h.filter((x): x is Record<string, number> => x !== null && typeof x === 'object').map((x, i) => ({ ...x, epoch: num(x.epoch) ?? i + 1 }));
  if (h !== null && typeof h === 'object') {
    const cols = Object.entries(h as Record<string, unknown>).filter((e): e is [string, number[]] => Array.isArray(e[1]));
    const n = Math.max(0, ...cols.map(([, v]) => v.length));
    return Array.from({ length: n }, (_, i) => Object.fromEntries([['epoch', i + 1], ...cols.map(([k, v]) => [k, v[i]!])]));
  }
  return [];
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: WIDTH, config: { font: 'sans-serif', view: { stroke: null } } } as const;

/** Bars of the mean of `field` per configuration with its standard deviation (optionally coloured by `color`). */
function spreadBars(values: Record<string, unknown>[], field: string, title: string, color?: string): TopLevelSpec {
  return {
    ...base,
    data: { values },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'configuration', type: 'nominal', title: null }, x: { aggregate: 'mean', field, type: 'quantitative', title, stack: null }, ...(color ? { color: { field: color, type: 'nominal' } } : {}) } },
      { mark: { type: 'errorbar', extent: 'stdev' }, encoding: { y: { field: 'configuration', type: 'nominal' }, x: { field, type: 'quantitative', title } } },
    ],
  };
}

/** History lines drawn one per run up to this many runs; past it, one per configuration (their mean). */
export const MAX_RUN_LINES = 200;
/** Points drawn one per run up to this many; past it, means with a standard-deviation band. */
export const MAX_POINTS = 2000;

/** Rows grouped by the values of `keys`, in first-seen order. */
function groupRows(rows: readonly Record<string, unknown>[], keys: readonly string[]): { first: Record<string, unknown>; rows: Record<string, unknown>[] }[] {
  const groups = new Map<string, { first: Record<string, unknown>; rows: Record<string, unknown>[] }>();
  for (const r of rows) {
    const k = JSON.stringify(keys.map((key) => r[key]));
    const g = groups.get(k);
    if (g) g.rows.push(r);
    else groups.set(k, { first: r, rows: [r] });
  }
  return [...groups.values()];
}

/** One row per group of `keys`: the keys and the mean of `field`. */
function meanOf(rows: readonly Record<string, unknown>[], keys: readonly string[], field: string): Record<string, unknown>[] {
  return groupRows(rows, keys).map((g) => ({ ...Object.fromEntries(keys.map((k) => [k, g.first[k]])), [field]: mean(g.rows.map((r) => r[field] as number)) }));
}

/** One row per group of `keys`: the mean of `field`, and the mean less and plus one (sample) standard deviation. */
function spreadOf(rows: readonly Record<string, unknown>[], keys: readonly string[], field: string): Record<string, unknown>[] {
  return groupRows(rows, keys).map((g) => {
    const xs = g.rows.map((r) => r[field] as number);
    const m = mean(xs);
    const d = sd(xs);
    return { ...Object.fromEntries(keys.map((k) => [k, g.first[k]])), mean: m, low: m - d, high: m + d, runs: xs.length };
  });
}

/** The charts a study supports, from what varies and what was measured (or what `settings` name). */
export function chartsFor(studies: readonly Study[], settings: ReportSettings = {}): Chart[] {
  const all = entries(studies, settings.groupBy);
  const done = all.filter((e) => e.row.state === 'done');
  const charts: Chart[] = [];
  const varying = parametersOf(studies).filter((k) => k !== 'repeat');
  const isNumeric = (k: string) => all.every((e) => num(e.params[k]) !== undefined);
  const numeric = varying.filter(isNumeric);
  const xs = settings.x ?? numeric;
  // Lines of a metric chart: one per value of these (the x parameter itself excluded).
  const lines = (p: string) => (settings.groupBy ?? varying.filter((k) => !numeric.includes(k))).filter((k) => k !== p);

  const timed = done.filter((e) => num(e.row.duration_s) !== undefined);
  if (timed.length) {
    charts.push({
      name: 'runtime',
      title: 'Runtime per configuration (mean and standard deviation over repeats)',
      bundles: timed.map((e) => e.row.id),
      spec: spreadBars(timed.map((e) => ({ configuration: e.config, host: str(e.row.host) ?? '(unknown)', duration_s: num(e.row.duration_s)! })), 'duration_s', 'duration (s)', 'host'),
    });
  }

  const history: Record<string, unknown>[] = [];
  for (const e of done) {
    for (const r of historyRows(e.row.history)) {
      for (const [k, v] of Object.entries(r)) {
        if (k === 'epoch' || num(v) === undefined) continue;
        const kind = /loss/i.test(k) ? 'loss' : /acc/i.test(k) ? 'accuracy' : k;
        history.push({ configuration: e.config, bundle: e.row.id, epoch: r.epoch, series: k, kind, value: v });
      }
    }
  }
  if (history.length) {
    const runs = [...new Set(history.map((h) => h.bundle as string))];
    // Past a few hundred runs one line each is a tangle (and an SVG of megabytes): the
    // lines are then each configuration's mean per epoch.
    const many = runs.length > MAX_RUN_LINES;
    charts.push({
      name: 'history',
      title: many ? `Training history per epoch (each line the mean of a configuration's ${runs.length.toLocaleString('en-US')} runs)` : 'Training history per epoch (each line one run)',
      bundles: runs,
      spec: {
        $schema: base.$schema,
        config: base.config,
        data: { values: many ? meanOf(history, ['configuration', 'epoch', 'series', 'kind'], 'value').map((m) => ({ ...m, bundle: m.configuration })) : history },
        facet: { column: { field: 'kind', type: 'nominal', title: null } },
        spec: {
          width: WIDTH / 2,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'epoch', type: 'ordinal', axis: { labelAngle: 0 } },
            y: { field: 'value', type: 'quantitative', scale: { zero: false } },
            color: { field: 'configuration', type: 'nominal' },
            strokeDash: { field: 'series', type: 'nominal' },
            detail: { field: 'bundle', type: 'nominal' },
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    });
  }

  const measured = metricsOf(done.map((e) => e.row));
  const metrics = settings.metrics ? settings.metrics.flatMap((c) => measured.filter((m) => m.column === c)) : measured.filter((m) => m.column === 'accuracy' || m.column === 'loss' || m.column.startsWith('result.'));
  for (const p of xs) {
    // A parameter named as x that is not numeric is drawn with its values as categories.
    const quantitative = isNumeric(p);
    const group = lines(p);
    for (const m of metrics) {
      const values = done.filter((e) => num(e.row[m.column]) !== undefined).map((e) => ({ [p]: quantitative ? num(e.params[p]) : String(e.params[p]), value: num(e.row[m.column]), group: group.map((k) => `${k}=${String(e.params[k])}`).join(' ') || 'all' }));
      if (new Set(values.map((v) => v[p])).size < 2) continue;
      const name = `${m.column.replace(/[^A-Za-z0-9_-]/g, '_')}-by-${p.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const bundles = done.filter((e) => num(e.row[m.column]) !== undefined).map((e) => e.row.id);
      const x = { field: p, type: quantitative ? 'quantitative' : 'nominal' } as const;
      const color = { field: 'group', type: 'nominal', title: group.join(' ') || null } as const;
      const y = { type: 'quantitative', title: m.column, scale: { zero: false } } as const;
      if (values.length > MAX_POINTS) {
        // Too many runs to draw each: the mean per x value and line, with a band of one standard deviation.
        charts.push({
          name,
          title: `${m.column} against ${p} (${m.better} is better; lines are the means of ${values.length.toLocaleString('en-US')} runs, bands one standard deviation)`,
          bundles,
          spec: {
            ...base,
            data: { values: spreadOf(values, [p, 'group'], 'value') },
            encoding: { x, color },
            layer: [
              { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { ...y, field: 'low' }, y2: { field: 'high' } } },
              { mark: { type: 'line', point: true }, encoding: { y: { ...y, field: 'mean' } } },
            ],
          },
        });
        continue;
      }
      charts.push({
        name,
        title: `${m.column} against ${p} (${m.better} is better; points are runs, lines the means)`,
        bundles,
        spec: {
          ...base,
          data: { values },
          encoding: { x, color },
          layer: [
            { mark: { type: 'point', opacity: 0.6 }, encoding: { y: { ...y, field: 'value' } } },
            { mark: 'line', encoding: { y: { aggregate: 'mean', field: 'value', type: 'quantitative' } } },
          ],
        },
      });
    }
  }

  const metered = done.filter((e) => num(e.row.energy_j) !== undefined);
  if (metered.length) {
    charts.push({
      name: 'energy',
      title: 'GPU energy per run, by configuration (mean and standard deviation)',
      bundles: metered.map((e) => e.row.id),
      spec: spreadBars(metered.map((e) => ({ configuration: e.config, energy_kj: num(e.row.energy_j)! / 1000 })), 'energy_kj', 'energy (kJ)'),
    });
  }

  const states = all.map((e) => ({ state: str(e.row.state) ?? 'unknown' }));
  if (states.length) {
    charts.push({
      name: 'states',
      title: 'Bundles per state',
      bundles: all.map((e) => e.row.id),
      spec: { ...base, data: { values: states }, mark: 'bar', encoding: { y: { field: 'state', type: 'nominal', title: null, sort: '-x' }, x: { aggregate: 'count', type: 'quantitative', title: 'bundles' }, color: { field: 'state', type: 'nominal', legend: null } } },
    });
  }
  return charts;
}

/** A chart as SVG text (Vega's SVG renderer: no browser, no canvas). */
export async function renderSvg(chart: Chart): Promise<string> {
  // Vega-Lite's warnings (about a spec eegen made) are not the user's to read.
  const quiet = { level: () => quiet, error: (...m: unknown[]) => { throw new Error(`eegen: chart ${chart.name}: ${m.join(' ')}`); }, warn: () => quiet, info: () => quiet, debug: () => quiet };
  const compiled = vl.compile(chart.spec, { logger: quiet as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
