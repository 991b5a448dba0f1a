/**
 * `eegen report OUT... [--out DIR]`: the figures a study ends with, from one or more
 * collected studies (study.ts): `summary.md` (summary.ts), `report.html` (html.ts: one
 * self-contained file) and each chart as `charts/NAME.svg` and `.png` (charts.ts, png.ts),
 * drawn as the config's `report:` settings say where it has them (settings.ts).
 * Writes only files of its own into DIR, atomically, and never replaces one it did not
 * write (or that was edited since): `DIR/.eegen-report.json` records what it wrote.
 * With `crate`, DIR is also an RO-Crate (crate.ts): `ro-crate-metadata.json` and copies of
 * each study's index.json and results files under `studies/`.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, SourceSet, type Diagnostic } from '../diagnostics/index.js';
import { EEGEN_VERSION } from '../version.js';
import { writeFileAtomic } from '../write/state.js';
import { loadStudy, STUDY_CODES, type Study } from './study.js';
import { CRATE_CODES, licenseEntity } from './crate.js';
import { summaryMarkdown } from './summary.js';
import type { Chart } from './charts.js';
import { checkReportSettings, loadReportSettings, measuredOf, parametersOf, ReportSettingsError, SETTINGS_CODES, type LoadedReportSettings } from './settings.js';

export { loadStudy, type Study, type StudyRow, type StudyBundle } from './study.js';
export { summaryMarkdown, metricsOf, type Metric } from './summary.js';
export { loadReportSettings, ReportSettingsError, type ReportSettings } from './settings.js';
export { validateCrate, CRATE_FILE, CRATE_PROFILES } from './crate.js';

/** EG8001-EG8003 are the study's (no build, nothing collected, a corrupt row); EG81xx the report's. */
export const REPORT_CODES = { ...STUDY_CODES, notOurs: 'EG8101', cannotWrite: 'EG8102', noStudy: 'EG8103', ...SETTINGS_CODES, ...CRATE_CODES } as const;

export interface ReportOptions {
  /** Output directories of builds, with collected results. */
  outs: string[];
  /** Where the report goes (default: OUT/report for one study, ./report for several). */
  dir?: string;
  /**
   * The study's config file, whose `report:` settings (title, group_by, x, metrics) the
   * report follows. A bad config, or a name the study does not have, is refused with a
   * `ReportSettingsError` (its `sources` hold the config text for code frames).
   */
  config?: string;
  /** Also write an RO-Crate (ro-crate-metadata.json, Workflow Run Crate profile) of the studies and the report. */
  crate?: boolean;
  /** The crate's license for the study: an SPDX identifier or a URL (default: a note that none was chosen). */
  license?: string;
}

export interface ReportResult {
  dir: string;
  /** Files written (or found unchanged), relative to `dir`: summary.md, report.html, charts/NAME.svg and .png (with `crate`: ro-crate-metadata.json, studies/S/...). */
  files: string[];
  /** The charts drawn (charts/NAME.svg). */
  charts: string[];
  studies: Study[];
  diagnostics: Diagnostic[];
}

/** What the last report in a directory wrote: path -> sha256; a file not listed (or changed since) is not the report's. */
const OWN = '.eegen-report.json';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

