/**
 * The only module that writes bundles. A build works like a static site generator:
 * unchanged bundles are not touched, new and changed ones are written atomically
 * (commit.ts), bundles the config no longer produces are reported and, with `prune`,
 * removed — unless a run left files in them. Files a run wrote into a bundle directory
 * (anything its manifest does not list) are never deleted.
 */
import { lstat, mkdir, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/index.js';
import { LAYOUT, type BuildPlan, type BundleFile, type BundlePlan, type WriteReport } from '../types.js';
import { WRITE_CODES, WriteError, isWriteError, warning } from './codes.js';
import { beginUpdates, endUpdates, placeStaged, removeBundle, recover, stageInto, updateBundle } from './commit.js';
import { stagerScript, StagingThread } from './stage-thread.js';
import { AdaptiveRunner, SLOW_WRITE_MS, type FsMode } from './fsx.js';
import { KeyRecords, writeKeyFiles } from './records.js';
import { assemble, hashFile, Spool } from './spool.js';
import { errnoOf, listTree, readIfExists } from './disk.js';
import { compareBytes } from './paths.js';
import { CONCURRENCY, forEachLimit } from './pool.js';
import { acquireLock, ensureStateDirs, freshToken, readKnownDirs, readLedger, readSideFileHashes, statePaths, writeAtomic, writeKnownDirs, writeSideFileHashes, type StatePaths } from './state.js';
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
 *
 * Opened with `stream`, the session needs no plan at the end: it writes index.json,
 * jobs.sh, keys.json and sigs.json itself from the bundles as they are staged (spools in
 * `.eegen/tmp`, put in place at commit), and `finish` commits. What it keeps per bundle
 * is its directory (and its id, where that is not the directory) and one status byte, so a sweep of any size fits in memory.
 */
export interface WriteSession {
  /**
   * Returns the bundle as the plan should keep it: without its bytes (`written`) once
   * they are staged on disk or found unchanged there, as it was when commit still needs
   * them (a bundle updated in place).
   */
  stage(b: BundlePlan): Promise<BundlePlan>;
  /** `plan` must hold exactly the staged bundles, in the same order, plus the side files (not for a `stream` session). */
  commit(plan: BuildPlan, opts?: { prune?: boolean }): Promise<WriteOutcome>;
  /** A `stream` session's commit: its side files, keys.json and sigs.json from the staged bundles. */
  finish(opts?: { prune?: boolean }): Promise<WriteOutcome>;
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
  /** Write these side files (index.json, jobs.sh) and keys.json / sigs.json from the staged bundles; commit with `finish`. */
  stream?: { sideFiles: readonly StreamedSideFile[] };
}

/**
 * A side file written one bundle at a time (bundle/side-files.ts makes index.json's and
 * jobs.sh's): what each bundle adds, in order, and what goes before and after them all.
 */
export interface StreamedSideFile {
  path: string;
  mode: number;
  entry(b: BundlePlan, i: number): string;
  head(count: number): string;
  tail(count: number): string;
}

/** New bundles staged on the calling thread before a staging thread takes over. */
const THREAD_AFTER = 256;

/** What the session knows of each staged bundle, in one byte. */
const UNCHANGED_ = 0;
const ADDED_ = 1;
const CHANGED_ = 2;
/** The bundle dir exists (an update in place: its plan and state are kept in `inPlace`). */
const EXISTS = 4;
/** New, staged whole under tmp/ (`stagingOf(i)`): one rename puts it in place. */
const STAGED = 8;
const STATUS_MASK = 3;

/** A growable byte array: one status per bundle. */
class Bytes {
  private data = new Uint8Array(1024);
  length = 0;
  push(v: number): number {
    if (this.length === this.data.length) {
      const more = new Uint8Array(this.data.length * 2);
      more.set(this.data);
      this.data = more;
    }
    this.data[this.length] = v;
    return this.length++;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  set(i: number, v: number): void {
    this.data[i] = v;
  }
}

/** A side file as the commit puts it in place: bytes in memory, or a temp file assembled in tmp/. */
interface SideOut {
  path: string;
  hash: string;
  mode: number;
  content?: Buffer;
  temp?: string;
}

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
  // A stream session validates what it stages: it has no plan to validate beforehand.
  const validator = opts.validated && !opts.stream ? undefined : new PlanValidator();
  const escapes = new EscapeChecker(outAbs, realOut, top);
  const fsMode = opts.fs ?? 'auto';
  const runner = new AdaptiveRunner(SLOW_WRITE_MS, fsMode);
  const script = opts.thread === false ? undefined : stagerScript();
  /** This session's names under tmp/: staging dirs by position, spools. */
  const token = freshToken();
  const stagingOf = (i: number): string => join(s.tmp, `${token}-${i.toString(36)}.new`);
  let thread: StagingThread | undefined;
  let newCount = 0;
  /** Each bundle's dir, and its id where that is not its dir (compile names a bundle's dir by its id). */
  const dirs: string[] = [];
  const otherIds = new Map<number, string>();
  const idOf = (i: number): string => otherIds.get(i) ?? dirs[i]!;
  const status = new Bytes();
  /** Bundles updated in place (they exist): what commit needs of them, bytes included. */
  const inPlace = new Map<number, { b: BundlePlan; st: BundleState }>();
  let done = 0;
  let closed = false;
  const spools = opts.stream
    ? {
        sides: opts.stream.sideFiles.map((f, k) => ({ f, body: new Spool(join(s.tmp, `${token}.side-${k}.body`)) })),
        keys: new KeyRecords(new Spool(join(s.tmp, `${token}.keys.records`))),
      }
    : undefined;
  const closeSpools = (): void => {
    for (const { body } of spools?.sides ?? []) body.close();
    spools?.keys.close();
  };

  const stage = async (b: BundlePlan): Promise<BundlePlan> => {
    if (closed) throw new Error('eegen: stage() after commit() or abort()');
    validator?.add(b);
    const i = status.push(UNCHANGED_);
    dirs.push(b.dir);
    if (b.id !== b.dir) otherIds.set(i, b.id);
    const rec = spools?.keys.add(b);
    for (const { f, body } of spools?.sides ?? []) body.write(f.entry(b, i));
    await runner.run(async (hot) => {
      try {
        await escapes.check(b.dir, false, hot);
        const st = opts.trustReused && b.reused ? UNCHANGED : await surveyBundle(b, outAbs, realOut, top, hot);
        let code = st.status === 'added' ? ADDED_ : st.status === 'changed' ? CHANGED_ : UNCHANGED_;
        if (st.status !== 'unchanged' && st.exists) {
          code |= EXISTS;
          inPlace.set(i, { b, st });
        }
        let onThread = false;
        if (st.status !== 'unchanged' && !st.exists) {
          // Past the first few hundred new bundles, a thread of its own writes them.
          if (!thread && script && ++newCount > THREAD_AFTER) thread = new StagingThread(script, fsMode, (sigs) => spools?.keys.fromThread(sigs));
          const staging = stagingOf(i);
          if (thread) {
            thread.stage(staging, b.files);
            onThread = true;
          } else await stageInto(hot, staging, b.files);
          code |= STAGED;
        }
        status.set(i, code);
        if (rec) {
          if (b.sig !== undefined) spools!.keys.known(rec, b.sig);
          else if (onThread) spools!.keys.onThread(rec, b);
          else spools!.keys.later(rec, b);
        }
      } catch (e) {
        if (isWriteError(e)) throw e;
        throw new WriteError(WRITE_CODES.writeFailed, `Having trouble writing bundle ${b.id} to ${join(outAbs, b.dir)}: ${(e as Error).message}`, { path: b.dir, cause: e });
      }
      opts.onProgress?.(++done, opts.total ?? status.length);
    });
    // Memory stays bounded: at most HIGH_WATER (1,024) bundles' bytes wait for the staging thread.
    await thread?.ready();
    // With async calls (a slow filesystem) the bundle may still be in flight: it keeps its bytes.
    const code = status.get(i);
    return (code & STAGED) !== 0 || (code & STATUS_MASK) === UNCHANGED_ ? withoutBytes(b) : b;
  };

  const abort = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await runner.drain().catch(() => undefined);
      await thread?.close();
      try {
        closeSpools();
      } catch {
        // Nothing to keep: tmp/ is emptied below.
      }
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

  /** Everything staged is on disk (or failed): the count the plan must match. */
  const settle = async (): Promise<void> => {
    await runner.drain();
    await thread?.finish();
  };

  const put = async (sideFiles: SideOut[], copts: { prune?: boolean }): Promise<WriteOutcome> => {
    validator?.finish(sideFiles);
    for (const f of sideFiles) await escapes.check(f.path, true);
    await refuseForeignSideFiles(sideFiles, outAbs, await readSideFileHashes(s));
    const planned = validator?.dirs ?? new Set(dirs);
    const stale = await findStale(planned, outAbs, top, known);
    // Record the new dirs before putting them in place, so a kill cannot hide a bundle from the next stale scan.
    const recorded = await writeKnownDirs(s, [...known, ...dirs], [...known].sort());
    const report = await reportOf(idOf, status, inPlace, s);
    try {
      await applyStaged(dirs, idOf, status, inPlace, stagingOf, outAbs, s, fsMode);
      await writeSideFiles(sideFiles, outAbs, s);
      await writeSideFileHashes(s, new Map(sideFiles.map((f) => [f.path, f.hash])));
    } catch (e) {
      // Leave no half-staged bundle behind: commit what was committed, drop the rest.
      await recover(outAbs, s, []).catch(() => undefined);
      throw e;
    }
    const kept = await settleStale(stale, outAbs, s, copts.prune === true, warnings);
    report.stale = sortedIds(kept);
    report.removed = sortedIds(stale.filter((b) => !kept.includes(b)));
    await writeKnownDirs(s, [...dirs, ...kept.map((b) => b.dir)], recorded);
    // Every bundle is in place: the signatures of those not known yet come from a stat of its files.
    if (spools) {
      writeKeyFiles(spools.keys, outAbs, s.root, s.tmp, token);
      for (const f of [...spools.sides.map((x) => x.body.file), spools.keys.file]) await rm(f, { force: true });
    }
    closed = true;
    await lock.release();
    return { ...report, warnings };
  };

  const commit = async (plan: BuildPlan, copts: { prune?: boolean } = {}): Promise<WriteOutcome> => {
    if (closed) throw new Error('eegen: commit() after commit() or abort()');
    if (spools) throw new Error('eegen: a stream session commits with finish()');
    try {
      await settle();
      if (plan.bundles.length !== status.length) throw new Error(`eegen: commit() got ${plan.bundles.length} bundles, ${status.length} were staged`);
      return await put(plan.sideFiles.map((f) => ({ path: f.path, hash: sha256(f.content), mode: f.mode, content: f.content })), copts);
    } catch (e) {
      await abort();
      throw e;
    }
  };

  const finish = async (copts: { prune?: boolean } = {}): Promise<WriteOutcome> => {
    if (closed) throw new Error('eegen: finish() after commit() or abort()');
    if (!spools) throw new Error('eegen: finish() needs a session opened with stream');
    try {
      await settle();
      closeSpools();
      const n = status.length;
      const sideFiles = spools.sides.map(({ f, body }, k): SideOut => {
        const temp = join(s.tmp, `${token}.side-${k}`);
        return { path: f.path, mode: f.mode, temp, hash: assemble(temp, [f.head(n), body, f.tail(n)], f.mode) };
      });
      return await put(sideFiles, copts);
    } catch (e) {
      await abort();
      throw e;
    }
  };

  return { stage, commit, finish, abort };
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
  const stale = await findStale(new Set(plan.bundles.map((b) => b.dir)), outAbs, top, await readKnownDirs(s));
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
  return { report: { ...report, warnings }, differences };
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

/** The session's report: sorted id lists by status; changedAfterSubmit needs the ledger, read only when something changed. */
async function reportOf(idOf: (i: number) => string, status: Bytes, inPlace: ReadonlyMap<number, { b: BundlePlan; st: BundleState }>, s: StatePaths): Promise<WriteReport> {
  const lists: string[][] = [[], [], []];
  for (let i = 0; i < status.length; i++) lists[status.get(i) & STATUS_MASK]!.push(idOf(i));
  for (const l of lists) l.sort(compareBytes);
  const changed = [...inPlace.values()].filter(({ st }) => st.status === 'changed');
  const ledger = changed.length ? await readLedger(s) : new Map<string, string>();
  const afterSubmit = changed
    .filter(({ b, st }) => {
      const submitted = ledger.get(b.id);
      return (submitted !== undefined && submitted !== b.hash) || st.outputs.length > 0;
    })
    .map(({ b }) => b);
  return { added: lists[ADDED_]!, changed: lists[CHANGED_]!, unchanged: lists[UNCHANGED_]!, removed: [], stale: [], changedAfterSubmit: sortedIds(afterSubmit) };
}

/** Put every staged bundle in place (one rename each) and update the existing ones (commit.ts). */
async function applyStaged(
  dirs: readonly string[],
  idOf: (i: number) => string,
  status: Bytes,
  inPlace: ReadonlyMap<number, { b: BundlePlan; st: BundleState }>,
  stagingOf: (i: number) => string,
  outAbs: string,
  s: StatePaths,
  fsMode: FsMode,
): Promise<void> {
  const token = inPlace.size ? await beginUpdates(s, [...inPlace.values()].map(({ b }) => b.dir)) : '';
  const madeParents = new Set<string>();
  const runner = new AdaptiveRunner(SLOW_WRITE_MS, fsMode);
  for (let i = 0; i < dirs.length; i++) {
    const code = status.get(i);
    if ((code & STATUS_MASK) === UNCHANGED_) continue;
    await runner.run(async (hot) => {
      try {
        if (code & STAGED) await placeStaged(hot, outAbs, stagingOf(i), dirs[i]!, madeParents);
        else {
          const { b, st } = inPlace.get(i)!;
          await updateBundle(hot, outAbs, token, b.dir, b.files, st.deletes);
        }
      } catch (e) {
        throw new WriteError(WRITE_CODES.writeFailed, `Having trouble writing bundle ${idOf(i)} to ${join(outAbs, dirs[i]!)}: ${(e as Error).message}`, { path: dirs[i]!, cause: e });
      }
    });
  }
  await runner.drain();
  if (token) await endUpdates(s, token);
}

/** Side files are replaced only when their bytes differ, so an idle rebuild changes no mtime. */
async function writeSideFiles(files: readonly SideOut[], outAbs: string, s: StatePaths): Promise<void> {
  for (const f of files) {
    const target = join(outAbs, f.path);
    try {
      if (f.temp !== undefined) {
        if (hashFile(target) === f.hash) {
          await rm(f.temp, { force: true });
          continue;
        }
        await mkdir(dirname(target), { recursive: true });
        await rename(f.temp, target);
        continue;
      }
      if ((await readIfExists(target))?.equals(f.content!)) continue;
      await mkdir(dirname(target), { recursive: true });
      await writeAtomic(target, f.content!, s.tmp, f.mode);
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
