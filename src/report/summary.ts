/**
 * `summary.md`: the Markdown summary of one or more collected studies, for READMEs and CI
 * logs: counts per state, totals (bundle-hours, GPU-hours, GPU energy), runtime per
 * configuration with the spread over repeats, the best configuration per metric, and the
 * runs that did not succeed. Pure: studies in, text out.
 *
 * Every value from a study (parameter values, notes, host names) is written as text that
 * Markdown cannot take for markup: table pipes and line breaks escaped, `<`, `>` and `&`
 * as entities, so a note like `<script>` or `a | b` stays what it is on GitHub.
 */
import type { JobRequest } from '../scheduler/types.js';
import type { Study, StudyRow } from './study.js';
import { num, str } from './study.js';

/** Metrics a report ranks, with the direction that is better. */
export interface Metric {
  column: string;
  better: 'higher' | 'lower';
}

/** The columns of results.jsonl that are measurements, each with its better direction. */
export function metricsOf(rows: readonly StudyRow[]): Metric[] {
  const columns = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (num(v) !== undefined) columns.add(k);
  const lowerIsBetter = (c: string) => /(^|[._])(loss|error|err|time|duration|energy|latency|mse|rmse|mae)([._]|s?$)/i.test(c) || c.startsWith('timer.') || c === 'duration_s' || c === 'energy_j';
  const measured = [...columns].filter((c) => c === 'accuracy' || c === 'loss' || c === 'duration_s' || c === 'energy_j' || c.startsWith('result.') || c.startsWith('timer.'));
  const order = (c: string) => (c === 'accuracy' ? 0 : c === 'loss' ? 1 : c.startsWith('result.') ? 2 : c === 'duration_s' ? 3 : c === 'energy_j' ? 4 : 5);
  return measured.sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1)).map((column) => ({ column, better: lowerIsBetter(column) && !column.includes('accuracy') ? 'lower' : 'higher' }));
}

/** Bytes in words, 1000-based as disks and quotas are sold: `512 B`, `3.20 MB`, `1.50 TB`. */
export function formatBytes(b: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = Math.abs(b);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) (v /= 1000), i++;
  return `${b < 0 ? '-' : ''}${i === 0 ? Math.round(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

/** Text safe in a Markdown table cell. */
export function cell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? formatNumber(v) : JSON.stringify(v);
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[*_`[\]#~]/g, (c) => `\\${c}`)
    .replace(/\r?\n|\r/g, '<br>');
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The sample standard deviation (0 for fewer than two values). */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** A configuration: the swept values except the replicate (`repeat`). */
function configKey(study: Study, params: Record<string, unknown>): string {
  return study.varying
    .filter((k) => k !== 'repeat')
    .map((k) => `${k}=${typeof params[k] === 'string' ? params[k] : JSON.stringify(params[k])}`)
    .join(' ');
}

interface Entry {
  study: Study;
  row: StudyRow;
  params: Record<string, unknown>;
}

