/** Text for the dispatcher commands, separate from printing. */
import type { BundleStatus, Row, SubmitResult } from '../dispatch/index.js';
import type { Pending } from '../dispatch/collect.js';
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

export function formatStatus(bundles: readonly BundleStatus[], hostErrors: readonly { host: string; error: string }[]): string {
  const rows = bundles.map((b) => [b.id, b.host ?? '', b.state + (b.changedSinceSubmit ? ' (changed since submit)' : '') + (b.run && b.run > 1 ? ` (run ${b.run})` : '') + (b.runs ? ` (RAN ${b.runs} TIMES)` : ''), b.jobId ?? '', b.exitCode === undefined || b.exitCode === null ? '' : String(b.exitCode), b.progress === undefined ? '' : `${b.progress}%`, b.why ?? b.msg ?? b.reason ?? '']);
  const lines = [table(['bundle', 'host', 'state', 'job', 'exit', 'progress', 'message'], rows), '', stateCounts(bundles)];
  for (const e of hostErrors) lines.push(`! ${e.host}: ${e.error}`);
  return lines.join('\n');
}

export function formatSubmit(r: SubmitResult): string {
  const lines: string[] = [];
  for (const h of r.hosts) {
    const head = `${h.host}: ${h.submitted.length} submitted, ${h.skipped.length} already there, ${h.failed.length} failed`;
    lines.push(h.ok ? head : `${head}\n  ERROR ${h.error}`);
    for (const f of h.failed.slice(0, 20)) lines.push(`  ${f.id}: ${f.error}`);
  }
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
