/**
 * The only module that writes bundles. A build works like a static site generator:
 * unchanged bundles are not touched, new and changed ones are written atomically
 * (commit.ts), bundles the config no longer produces are reported and, with `prune`,
 * removed — unless a run left files in them. Files a run wrote into a bundle directory
 * (anything its manifest does not list) are never deleted.
 */
import { lstat, mkdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/index.js';
import { LAYOUT, type BuildPlan, type BundleFile, type BundlePlan, type WriteReport } from '../types.js';
import { WRITE_CODES, WriteError, isWriteError, warning } from './codes.js';
import { beginUpdates, endUpdates, placeStaged, removeBundle, recover, stageInto, stagingPath, updateBundle } from './commit.js';
import { stagerScript, StagingThread } from './stage-thread.js';
import { AdaptiveRunner, forEachAdaptive, SLOW_WRITE_MS, type FsMode } from './fsx.js';
import { errnoOf, listTree, readIfExists } from './disk.js';
import { compareBytes } from './paths.js';
import { CONCURRENCY, forEachLimit } from './pool.js';
import { acquireLock, ensureStateDirs, readKnownDirs, readLedger, readSideFileHashes, statePaths, writeAtomic, writeKnownDirs, writeSideFileHashes, type StatePaths } from './state.js';
import { checkEscapes, EscapeChecker, refuseForeignSideFiles, findStale, listTop, managedFiles, surveyBundle, surveyBundles, UNCHANGED, unlisted, type BundleState, type StaleBundle } from './survey.js';
import { PlanValidator, validatePlan } from './validate.js';

export { finalizeBundle, sha256, type BundleDraft } from './manifest.js';
import { isExecutableMode, sha256 } from './manifest.js';
export { WRITE_CODES, WriteError, isWriteError } from './codes.js';

export interface WriteOptions {
  prune?: boolean;
  /** Filesystem calls: adaptive (default), or pinned to 'sync' / 'async'. */
  fs?: FsMode;
  onProgress?: (done: number, total: number) => void;
}

/** WriteReport plus warnings (kept stale bundles, recovered interruptions, taken-over locks). */
export interface WriteOutcome extends WriteReport {
  warnings: Diagnostic[];
  /** Bundle dir -> statSignature of the SHA256SUMS written, where known without another stat. */
  signatures: Map<string, string>;
}

/** `changed-mode`: same bytes, another execute bit than the build writes. */
export type DifferenceKind = 'missing-bundle' | 'extra-bundle' | 'missing-file' | 'changed-file' | 'changed-mode';
/** One way the output dir differs from the plan. `id` is '' for a side file (index.json, jobs.sh). */
export interface Difference {
  id: string;
  file?: string;
  kind: DifferenceKind;
}

/**
 * A write in progress, for builds that write bundles while they are still being compiled:
 * `stage` each bundle in plan order (a new one is written into `.eegen/tmp` at once, the
 * expensive part), then `commit` puts everything in place, or `abort` throws it away.
 * Until `commit`, the output directory itself is untouched: a compile error or a kill
 * leaves the previous build as it was.
 */
export interface WriteSession {
  /**
   * Returns the bundle as the plan should keep it: without its bytes (`written`) once
   * they are staged on disk or found unchanged there, as it was when commit still needs
   * them (a bundle updated in place).
   */
  stage(b: BundlePlan): Promise<BundlePlan>;
  /** `plan` must hold exactly the staged bundles, in the same order, plus the side files. */
  commit(plan: BuildPlan, opts?: { prune?: boolean }): Promise<WriteOutcome>;
  abort(): Promise<void>;
}

export interface OpenOptions {
  /** Called as bundles are staged: done so far, and `total` when given. */
  onProgress?: (done: number, total: number) => void;
  total?: number;
  /** The caller ran validatePlan on the whole plan already. */
  validated?: boolean;
  /**
   * Bundles marked `reused` were read from this output directory by the compile that
   * produced them, after this session took the lock: take them as unchanged unread.
   */
  trustReused?: boolean;
  /** false: write staged bundles on the calling thread (default: a staging thread for big builds). */
  thread?: boolean;
  /** Filesystem calls: adaptive (default), or pinned to 'sync' / 'async'. */
  fs?: FsMode;
}

/** New bundles staged on the calling thread before a staging thread takes over. */
const THREAD_AFTER = 256;

export async function openWrite(outDir: string, opts: OpenOptions = {}): Promise<WriteSession> {
  const outAbs = resolve(outDir);
  const created = await ensureOutDir(outAbs);
  const realOut = await realpath(outAbs);
  const top = await listTop(outAbs);
  const warnings: Diagnostic[] = [];
  const s = statePaths(outAbs);
  try {
    await ensureStateDirs(s);
  } catch (e) {
    // A read-only filesystem or directory, a full disk: the user's to fix, not a bug.
    throw new WriteError(WRITE_CODES.badOutDir, `Having trouble writing to the output directory ${outAbs}: ${(e as Error).message}`, {
      cause: e,
      hint: 'Check that the directory is writable (permissions, a read-only mount, free space), or choose another --out.',
    });
  }
  const lock = await acquireLock(s, warnings);
  let known: string[];
  try {
    await recover(outAbs, s, warnings);
    known = await readKnownDirs(s);
  } catch (e) {
    await lock.release();
    throw e;
  }
  const validator = opts.validated ? undefined : new PlanValidator();
  const escapes = new EscapeChecker(outAbs, realOut, top);
  const fsMode = opts.fs ?? 'auto';
  const runner = new AdaptiveRunner(SLOW_WRITE_MS, fsMode);
  const script = opts.thread === false ? undefined : stagerScript();
  let thread: StagingThread | undefined;
  let newCount = 0;
  const states: BundleState[] = [];
  /** Staging dir of each new bundle, by position. */
  const staged: (string | undefined)[] = [];
  let count = 0;
  let done = 0;
  let closed = false;

  const stage = async (b: BundlePlan): Promise<BundlePlan> => {
    if (closed) throw new Error('eegen: stage() after commit() or abort()');
    validator?.add(b);
    const i = count++;
    await runner.run(async (hot) => {
      try {
        await escapes.check(b.dir, false, hot);
        const st = opts.trustReused && b.reused ? UNCHANGED : await surveyBundle(b, outAbs, realOut, top, hot);
        states[i] = st;
        if (st.status !== 'unchanged' && !st.exists) {
          // Past the first few hundred new bundles, a thread of its own writes them.
          if (!thread && script && ++newCount > THREAD_AFTER) thread = new StagingThread(script, fsMode);
          const staging = stagingPath(s);
          if (thread) thread.stage(staging, b.files);
          else await stageInto(hot, staging, b.files);
          staged[i] = staging;
        }
      } catch (e) {
        if (isWriteError(e)) throw e;
        throw new WriteError(WRITE_CODES.writeFailed, `Having trouble writing bundle ${b.id} to ${join(outAbs, b.dir)}: ${(e as Error).message}`, { path: b.dir, cause: e });
      }
      opts.onProgress?.(++done, opts.total ?? count);
    });
    // Memory stays bounded: at most HIGH_WATER (1,024) bundles' bytes wait for the staging thread.
    await thread?.ready();
    // With async calls (a slow filesystem) the bundle may still be in flight: it keeps its bytes.
    const st = states[i];
    return st && (staged[i] !== undefined || st.status === 'unchanged') ? withoutBytes(b) : b;
  };

  const abort = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await runner.drain().catch(() => undefined);
      await thread?.close();
      // Staged bundles live in tmp/, which recovery empties; nothing was put in place.
      await recover(outAbs, s, []).catch(() => undefined);
      // A state dir this write created holds nothing else yet: leave the directory as it was.
      if (!top.has(LAYOUT.stateDir)) await rm(s.root, { recursive: true, force: true }).catch(() => undefined);
    } finally {
      await lock.release();
    }
    // An output directory this write created, still empty: gone again (rmdir only removes an empty one).
    if (created) await rmdir(outAbs).catch(() => undefined);
  };

  const commit = async (plan: BuildPlan, copts: { prune?: boolean } = {}): Promise<WriteOutcome> => {
    if (closed) throw new Error('eegen: commit() after commit() or abort()');
    try {
      await runner.drain();
      await thread?.finish();
      if (plan.bundles.length !== count) throw new Error(`eegen: commit() got ${plan.bundles.length} bundles, ${count} were staged`);
      validator?.finish(plan.sideFiles);
      for (const f of plan.sideFiles) await escapes.check(f.path, true);
      await refuseForeignSideFiles(plan.sideFiles, outAbs, await readSideFileHashes(s));
      const stale = await findStale(plan, outAbs, top, known);
      // Record the new dirs before putting them in place, so a kill cannot hide a bundle from the next stale scan.
      const recorded = await writeKnownDirs(s, [...known, ...plan.bundles.map((b) => b.dir)], [...known].sort());
      const report = await reportFor(plan, states, s);
      try {
        await applyBundles(plan, states, staged, outAbs, s, fsMode);
        await writeSideFiles(plan.sideFiles, outAbs, s);
        await writeSideFileHashes(s, new Map(plan.sideFiles.map((f) => [f.path, sha256(f.content)])));
      } catch (e) {
        // Leave no half-staged bundle behind: commit what was committed, drop the rest.
        await recover(outAbs, s, []).catch(() => undefined);
        throw e;
      }
      const kept = await settleStale(stale, outAbs, s, copts.prune === true, warnings);
      report.stale = sortedIds(kept);
      report.removed = sortedIds(stale.filter((b) => !kept.includes(b)));
      await writeKnownDirs(s, [...plan.bundles.map((b) => b.dir), ...kept.map((b) => b.dir)], recorded);
      closed = true;
      await lock.release();
      const signatures = new Map<string, string>();
      if (thread) for (const [i, staging] of staged.entries()) {
        const sig = staging === undefined ? undefined : thread.signatures.get(staging);
        if (sig !== undefined) signatures.set(plan.bundles[i]!.dir, sig);
      }
      return { ...report, warnings, signatures };
    } catch (e) {
      await abort();
      throw e;
    }
  };

  return { stage, commit, abort };
}

