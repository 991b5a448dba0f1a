/**
 * The only module that writes bundles. A build works like a static site generator:
 * unchanged bundles are not touched, new and changed ones are written atomically
 * (commit.ts), bundles the config no longer produces are reported and, with `prune`,
 * removed — unless a run left files in them. Files a run wrote into a bundle directory
 * (anything its manifest does not list) are never deleted.
 */
import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/index.js';
import { LAYOUT, type BuildPlan, type BundleFile, type WriteReport } from '../types.js';
import { WRITE_CODES, WriteError, warning } from './codes.js';
import { beginUpdates, endUpdates, removeBundle, recover, updateBundle, writeNewBundle } from './commit.js';
import { forEachAdaptive } from './fsx.js';
import { errnoOf, listTree, readIfExists } from './disk.js';
import { compareBytes } from './paths.js';
import { CONCURRENCY, forEachLimit } from './pool.js';
import { acquireLock, ensureStateDirs, readKnownDirs, readLedger, statePaths, writeAtomic, writeKnownDirs, type StatePaths } from './state.js';
import { checkEscapes, findStale, listTop, managedFiles, surveyBundles, unlisted, type BundleState, type StaleBundle } from './survey.js';
import { validatePlan } from './validate.js';

export { finalizeBundle, sha256, type BundleDraft } from './manifest.js';
export { WRITE_CODES, WriteError, isWriteError } from './codes.js';

