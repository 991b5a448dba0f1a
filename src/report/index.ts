/**
 * `eegen report OUT... [--out DIR]`: the figures a study ends with. So far: `summary.md`
 * (summary.ts), from one or more collected studies (report/study.ts); the HTML report
 * with its charts comes next. Writes only files of its own into DIR, atomically, and
 * never replaces one it did not write.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import { EEGEN_VERSION } from '../version.js';
import { writeFileAtomic } from '../write/state.js';
import { loadStudy, STUDY_CODES, type Study } from './study.js';
import { summaryMarkdown } from './summary.js';

export { loadStudy, type Study, type StudyRow, type StudyBundle } from './study.js';
export { summaryMarkdown, metricsOf, type Metric } from './summary.js';

/** EG8001-EG8003 are the study's (no build, nothing collected, a corrupt row); EG81xx the report's. */
export const REPORT_CODES = { ...STUDY_CODES, notOurs: 'EG8101', cannotWrite: 'EG8102', noStudy: 'EG8103' } as const;

export interface ReportOptions {
  /** Output directories of builds, with collected results. */
  outs: string[];
  /** Where the report goes (default: OUT/report for one study, ./report for several). */
  dir?: string;
}

export interface ReportResult {
  dir: string;
  /** Files written (or found unchanged), relative to `dir`. */
  files: string[];
  studies: Study[];
  diagnostics: Diagnostic[];
}

/** The first line of every file the report writes: how the next report knows it may replace it. */
const MARK = '<!-- eegen report';

async function refuseForeign(file: string): Promise<void> {
  let old: string;
  try {
    old = await readFile(file, 'utf8');
  } catch {
    return;
  }
  if (old.startsWith(MARK)) return;
  throw new DiagnosticError(
    diag(REPORT_CODES.notOurs, `${file} exists and was not written by eegen report; it is left as it is.`, undefined, 'Move it away, or give the report another directory with --out DIR.'),
  );
}

export async function report(opts: ReportOptions): Promise<ReportResult> {
  if (!opts.outs.length) throw new DiagnosticError(diag(REPORT_CODES.noStudy, 'No study to report on.', undefined, 'Give the output directory of a build with collected results: eegen report OUT.'));
  const studies: Study[] = [];
  for (const out of opts.outs) studies.push(await loadStudy(out));
  const dir = opts.dir ?? (opts.outs.length === 1 ? path.join(opts.outs[0]!, 'report') : 'report');
  const file = path.join(dir, 'summary.md');
  await refuseForeign(file);
  try {
    await writeFileAtomic(file, summaryMarkdown(studies, EEGEN_VERSION));
  } catch (e) {
    throw new DiagnosticError(diag(REPORT_CODES.cannotWrite, `Having trouble writing ${file}: ${(e as Error).message}`, undefined, 'Check that the directory is writable, or give another with --out DIR.'));
  }
  return { dir, files: ['summary.md'], studies, diagnostics: studies.flatMap((s) => s.diagnostics) };
}