/** A bundle whose bytes are on disk: its files' paths, modes and sizes only. */
function withoutBytes(b: BundlePlan): BundlePlan {
  // A reused bundle holds at most its SHA256SUMS, which lists the files the next build checks.
  if (b.reused || !b.files.length) return b;
  return { ...b, files: [], written: b.files.map((f) => ({ path: f.path, mode: f.mode, size: f.content.length })) };
}

export async function writeBuild(plan: BuildPlan, outDir: string, opts: WriteOptions = {}): Promise<WriteOutcome> {
  validatePlan(plan);
  // The whole plan is in memory already: nothing to overlap with, so no staging thread.
  const session = await openWrite(outDir, { validated: true, thread: false, total: plan.bundles.length, ...(opts.fs ? { fs: opts.fs } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  try {
    for (const b of plan.bundles) await session.stage(b);
  } catch (e) {
    await session.abort();
    throw e;
  }
  return session.commit(plan, { prune: opts.prune === true });
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
      else if (isExecutableMode((await lstat(join(outAbs, b.dir, f.path))).mode) !== isExecutableMode(f.mode)) differences.push({ id: b.id, file: f.path, kind: 'changed-mode' });
    }
  });
  for (const b of stale) differences.push({ id: b.id, kind: 'extra-bundle' });
  for (const f of plan.sideFiles) {
    const onDisk = await readIfExists(join(outAbs, f.path));
    if (!onDisk) differences.push({ id: '', file: f.path, kind: 'missing-file' });
    else if (!onDisk.equals(f.content)) differences.push({ id: '', file: f.path, kind: 'changed-file' });
  }
  differences.sort((a, b) => compareBytes(a.id, b.id) || compareBytes(a.file ?? '', b.file ?? ''));
  return { report: { ...report, warnings, signatures: new Map() }, differences };
}