export interface WriteOptions {
  prune?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** WriteReport plus warnings (kept stale bundles, recovered interruptions, taken-over locks). */
export interface WriteOutcome extends WriteReport {
  warnings: Diagnostic[];
}

export type DifferenceKind = 'missing-bundle' | 'extra-bundle' | 'missing-file' | 'changed-file';
/** One way the output dir differs from the plan. `id` is '' for a side file (index.json, jobs.sh). */
export interface Difference {
  id: string;
  file?: string;
  kind: DifferenceKind;
}

export async function writeBuild(plan: BuildPlan, outDir: string, opts: WriteOptions = {}): Promise<WriteOutcome> {
  validatePlan(plan);
  const outAbs = resolve(outDir);
  await ensureOutDir(outAbs);
  const realOut = await realpath(outAbs);
  const top = await listTop(outAbs);
  await checkEscapes(plan, outAbs, realOut, top);

  const warnings: Diagnostic[] = [];
  const s = statePaths(outAbs);
  await ensureStateDirs(s);
  const lock = await acquireLock(s, warnings);
  try {
    await recover(outAbs, s, warnings);
    const states = await surveyBundles(plan, outAbs, realOut, top);
    const known = await readKnownDirs(s);
    const stale = await findStale(plan, outAbs, top, known);
    // Record the new dirs before writing them, so a kill mid-build cannot hide a bundle from the next stale scan.
    const recorded = await writeKnownDirs(s, [...known, ...plan.bundles.map((b) => b.dir)], [...known].sort());

    const report = await reportFor(plan, states, s);
    try {
      await applyBundles(plan, states, outAbs, s, opts.onProgress);
      await writeSideFiles(plan.sideFiles, outAbs, s);
    } catch (e) {
      // Leave no half-staged bundle behind: commit what was committed, drop the rest.
      await recover(outAbs, s, []).catch(() => undefined);
      throw e;
    }

    const kept = await settleStale(stale, outAbs, s, opts.prune === true, warnings);
    report.stale = sortedIds(kept);
    report.removed = sortedIds(stale.filter((b) => !kept.includes(b)));
    await writeKnownDirs(s, [...plan.bundles.map((b) => b.dir), ...kept.map((b) => b.dir)], recorded);
    return { ...report, warnings };
  } finally {
    await lock.release();
  }
}

/** What writeBuild would do, and which files differ; writes nothing (beyond recovering an interrupted build). */
export async function checkBuild(plan: BuildPlan, outDir: string): Promise<{ report: WriteOutcome; differences: Difference[] }> {
  validatePlan(plan);
  const outAbs = resolve(outDir);
  const warnings: Diagnostic[] = [];
  const s = statePaths(outAbs);
  const realOut = await realpath(outAbs).catch((e: unknown) => {
    if (errnoOf(e) === 'ENOENT') return outAbs;
    throw e;
  });
  const top = await listTop(outAbs);
  await checkEscapes(plan, outAbs, realOut, top);
  if (top.has(LAYOUT.stateDir)) {
    const lock = await acquireLock(s, warnings, false);
    if (lock) await recover(outAbs, s, warnings).finally(() => lock.release());
  }
  const states = await surveyBundles(plan, outAbs, realOut, top);
  const stale = await findStale(plan, outAbs, top, await readKnownDirs(s));
  const report = await reportFor(plan, states, s);
  report.stale = sortedIds(stale);

  const differences: Difference[] = [];
  await forEachLimit(plan.bundles, CONCURRENCY, async (b, i) => {
    const st = states[i]!;
    if (st.status === 'unchanged') return;
    if (st.status === 'added') return void differences.push({ id: b.id, kind: 'missing-bundle' });
    for (const f of b.files) {
      const onDisk = await readIfExists(join(outAbs, b.dir, f.path));
      if (!onDisk) differences.push({ id: b.id, file: f.path, kind: 'missing-file' });
      else if (!onDisk.equals(f.content)) differences.push({ id: b.id, file: f.path, kind: 'changed-file' });
    }
  });
  for (const b of stale) differences.push({ id: b.id, kind: 'extra-bundle' });
  for (const f of plan.sideFiles) {
    const onDisk = await readIfExists(join(outAbs, f.path));
    if (!onDisk) differences.push({ id: '', file: f.path, kind: 'missing-file' });
    else if (!onDisk.equals(f.content)) differences.push({ id: '', file: f.path, kind: 'changed-file' });
  }
  differences.sort((a, b) => compareBytes(a.id, b.id) || compareBytes(a.file ?? '', b.file ?? ''));
  return { report: { ...report, warnings }, differences };
}

async function ensureOutDir(outAbs: string): Promise<void> {
  try {
    await mkdir(outAbs, { recursive: true });
    if (!(await stat(outAbs)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    throw new WriteError(WRITE_CODES.badOutDir, `Having trouble creating the output directory ${outAbs}: ${(e as Error).message}`, { cause: e });
  }
}

/** Sorted id lists; changedAfterSubmit needs the ledger, read only when something changed. */
async function reportFor(plan: BuildPlan, states: BundleState[], s: StatePaths): Promise<WriteReport> {
  const by = (status: string) => sortedIds(plan.bundles.filter((_, i) => states[i]!.status === status));
  const changed = plan.bundles.filter((_, i) => states[i]!.status === 'changed');
  const ledger = changed.length ? await readLedger(s) : new Map<string, string>();
  const afterSubmit = plan.bundles.filter((b, i) => {
    const st = states[i]!;
    if (st.status !== 'changed') return false;
    const submitted = ledger.get(b.id);
    return (submitted !== undefined && submitted !== b.hash) || st.outputs.length > 0;
  });
  return { added: by('added'), changed: by('changed'), unchanged: by('unchanged'), removed: [], stale: [], changedAfterSubmit: sortedIds(afterSubmit) };
}

/** Average time per bundle above which writing goes async (a network filesystem). */
const SLOW_WRITE_MS = 4;

async function applyBundles(plan: BuildPlan, states: BundleState[], outAbs: string, s: StatePaths, onProgress?: (done: number, total: number) => void): Promise<void> {
  const total = plan.bundles.length;
  const inPlace = plan.bundles.filter((_, i) => states[i]!.status !== 'unchanged' && states[i]!.exists).map((b) => b.dir);
  const token = inPlace.length ? await beginUpdates(s, inPlace) : '';
  let done = 0;
  const madeParents = new Set<string>();
  await forEachAdaptive(plan.bundles, SLOW_WRITE_MS, async (b, i, hot) => {
    const st = states[i]!;
    try {
      if (st.status !== 'unchanged') {
        if (st.exists) await updateBundle(hot, outAbs, token, b.dir, b.files, st.deletes);
        else await writeNewBundle(hot, outAbs, s, b.dir, b.files, madeParents);
      }
    } catch (e) {
      throw new WriteError(WRITE_CODES.writeFailed, `Having trouble writing bundle ${b.id} to ${join(outAbs, b.dir)}: ${(e as Error).message}`, { path: b.dir, cause: e });
    }
    onProgress?.(++done, total);
  });
  if (token) await endUpdates(s, token);
}

/** Side files are rewritten only when their bytes differ, so an idle rebuild changes no mtime. */
async function writeSideFiles(files: readonly BundleFile[], outAbs: string, s: StatePaths): Promise<void> {
  for (const f of files) {
    const target = join(outAbs, f.path);
    const onDisk = await readIfExists(target);
    if (onDisk?.equals(f.content)) continue;
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeAtomic(target, f.content, s.tmp, f.mode);
    } catch (e) {
      throw new WriteError(WRITE_CODES.writeFailed, `Having trouble writing ${f.path}: ${(e as Error).message}`, { path: f.path, cause: e });
    }
  }
}

/** Remove stale bundles when pruning, except those holding run outputs; returns the ones kept. */
async function settleStale(stale: StaleBundle[], outAbs: string, s: StatePaths, prune: boolean, warnings: Diagnostic[]): Promise<StaleBundle[]> {
  if (!prune) return stale;
  const kept: StaleBundle[] = [];
  for (const b of stale) {
    const base = join(outAbs, b.dir);
    const managed = managedFiles(await readIfExists(join(base, LAYOUT.manifest)), await readIfExists(join(base, LAYOUT.checksums)));
    const outputs = unlisted(await listTree(base), managed);
    if (outputs.length) {
      kept.push(b);
      const shown = outputs.slice(0, 3).join(', ') + (outputs.length > 3 ? `, and ${outputs.length - 3} more` : '');
      warnings.push(
        warning(WRITE_CODES.keptWithOutputs, `Kept stale bundle ${b.id}: it holds files a run wrote (${shown}).`, `Collect or delete those files, then prune again.`),
      );
      continue;
    }
    try {
      await removeBundle(outAbs, s, b.dir);
    } catch (e) {
      throw new WriteError(WRITE_CODES.writeFailed, `Having trouble removing stale bundle ${b.id}: ${(e as Error).message}`, { path: b.dir, cause: e });
    }
  }
  return kept;
}

function sortedIds(bs: { id: string }[]): string[] {
  return bs.map((b) => b.id).sort(compareBytes);
}
