/** Text for the terminal, built separately from printing so it can be snapshot-tested. */
import type { BuildResult } from '../build.js';
import type { SweepPlan } from '../expand/index.js';
import type { Mapping, Value, WriteReport } from '../types.js';

function valueText(v: Value): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function paramsText(params: Mapping): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

export function formatPlan(plan: SweepPlan): string {
  const lines: string[] = [];
  const dims = plan.dimensions.map((d) => `${d.name} (${d.count})`).join(' × ');
  lines.push(`Sweep: ${dims || '(no parameters)'} = ${plan.product.toLocaleString('en-US')} combination${plan.product === 1 ? '' : 's'}`);
  for (const d of plan.dimensions) {
    const shown = d.values.map(valueText).join(', ');
    lines.push(`  ${d.name}: ${shown}${d.count > d.values.length ? `, ... (${d.count} values)` : ''}`);
  }
  for (const r of plan.rules) {
    const verb = r.kind === 'sample' ? 'dropped' : 'removed';
    lines.push(`  ${r.rule}: ${verb} ${r.removed.toLocaleString('en-US')}${r.reason ? ` (${r.reason})` : ''}`);
    for (const ex of r.examples) lines.push(`      e.g. ${paramsText(ex)}`);
  }
  lines.push(`Kept: ${plan.kept.toLocaleString('en-US')} (limit ${plan.limit.toLocaleString('en-US')})${plan.overLimit ? ' — over the limit: build needs --force or a higher sweep.limit' : ''}`);
  return lines.join('\n');
}

function list(label: string, ids: readonly string[], max = 10): string[] {
  if (!ids.length) return [];
  const shown = ids.slice(0, max).join(', ');
  return [`  ${label} (${ids.length}): ${shown}${ids.length > max ? `, ... ${ids.length - max} more` : ''}`];
}

/** `all`: every id (--verbose), not the first ten of each list. */
export function formatReport(outDir: string, report: WriteReport, all = false): string {
  const max = all ? Infinity : 10;
  const n = report.added.length + report.changed.length + report.unchanged.length;
  const lines = [
    `Built ${n} bundle${n === 1 ? '' : 's'} in ${outDir}: ${report.added.length} added, ${report.changed.length} changed, ${report.unchanged.length} unchanged, ${report.removed.length} removed, ${report.stale.length} stale.`,
    ...list('added', report.added, max),
    ...list('changed', report.changed, max),
    ...list('removed', report.removed, max),
    ...list('stale (no longer produced; --prune removes them)', report.stale, max),
  ];
  if (report.changedAfterSubmit.length) lines.push(...list('WARNING changed after they were submitted: results on disk came from the old content', report.changedAfterSubmit, max));
  return lines.join('\n');
}

export function formatDryRun(result: BuildResult): string {
  const bundles = result.plan?.bundles ?? [];
  const lines = [`Would write ${bundles.length} bundle${bundles.length === 1 ? '' : 's'} to ${result.outDir}:`];
  for (const b of bundles.slice(0, 50)) lines.push(`  ${b.dir}/${b.script}  ${paramsText(b.params)}`);
  if (bundles.length > 50) lines.push(`  ... ${bundles.length - 50} more`);
  return lines.join('\n');
}

export function formatCheck(result: BuildResult): string {
  const diffs = result.differences ?? [];
  if (!diffs.length) return `${result.outDir} is up to date: ${result.plan?.bundles.length ?? 0} bundles match the config.`;
  const lines = [`${result.outDir} differs from what the config produces (${diffs.length} difference${diffs.length === 1 ? '' : 's'}):`];
  for (const d of diffs.slice(0, 200)) lines.push(`  ${d.kind}: ${d.id ? `${d.id}${d.file ? `/${d.file}` : ''}` : d.file ?? ''}`);
  if (diffs.length > 200) lines.push(`  ... ${diffs.length - 200} more`);
  lines.push('Run `eegen build` (with --prune to drop extra bundles) and commit the result.');
  return lines.join('\n');
}

/** JSON for `build --dry-run --json` and `build --json`: stable, relative paths only. */
export function buildJson(result: BuildResult): unknown {
  return {
    ok: result.ok,
    outDir: result.outDir,
    bundles: (result.plan?.bundles ?? []).map((b) => ({
      id: b.id,
      dir: b.dir,
      index: b.index,
      params: b.params,
      script: b.script,
      scheduler: b.scheduler,
      hash: b.hash,
      files: Object.fromEntries(b.written ? b.written.map((f) => [f.path, f.size]) : b.files.map((f) => [f.path, f.content.length])),
    })),
    ...(result.report ? { report: result.report } : {}),
    ...(result.differences ? { differences: result.differences } : {}),
    diagnostics: result.diagnostics,
  };
}
