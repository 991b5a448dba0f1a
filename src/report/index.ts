/**
 * `eegen report OUT... [--out DIR]`: the figures a study ends with, from one or more
 * collected studies (study.ts): `summary.md` (summary.ts), `report.html` (html.ts: one
 * self-contained file) and each chart as `charts/NAME.svg` and `.png` (charts.ts, png.ts),
 * drawn as the config's `report:` settings say where it has them (settings.ts).
 * Writes only files of its own into DIR, each atomically, and never replaces one it did not
 * write (or that was edited since): `DIR/.eegen-report.json` records what it wrote. Two
 * reports into one DIR take turns (`DIR/.eegen-report.lock`); one killed while writing
 * leaves whole files, old or new, that the next report replaces.
 * With `crate`, DIR is also an RO-Crate (crate.ts): `ro-crate-metadata.json` and copies of
 * each study's index.json and results files under `studies/`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, SourceSet, type Diagnostic } from '../diagnostics/index.js';
import { EEGEN_VERSION } from '../version.js';
import { sleep } from '../util/abort.js';
import { acquireLock, statePaths, writeFileAtomic, type Lock } from '../write/state.js';
import { jobRequests, loadStudy, STUDY_CODES, type Study } from './study.js';
import { CRATE_CODES, licenseEntity } from './crate.js';
import { summaryMarkdown } from './summary.js';
import type { Chart } from './charts.js';
import { checkReportSettings, loadReportSettings, measuredOf, parametersOf, ReportSettingsError, SETTINGS_CODES, type LoadedReportSettings } from './settings.js';

export { loadStudy, type Study, type StudyRow, type StudyBundle } from './study.js';
export { summaryMarkdown, metricsOf, type Metric } from './summary.js';
export { loadReportSettings, ReportSettingsError, type ReportSettings } from './settings.js';
export { validateCrate, CRATE_FILE, CRATE_PROFILES } from './crate.js';

/** EG8001-EG8003 are the study's (no build, nothing collected, a corrupt row); EG81xx the report's. */
export const REPORT_CODES = { ...STUDY_CODES, notOurs: 'EG8101', cannotWrite: 'EG8102', noStudy: 'EG8103', locked: 'EG8108', ...SETTINGS_CODES, ...CRATE_CODES } as const;

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

/**
 * What the last report in a directory wrote: path -> sha256; a file not listed (or changed
 * since) is not the report's. While a report writes, `previous` also holds what each file
 * was before, so a file is the report's whether the writer got to it or not.
 */
const OWN = '.eegen-report.json';
const LOCK = '.eegen-report.lock';
/** How long a report waits for another report writing into the same directory. */
const LOCK_WAIT_MS = 120_000;

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** path -> every hash of it that is the report's (its last record and, after a kill, the one before). */
async function readOwn(dir: string): Promise<Map<string, Set<string>>> {
  const own = new Map<string, Set<string>>();
  try {
    const doc = JSON.parse(await readFile(path.join(dir, OWN), 'utf8')) as { files?: Record<string, unknown>; previous?: Record<string, unknown> };
    for (const part of [doc.files, doc.previous])
      for (const [rel, hash] of Object.entries(part ?? {})) {
        if (typeof hash !== 'string') continue;
        if (!own.has(rel)) own.set(rel, new Set());
        own.get(rel)!.add(hash);
      }
  } catch {
    // none, or not readable: nothing in DIR is the report's.
  }
  return own;
}

/** One report at a time in `dir`: a lock of a dead process is taken over; a live one is waited for. */
async function lockReport(dir: string): Promise<Lock> {
  const paths = { ...statePaths(dir), lock: path.join(dir, LOCK) };
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const lock = await acquireLock(paths, [], false);
    if (lock) return lock;
    if (Date.now() > until) throw new DiagnosticError(diag(REPORT_CODES.locked, `Another eegen report has been writing into ${dir} for ${LOCK_WAIT_MS / 1000} s.`, undefined, `Wait for it, or give this one another directory with --out DIR. If no eegen report is running, delete ${paths.lock}.`));
    await sleep(25 + Math.random() * 75);
  }
}