async function readOwn(dir: string): Promise<Map<string, string>> {
  try {
    const doc = JSON.parse(await readFile(path.join(dir, OWN), 'utf8')) as { files?: Record<string, unknown> };
    return new Map(Object.entries(doc.files ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
}

/** A file at `rel` that this report may replace: absent, or what an earlier report wrote, unchanged. */
async function mayReplace(dir: string, rel: string, own: ReadonlyMap<string, string>): Promise<void> {
  let old: Buffer;
  try {
    old = await readFile(path.join(dir, rel));
  } catch {
    return;
  }
  const recorded = own.get(rel);
  if (recorded !== undefined && recorded === sha(old)) return;
  // summary.md of a report from before the record existed carries its own mark.
  if (recorded === undefined && rel === 'summary.md' && old.toString('utf8').startsWith('<!-- eegen report')) return;
  throw new DiagnosticError(
    diag(
      REPORT_CODES.notOurs,
      `${path.join(dir, rel)} exists and ${recorded === undefined ? 'was not written by eegen report' : 'was changed since eegen report wrote it'}; it is left as it is.`,
      undefined,
      'Move it away, or give the report another directory with --out DIR.',
    ),
  );
}

export async function report(opts: ReportOptions): Promise<ReportResult> {
  if (!opts.outs.length) throw new DiagnosticError(diag(REPORT_CODES.noStudy, 'No study to report on.', undefined, 'Give the output directory of a build with collected results: eegen report OUT.'));
  // A bad --license is refused before anything is read or drawn.
  if (opts.crate) licenseEntity(opts.license);
  const settings: LoadedReportSettings = opts.config !== undefined ? await loadReportSettings(opts.config) : { settings: {}, sources: new SourceSet() };
  const studies: Study[] = [];
  for (const out of opts.outs) studies.push(await loadStudy(out));
  const dir = opts.dir ?? (opts.outs.length === 1 ? path.join(opts.outs[0]!, 'report') : 'report');
  // Vega, Vega-Lite and resvg load for this command only.
  const unknown = checkReportSettings(settings, parametersOf(studies), measuredOf(studies));
  if (unknown.length) throw new ReportSettingsError(unknown, settings.sources);
  const [{ chartsFor, renderSvg }, { svgToPng }, { reportHtml }] = await Promise.all([import('./charts.js'), import('./png.js'), import('./html.js')]);
  const { title } = settings.settings;
  const rendered: { chart: Chart; svg: string }[] = [];
  for (const chart of chartsFor(studies, settings.settings)) rendered.push({ chart, svg: await renderSvg(chart) });
  const files = new Map<string, Buffer>();
  files.set('summary.md', Buffer.from(summaryMarkdown(studies, EEGEN_VERSION, title !== undefined ? { title } : {})));
  files.set('report.html', Buffer.from(reportHtml(studies, rendered, EEGEN_VERSION, title !== undefined ? { title } : {})));
  for (const { chart, svg } of rendered) {
    files.set(`charts/${chart.name}.svg`, Buffer.from(svg));
    files.set(`charts/${chart.name}.png`, svgToPng(svg));
  }
  const diagnostics = studies.flatMap((s) => s.diagnostics);
  if (opts.crate) {
    const { crateFiles } = await import('./crate.js');
    const crate = await crateFiles(studies, { version: EEGEN_VERSION, reportFiles: new Map(files), ...(opts.license !== undefined ? { license: opts.license } : {}) });
    for (const [rel, bytes] of crate.files) files.set(rel, bytes);
    diagnostics.push(...crate.diagnostics);
  }
  const own = await readOwn(dir);
  for (const rel of files.keys()) await mayReplace(dir, rel, own);
  try {
    for (const [rel, bytes] of files) await writeFileAtomic(path.join(dir, rel), bytes);
    // Charts of an earlier report that this one does not draw: removed, if still as written.
    for (const [rel, hash] of own) {
      if (files.has(rel)) continue;
      const old = await readFile(path.join(dir, rel)).catch(() => undefined);
      if (old && sha(old) === hash) await rm(path.join(dir, rel));
    }
    await writeFileAtomic(path.join(dir, OWN), `${JSON.stringify({ version: 1, files: Object.fromEntries([...files].map(([rel, b]) => [rel, sha(b)])) }, null, 2)}\n`);
  } catch (e) {
    throw new DiagnosticError(diag(REPORT_CODES.cannotWrite, `Having trouble writing the report into ${dir}: ${(e as Error).message}`, undefined, 'Check that the directory is writable, or give another with --out DIR.'));
  }
  return { dir, files: [...files.keys()], charts: rendered.map((r) => r.chart.name), studies, diagnostics };
}