/** `requests`: per study, the nodes and GPUs each bundle's script asks for (jobRequests); GPU-hours assume one GPU where a bundle has none. */
export function summaryMarkdown(studies: readonly Study[], eegenVersion: string, opts: { title?: string; requests?: ReadonlyMap<Study, ReadonlyMap<string, JobRequest>> } = {}): string {
  const entries: Entry[] = [];
  for (const s of studies) for (const b of s.bundles) entries.push({ study: s, row: s.rows.get(b.id) ?? { id: b.id, state: 'not collected' }, params: b.params });
  const title = opts.title ?? studies.map((s) => s.name ?? s.out).join(', ');
  const lines: string[] = [`<!-- eegen report: written by eegen ${cell(eegenVersion)}; eegen report replaces this file, and only this one -->`, `# Study: ${cell(title)}`, ''];
  lines.push(
    `${entries.length} bundle${entries.length === 1 ? '' : 's'} from ${studies.map((s) => `\`${cell(s.out).replace(/`/g, '')}\` (results.jsonl sha256 ${s.resultsHash.slice(0, 12)})`).join(', ')}; eegen ${cell(eegenVersion)}.`,
    '',
  );

  // Hosts and their GPUs, from the fingerprints.
  const hosts = new Map<string, Set<string>>();
  for (const e of entries) {
    const h = str(e.row.host);
    if (!h) continue;
    const set = hosts.get(h) ?? new Set<string>();
    const gpu = str(e.row['fp.gpu']);
    if (gpu) set.add(gpu);
    hosts.set(h, set);
  }
  if (hosts.size) lines.push(`Hosts: ${[...hosts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([h, g]) => `${cell(h)}${g.size ? ` (${[...g].sort().map(cell).join(', ')})` : ''}`).join('; ')}.`, '');

  // States.
  const states = new Map<string, number>();
  for (const e of entries) states.set(str(e.row.state) ?? 'unknown', (states.get(str(e.row.state) ?? 'unknown') ?? 0) + 1);
  lines.push('## States', '', ...table(['state', 'bundles'], [...states].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([s, n]) => [cell(s), String(n)])), '');

  // Totals.
  const ran = entries.filter((e) => num(e.row.duration_s) !== undefined);
  const seconds = ran.reduce((a, e) => a + num(e.row.duration_s)!, 0);
  let gpuSeconds = 0;
  let assumed = 0;
  for (const e of ran) {
    const request = opts.requests?.get(e.study)?.get(e.row.id);
    if (!request) assumed++;
    gpuSeconds += num(e.row.duration_s)! * (request?.gpus ?? 1);
  }
  const withEnergy = entries.filter((e) => num(e.row.energy_j) !== undefined);
  const joules = withEnergy.reduce((a, e) => a + num(e.row.energy_j)!, 0);
  const withBytes = entries.filter((e) => num(e.row.output_bytes) !== undefined);
  const bytes = withBytes.reduce((a, e) => a + num(e.row.output_bytes)!, 0);
  lines.push(
    '## Totals',
    '',
    `- Run time: ${formatNumber(seconds / 3600)} bundle-hours over ${ran.length} runs (${formatNumber(gpuSeconds / 3600)} GPU-hours ${assumed === 0 ? "as each bundle's job script requests GPUs" : assumed === ran.length ? 'at one GPU per bundle: no job script says otherwise' : `as the job scripts request, one GPU for the ${assumed} whose scripts say nothing`}).`,
    withEnergy.length ? `- GPU energy: ${formatNumber(joules / 3.6e6)} kWh (${formatNumber(joules)} J) over the ${withEnergy.length} runs that recorded it.` : '- GPU energy: not recorded by any run.',
    ...(withBytes.length ? [`- Output written: ${formatBytes(bytes)} (${bytes} bytes) over the ${withBytes.length} runs that recorded it.`] : []),
    '',
  );

  // Runtime per configuration (and host), spread over repeats.
  const groups = new Map<string, number[]>();
  for (const e of entries) {
    const d = num(e.row.duration_s);
    if (d === undefined || e.row.state !== 'done') continue;
    const k = `${configKey(e.study, e.params)}${str(e.row.host) ? ` on ${e.row.host}` : ''}`;
    groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  if (groups.size) {
    lines.push('## Runtime per configuration (finished runs)', '', ...table(['configuration', 'runs', 'mean s', 'sd s', 'min s', 'max s'], [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, ds]) => [cell(k || '(one configuration)'), String(ds.length), formatNumber(mean(ds)), formatNumber(sd(ds)), formatNumber(Math.min(...ds)), formatNumber(Math.max(...ds))])), '');
  }

  // The best configuration per metric: means over the repeats of each configuration.
  const done = entries.filter((e) => e.row.state === 'done');
  const metrics = metricsOf(done.map((e) => e.row));
  if (metrics.length) {
    const best: string[][] = [];
    for (const m of metrics) {
      const by = new Map<string, number[]>();
      for (const e of done) {
        const v = num(e.row[m.column]);
        if (v === undefined) continue;
        const k = configKey(e.study, e.params);
        by.set(k, [...(by.get(k) ?? []), v]);
      }
      if (!by.size) continue;
      const ranked = [...by].map(([k, vs]) => ({ k, vs, m: mean(vs) })).sort((a, b) => (m.better === 'higher' ? b.m - a.m : a.m - b.m) || (a.k < b.k ? -1 : 1));
      const top = ranked[0]!;
      best.push([cell(m.column), m.better, cell(top.k || '(one configuration)'), `${formatNumber(top.m)}${top.vs.length > 1 ? ` ± ${formatNumber(sd(top.vs))}` : ''}`, String(top.vs.length)]);
    }
    lines.push('## Best configuration per metric (mean over repeats)', '', ...table(['metric', 'better', 'configuration', 'value', 'runs'], best), '');
  }

  // Runs that did not succeed.
  const bad = entries.filter((e) => e.row.state !== 'done');
  if (bad.length) {
    lines.push('## Not done', '', ...table(['bundle', 'state', 'exit', 'note'], bad.slice(0, 50).map((e) => [cell(e.row.id), cell(e.row.state), cell(e.row.exitCode ?? ''), cell(e.row.note ?? '')])));
    if (bad.length > 50) lines.push('', `... and ${bad.length - 50} more.`);
    lines.push('');
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
