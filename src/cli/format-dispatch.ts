/** Text for the dispatcher commands, separate from printing. */
import type { BundleStatus, HostSubmitReport, Pending, Row, SubmitResult } from '../dispatch/index.js';
import { quoteLiteral } from '../shell/quote.js';
import type { Value } from '../types.js';

const ORDER = ['built', 'synced', 'submitted', 'queued', 'running', 'done', 'failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost'];

export function stateCounts(bundles: readonly BundleStatus[]): string {
  const counts = new Map<string, number>();
  for (const b of bundles) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
  return ORDER.filter((s) => counts.has(s))
    .map((s) => `${s} ${counts.get(s)}`)
    .join(', ');
}

function cell(v: Value | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10000) / 10000);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A plain aligned table; long cells are cut so it stays readable in a terminal. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], max = 40): string {
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
  const all = [header, ...rows].map((r) => r.map(cut));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** A progress figure as a whole percentage (`37%`), or nothing. */
export function percent(p: number | undefined): string {
  return p === undefined || !Number.isFinite(p) ? '' : `${Math.round(p)}%`;
}

const HEADER = ['bundle', 'host', 'state', 'job', 'exit', 'progress', 'message'];

function statusRow(b: BundleStatus): string[] {
  return [b.id, b.host ?? '', b.state + (b.changedSinceSubmit ? ' (changed since submit)' : '') + (b.run && b.run > 1 ? ` (run ${b.run})` : '') + (b.runs ? ` (RAN ${b.runs} TIMES)` : ''), b.jobId ?? '', b.exitCode === undefined || b.exitCode === null ? '' : String(b.exitCode), percent(b.progress), b.why ?? b.msg ?? b.reason ?? ''];
}

/** Where the logs of runs that ended badly are: on the host, and in OUT once collected. */
export function formatLogs(logs: readonly { id: string; onHost: string; local: string }[], max = 20): string {
  if (!logs.length) return '';
  const lines = ['Logs of runs that did not succeed (on the host; in OUT after eegen collect):'];
  for (const l of logs.slice(0, max)) lines.push(`  ${l.id}: ${l.onHost}${l.local !== l.onHost ? `\n    ${' '.repeat(l.id.length)}  ${l.local}` : ''}`);
  if (logs.length > max) lines.push(`  ... and ${logs.length - max} more (eegen status OUT --json lists every one under "logs")`);
  return lines.join('\n');
}

const logsOf = (bundles: readonly BundleStatus[]) => bundles.flatMap((b) => (b.logs ?? []).map((l) => ({ id: b.id, ...l })));

export function formatStatus(bundles: readonly BundleStatus[], hostErrors: readonly { host: string; error: string }[]): string {
  const lines = [table(HEADER, bundles.map(statusRow)), '', stateCounts(bundles)];
  for (const e of hostErrors) lines.push(`! ${e.host}: ${e.error}`);
  const logs = formatLogs(logsOf(bundles));
  if (logs) lines.push('', logs);
  return lines.join('\n');
}

/** How far the sweep is: bundles finished of those submitted, as a whole percentage. */
export function summaryLine(bundles: readonly BundleStatus[]): string {
  const submitted = bundles.filter((b) => b.jobId);
  const finished = submitted.filter((b) => FINISHED.has(b.state));
  const pct = submitted.length ? percent((100 * finished.length) / submitted.length) : '';
  return `${submitted.length ? `${finished.length} of ${submitted.length} submitted bundles finished (${pct}); ` : ''}${stateCounts(bundles)}`;
}

const FINISHED = new Set(['done', 'failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost']);

/**
 * One screen of `status --watch`: the whole table when it fits in `rows` lines, else a
 * summary and the bundles that are not done (running first), cut to fit. Every line is cut
 * to `columns` so that no line wraps and the count holds.
 */
export function formatWatch(bundles: readonly BundleStatus[], hostErrors: readonly { host: string; error: string }[], rows: number, columns: number): string {
  const fit = (lines: string[]) => lines.map((l) => (l.length > columns ? `${l.slice(0, Math.max(1, columns - 1))}…` : l));
  const full = formatStatus(bundles, hostErrors).split('\n');
  if (full.length < rows) return fit(full).join('\n');
  const head = [summaryLine(bundles), ...hostErrors.map((e) => `! ${e.host}: ${e.error}`), ''];
  const rank = (b: BundleStatus) => (b.state === 'running' ? 0 : b.state === 'queued' || b.state === 'submitted' ? 1 : b.state === 'done' ? 3 : 2);
  const notDone = bundles.filter((b) => b.state !== 'done').sort((a, b) => rank(a) - rank(b));
  const room = Math.max(0, rows - head.length - 3); // header line, "... more", cursor line
  const shown = notDone.slice(0, room);
  const lines = [...head, ...(shown.length ? table(HEADER, shown.map(statusRow)).split('\n') : notDone.length ? [] : ['(every bundle is done)'])];
  if (notDone.length > shown.length) lines.push(`... ${notDone.length - shown.length} more not done (of ${bundles.length}; the terminal has ${rows} lines)`);
  // A terminal too small even for that gets the first lines (one is left for the cursor).
  return fit(lines.slice(0, Math.max(1, rows - 1))).join('\n');
}

/** One host's line(s) of a submit. */
export function formatSubmitHost(h: HostSubmitReport): string {
  const lines: string[] = [];
  const head = `${h.host}: ${h.submitted.length} submitted, ${h.skipped.length} already there, ${h.failed.length} failed`;
  lines.push(h.ok ? head : `${head}\n  ERROR ${h.error}`);
  for (const f of h.failed.slice(0, 20)) lines.push(`  ${f.id}: ${f.error}`);
  return lines.join('\n');
}

export function formatSubmit(r: SubmitResult): string {
  const lines: string[] = [];
  for (const h of r.hosts) lines.push(formatSubmitHost(h));
  if (r.alreadyThere.length) lines.push(`${r.alreadyThere.length} bundle${r.alreadyThere.length === 1 ? ' was' : 's were'} already submitted (queued, running or finished); --retry failed runs failures again, --retry all every finished one (earlier runs are kept).`);
  const stale = r.changedSinceSubmit.filter((id) => r.alreadyThere.some((s) => s.id === id));
  if (stale.length) lines.push(`WARNING: changed since they were submitted, and not run again: ${stale.join(', ')}; use --retry changed to run the new content.`);
  return lines.join('\n');
}

/** The merged results as a terminal table: parameters, how it ran, the headline figures. */
export function formatTable(rows: readonly Row[], paramColumns?: readonly string[]): string {
  if (!rows.length) return '(no bundles)';
  const headline = ['host', 'state', 'exitCode', 'duration_s', 'timer.total', 'accuracy', 'loss', 'energy_j'];
  const run = new Set([...headline, 'jobId', 'start', 'end', 'bundleHash', 'runHash', 'eegen', 'history', 'energy_method', 'signal', 'note']);
  const params = paramColumns ? [...paramColumns] : Object.keys(rows[0]!).filter((k) => k !== 'id' && !run.has(k) && !k.includes('.'));
  const cols = [...new Set(['id', ...params, ...headline.filter((k) => rows.some((r) => r[k] !== null && r[k] !== undefined))])];
  const body = rows.map((r) => cols.map((c) => cell(Object.prototype.hasOwnProperty.call(r, c) ? r[c] : undefined)));
  const idWidth = Math.max(...rows.map((r) => String(r.id).length));
  return `${table(cols, body, Math.max(24, idWidth))}\n(every column, timers and provenance included, is in results.csv)`;
}

/** After a collect while bundles still run: how many, and the command that collects again. */
export function formatPending(p: Pending, out: string, again: string): string {
  if (!p.ids.length) return '';
  const parts = (['running', 'queued', 'submitted'] as const).filter((k) => p[k] > 0).map((k) => `${p[k]} ${k}`);
  const n = p.ids.length;
  return `${n} bundle${n === 1 ? ' has' : 's have'} not finished (${parts.join(', ')}): ${n === 1 ? 'its row is' : 'their rows are'} partial. When they have (eegen status ${quoteLiteral(out)} --watch), collect again:\n  ${again}\n`;
}
