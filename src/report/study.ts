/**
 * A collected study as report and predict read it: the build's `OUT/index.json` (every
 * bundle, its parameters, which of them are swept) and collect's `OUT/results.jsonl` (one
 * row per bundle). Read only; a missing build or collection is a coded refusal, a corrupt
 * results line a warning at its line (the rest is still read).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import { schedulerNamed } from '../scheduler/registry.js';
import type { JobRequest } from '../scheduler/types.js';
import type { Mapping } from '../types.js';

export const STUDY_CODES = {
  noIndex: 'EG8001',
  noResults: 'EG8002',
  badResults: 'EG8003',
  /** Rows of bundles index.json does not have (the sweep was rebuilt smaller or other): left out. */
  unknownRows: 'EG8009',
  /** Rows collected from bundle content built over since (bundleHash is not index.json's hash). */
  otherContentRows: 'EG8010',
} as const;

export interface StudyBundle {
  id: string;
  params: Mapping;
  /** The bundle's hash as built (index.json), when recorded. */
  hash?: string;
  /** Its directory in OUT, job script and scheduler, as index.json records them. */
  dir?: string;
  script?: string;
  scheduler?: string;
}

/** One results.jsonl row: collect's columns (docs/formats.md section 10). */
export type StudyRow = Record<string, unknown> & { id: string };

export interface Study {
  out: string;
  name?: string;
  eegen?: string;
  /** Swept parameters, in the config's order. */
  varying: string[];
  bundles: StudyBundle[];
  rows: Map<string, StudyRow>;
  /** sha256 of results.jsonl as read: which collection a report or prediction came from. */
  resultsHash: string;
  diagnostics: Diagnostic[];
}

export async function loadStudy(out: string): Promise<Study> {
  const file = path.join(out, 'index.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new DiagnosticError(diag(STUDY_CODES.noIndex, `${file} does not exist: ${out} is not a build's output directory.`, undefined, 'Give the --out directory of eegen build (and collect results into it first).'));
  }
  let doc: { name?: unknown; eegen?: unknown; varying?: unknown; bundles?: { id?: unknown; params?: unknown }[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new DiagnosticError(diag(STUDY_CODES.noIndex, `${file} is not JSON (${(e as Error).message}).`, { file }, 'Build again: eegen build CONFIG --out OUT.'));
  }
  const bundles = (Array.isArray(doc.bundles) ? doc.bundles : []).filter((b): b is StudyBundle => typeof b?.id === 'string' && b.params !== null && typeof b.params === 'object' && !Array.isArray(b.params));
  const varying = Array.isArray(doc.varying) ? doc.varying.filter((v): v is string => typeof v === 'string') : [];

  const resultsFile = path.join(out, 'results.jsonl');
  let results: Buffer;
  try {
    results = await readFile(resultsFile);
  } catch {
    throw new DiagnosticError(diag(STUDY_CODES.noResults, `${resultsFile} does not exist: nothing has been collected into ${out} yet.`, undefined, `Run some bundles, then eegen collect ${out}.`));
  }
  const diagnostics: Diagnostic[] = [];
  const rows = new Map<string, StudyRow>();
  for (const [i, line] of results.toString('utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (e) {
      diagnostics.push({ ...diag(STUDY_CODES.badResults, `Line ${i + 1} of results.jsonl is not JSON (${(e as Error).message}); it is left out.`, { file: resultsFile, line: i + 1 }, `Collect again (eegen collect ${out}) to rewrite it.`), severity: 'warning' });
      continue;
    }
    if (r !== null && typeof r === 'object' && !Array.isArray(r) && typeof (r as StudyRow).id === 'string') rows.set((r as StudyRow).id, r as StudyRow);
  }
  // Rows and build disagree when the build changed after the last collect: rows of bundles the
  // build no longer has are left out (they would be reported and predicted as this sweep's);
  // rows of content built over since are kept (same parameters) and said so.
  const known = new Map(bundles.map((b) => [b.id, b]));
  const unknown = [...rows.keys()].filter((id) => !known.has(id));
  for (const id of unknown) rows.delete(id);
  if (unknown.length)
    diagnostics.push({
      ...diag(STUDY_CODES.unknownRows, `${unknown.length} row${unknown.length === 1 ? '' : 's'} of results.jsonl ${unknown.length === 1 ? 'is' : 'are'} of bundles ${file} does not have (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}); left out.`, { file: resultsFile }, `The sweep was built again with other combinations since the last collect: collect again (eegen collect ${out}) to rewrite results.jsonl.`),
      severity: 'warning',
    });
  const other = [...rows.values()].filter((r) => {
    const hash = known.get(r.id)?.hash;
    return r.state === 'done' && typeof r.bundleHash === 'string' && typeof hash === 'string' && r.bundleHash !== hash;
  });
  if (other.length)
    diagnostics.push({
      ...diag(STUDY_CODES.otherContentRows, `${other.length} finished row${other.length === 1 ? '' : 's'} of results.jsonl ${other.length === 1 ? 'was' : 'were'} run from bundle content built over since (${other.slice(0, 3).map((r) => r.id).join(', ')}${other.length > 3 ? ', ...' : ''}): taken as they are, with the same parameters.`, { file: resultsFile }, `If the change matters to the figures (another script or template), submit those bundles again; eegen collect ${out} then marks the old rows.`),
      severity: 'warning',
    });
  return {
    out,
    ...(typeof doc.name === 'string' ? { name: doc.name } : {}),
    ...(typeof doc.eegen === 'string' ? { eegen: doc.eegen } : {}),
    varying,
    bundles,
    rows,
    resultsHash: createHash('sha256').update(results).digest('hex'),
    diagnostics,
  };
}

/** A finite number, or undefined. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** A non-empty string, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * What the job script of each bundle `which` picks asks for (its scheduler's directives:
 * nodes and GPUs), read from OUT; a bundle whose script cannot be read, or whose scheduler
 * requests nothing (bash), has no entry.
 */
export async function jobRequests(study: Study, which: (b: StudyBundle) => boolean = () => true): Promise<Map<string, JobRequest>> {
  const out = new Map<string, JobRequest>();
  const todo = study.bundles.filter((b) => which(b) && typeof b.dir === 'string' && typeof b.script === 'string' && typeof b.scheduler === 'string');
  for (let i = 0; i < todo.length; i += 64)
    await Promise.all(
      todo.slice(i, i + 64).map(async (b) => {
        const requests = schedulerNamed(b.scheduler!)?.requests;
        if (!requests || b.dir!.split('/').includes('..') || b.script!.split('/').includes('..')) return;
        const text = await readFile(path.join(study.out, b.dir!, b.script!), 'utf8').catch(() => undefined);
        if (text !== undefined) out.set(b.id, requests(text));
      }),
    );
  return out;
}