/** Make the output directory; true when it did not exist before. */
async function ensureOutDir(outAbs: string): Promise<boolean> {
  try {
    const made = await mkdir(outAbs, { recursive: true });
    if (!(await stat(outAbs)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    return made !== undefined;
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

async function applyBundles(plan: BuildPlan, states: BundleState[], staged: (string | undefined)[], outAbs: string, s: StatePaths, fsMode: FsMode): Promise<void> {
  const inPlace = plan.bundles.filter((_, i) => states[i]!.status !== 'unchanged' && states[i]!.exists).map((b) => b.dir);
  const token = inPlace.length ? await beginUpdates(s, inPlace) : '';
  const madeParents = new Set<string>();
  await forEachAdaptive(plan.bundles, SLOW_WRITE_MS, async (b, i, hot) => {
    const st = states[i]!;
    try {
      const staging = staged[i];
      if (staging !== undefined) await placeStaged(hot, outAbs, staging, b.dir, madeParents);
      else if (st.status !== 'unchanged') await updateBundle(hot, outAbs, token, b.dir, b.files, st.deletes);
    } catch (e) {
      throw new WriteError(WRITE_CODES.writeFailed, `Having trouble writing bundle ${b.id} to ${join(outAbs, b.dir)}: ${(e as Error).message}`, { path: b.dir, cause: e });
    }
  }, fsMode);
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