/** A file at `rel` that this report may replace: absent, or what an earlier report wrote, unchanged. Its hash when there is one. */
async function mayReplace(dir: string, rel: string, own: ReadonlyMap<string, ReadonlySet<string>>): Promise<string | undefined> {
  let old: Buffer;
  try {
    old = await readFile(path.join(dir, rel));
  } catch {
    return undefined;
  }
  const hash = sha(old);
  const recorded = own.get(rel);
  if (recorded?.has(hash)) return hash;
  // summary.md of a report from before the record existed carries its own mark.
  if (recorded === undefined && rel === 'summary.md' && old.toString('utf8').startsWith('<!-- eegen report')) return hash;
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
  const requests = new Map(await Promise.all(studies.map(async (s) => [s, await jobRequests(s, (b) => s.rows.has(b.id))] as const)));
  files.set('summary.md', Buffer.from(summaryMarkdown(studies, EEGEN_VERSION, { ...(title !== undefined ? { title } : {}), requests })));
  files.set('report.html', Buffer.from(reportHtml(studies, rendered, EEGEN_VERSION, title !== undefined ? { title } : {})));
  for (const { chart, svg } of rendered) {
    files.set(`charts/${chart.name}.svg`, Buffer.from(svg));
    files.set(`charts/${chart.name}.png`, svgToPng(svg));
  }
  const diagnostics = studies.flatMap((s) => s.diagnostics);
  if (opts.crate) {
    const { crateFiles } = await import('./crate.js');
    const config = settings.file !== undefined ? { file: settings.file, bytes: await readFile(settings.file), ...(settings.name !== undefined ? { name: settings.name } : {}) } : undefined;
    const crate = await crateFiles(studies, { version: EEGEN_VERSION, reportFiles: new Map(files), ...(opts.license !== undefined ? { license: opts.license } : {}), ...(config ? { config } : {}) });
    for (const [rel, bytes] of crate.files) files.set(rel, bytes);
    diagnostics.push(...crate.diagnostics);
  }
  const cannotWrite = (e: unknown) => new DiagnosticError(diag(REPORT_CODES.cannotWrite, `Having trouble writing the report into ${dir}: ${(e as Error).message}`, undefined, 'Check that the directory is writable, or give another with --out DIR.'));
  let lock: Lock;
  try {
    await mkdir(dir, { recursive: true });
    lock = await lockReport(dir);
  } catch (e) {
    throw e instanceof DiagnosticError ? e : cannotWrite(e);
  }
  try {
    // Read and checked under the lock: a report that wrote meanwhile has recorded its files.
    const own = await readOwn(dir);
    // What is in DIR now of the report's: the files this one replaces, and those it no longer draws.
    const current = new Map<string, string>();
    for (const rel of files.keys()) {
      const hash = await mayReplace(dir, rel, own);
      if (hash !== undefined) current.set(rel, hash);
    }
    for (const [rel, hashes] of own) {
      if (files.has(rel)) continue;
      const old = await readFile(path.join(dir, rel)).catch(() => undefined);
      if (old && hashes.has(sha(old))) current.set(rel, sha(old));
    }
    const record = (extra: object) => writeFileAtomic(path.join(dir, OWN), `${JSON.stringify({ version: 1, files: Object.fromEntries([...files].map(([rel, b]) => [rel, sha(b)])), ...extra }, null, 2)}\n`);
    try {
      // First the record of both, so that a kill from here on leaves only files that are the report's.
      const previous = Object.fromEntries([...current].filter(([rel, h]) => !files.has(rel) || h !== sha(files.get(rel)!)));
      if (Object.keys(previous).length) await record({ previous });
      for (const [rel, bytes] of files) await writeFileAtomic(path.join(dir, rel), bytes);
      // Charts of an earlier report that this one does not draw: removed (they were checked above, under the lock).
      for (const rel of current.keys()) if (!files.has(rel)) await rm(path.join(dir, rel), { force: true });
      await record({});
    } catch (e) {
      throw cannotWrite(e);
    }
  } finally {
    await lock.release();
  }
  return { dir, files: [...files.keys()], charts: rendered.map((r) => r.chart.name), studies, diagnostics };
}
