/**
 * Compare a plan with the output directory without writing anything: which bundles are
 * new, changed or unchanged, which bundle dirs on disk the plan no longer has, and
 * whether any path would lead outside the output directory. Shared by writeBuild and
 * checkBuild, so --check reports exactly what a build would do.
 *
 * A bundle is unchanged when every planned file on disk equals the planned one byte for
 * byte. Bundles the compile did not even render (their inputs and on-disk signature were
 * unchanged, see compile/name.ts reusedBundle) are taken as they are.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LAYOUT, type BuildPlan, type BundlePlan } from '../types.js';
import { WRITE_CODES, WriteError } from './codes.js';
import { assertInside, errnoOf, kindOf, listTree, readIfExists, type EntryKind } from './disk.js';
import { isExecutableMode, parseChecksums, parseManifest, sha256, TEMP_PREFIX } from './manifest.js';
import { asyncFs, forEachAdaptive, type HotFs } from './fsx.js';
import { forEachLimit, CONCURRENCY } from './pool.js';
import { ancestors } from './paths.js';
import { hashFile } from './spool.js';

export type BundleStatus = 'added' | 'changed' | 'unchanged';

export interface BundleState {
  status: BundleStatus;
  /** The directory exists already (changed, or added over a dir without manifest.json). */
  exists: boolean;
  /** Files of the old version that the new one drops (relative to the bundle). */
  deletes: string[];
  /** Entries the old manifest does not list: run outputs, kept through every rebuild. */
  outputs: string[];
}

export interface StaleBundle {
  id: string;
  dir: string;
}

/** Top-level entries of the output directory (absent directory: empty). */
export async function listTop(outAbs: string): Promise<Map<string, EntryKind>> {
  const top = new Map<string, EntryKind>();
  try {
    for (const e of await readdir(outAbs, { withFileTypes: true })) {
      top.set(e.name, e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other');
    }
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e;
  }
  return top;
}

/**
 * Refuse (EG5007) when a bundle dir or side file would be reached through a symlink that
 * leads outside the output directory, and (EG5013) when a file sits where a directory
 * must go. Only the first path segment comes from the one readdir; deeper ones are
 * lstat'ed once each.
 */
export class EscapeChecker {
  private readonly kinds = new Map<string, Promise<EntryKind | undefined>>();
  constructor(
    private readonly outAbs: string,
    private readonly realOut: string,
    private readonly top: Map<string, EntryKind>,
  ) {}

  private kind(rel: string, hot: HotFs): Promise<EntryKind | undefined> {
    if (!rel.includes('/')) return Promise.resolve(this.top.get(rel));
    let k = this.kinds.get(rel);
    if (!k) this.kinds.set(rel, (k = kindOf(join(this.outAbs, rel), hot)));
    return k;
  }

  async check(rel: string, lastMayBeFile: boolean, hot: HotFs = asyncFs): Promise<void> {
    if (!rel.includes('/') && !this.top.has(rel)) return; // the common case: nothing there yet
    for (const part of [...ancestors(rel), rel]) {
      const k = await this.kind(part, hot);
      if (k === undefined) return;
      if (k === 'symlink') await assertInside(join(this.outAbs, part), this.realOut, part);
      else if (k !== 'dir' && !(lastMayBeFile && part === rel)) {
        throw new WriteError(WRITE_CODES.pathOccupied, `${part} is a file, but the build needs a directory there.`, { path: part });
      }
    }
  }
}

export async function checkEscapes(plan: BuildPlan, outAbs: string, realOut: string, top: Map<string, EntryKind>): Promise<void> {
  const checker = new EscapeChecker(outAbs, realOut, top);
  await forEachLimit(plan.bundles, CONCURRENCY, (b) => checker.check(b.dir, false));
  for (const f of plan.sideFiles) await checker.check(f.path, true);
}

/** Classify every planned bundle; for those that exist, work out deletes and run outputs. */
export async function surveyBundles(plan: BuildPlan, outAbs: string, realOut: string, top: Map<string, EntryKind>): Promise<BundleState[]> {
  const states: BundleState[] = new Array(plan.bundles.length);
  await forEachAdaptive(plan.bundles, SLOW_READ_MS, async (b, i, hot) => {
    states[i] = await surveyBundle(b, outAbs, realOut, top, hot);
  });
  return states;
}

const ADDED: BundleState = { status: 'added', exists: false, deletes: [], outputs: [] };
export const UNCHANGED: BundleState = { status: 'unchanged', exists: true, deletes: [], outputs: [] };

/** Average survey time per bundle above which reads go async (a network filesystem). */
const SLOW_READ_MS = 1;

export async function surveyBundle(b: BundlePlan, outAbs: string, realOut: string, top: Map<string, EntryKind>, hot: HotFs): Promise<BundleState> {
  const topLevel = !b.dir.includes('/');
  if (topLevel && !top.has(b.dir)) return ADDED;
  const base = join(outAbs, b.dir);
  const sums = await readIfExists(join(base, LAYOUT.checksums), hot);
  if (b.reused) {
    // Not rendered: the compile saw this bundle unchanged on disk; only its hash is known.
    if (sums && sha256(sums) === b.hash) return UNCHANGED;
    throw new WriteError(WRITE_CODES.writeFailed, `Bundle ${b.id} changed on disk after it was compiled as unchanged.`, { path: b.dir, hint: 'Build again.' });
  }
  const ours = sums !== undefined && sums.equals(plannedFile(b, LAYOUT.checksums));
  // SHA256SUMS alone proves nothing about the files beside it: each one is compared.
  if (ours && (await filesMatch(b, base, hot))) return UNCHANGED;
  if (!topLevel && (await kindOf(base, hot)) === undefined) return ADDED;

  const oldManifest = await readIfExists(join(base, LAYOUT.manifest), hot);
  // A planned SHA256SUMS on disk makes the files it lists ours even where manifest.json was deleted.
  const managed = managedFiles(oldManifest ?? (ours ? plannedFile(b, LAYOUT.manifest) : undefined), sums);
  const listing = await listTree(base, hot);
  const planned = new Set(b.files.map((f) => f.path));
  const deletes = [...managed].filter((p) => !planned.has(p) && listing.has(p) && listing.get(p) !== 'dir');
  refuseForeign(b, b.files.map((f) => f.path).filter((p) => listing.has(p) && listing.get(p) !== 'dir' && !managed.has(p)));
  await checkInsideBundle(b, base, realOut, listing, new Set(deletes));
  return { status: oldManifest || ours ? 'changed' : 'added', exists: true, deletes, outputs: unlisted(listing, managed) };
}

/** Files at planned paths that no earlier build of this bundle wrote: the user's or a run's. Never overwritten. */
function refuseForeign(b: BundlePlan, foreign: string[]): void {
  if (!foreign.length) return;
  const more = foreign.length > 1 ? ` (and ${foreign.slice(1).join(', ')})` : '';
  throw new WriteError(WRITE_CODES.notOurs, `${b.dir}/${foreign[0]}${more} exists and was not written by eegen; a build never overwrites it.`, {
    path: `${b.dir}/${foreign[0]}`,
    hint: 'Move the file out of the bundle directory, or build into another --out directory.',
  });
}

/**
 * Refuse to replace an index.json or jobs.sh beside the bundles that eegen did not write.
 * Ours: the bytes the last build recorded writing (`written`, path -> sha256), or, for a
 * checked-out or older build, recognised by content (an eegen index; the jobs.sh header).
 */
export async function refuseForeignSideFiles(files: readonly { path: string; hash: string }[], outAbs: string, written: ReadonlyMap<string, string>): Promise<void> {
  for (const f of files) {
    // Hashed a chunk at a time: index.json of a big sweep is large.
    const onDisk = hashFile(join(outAbs, f.path));
    if (onDisk === undefined || onDisk === f.hash || written.get(f.path) === onDisk) continue;
    const content = await readIfExists(join(outAbs, f.path));
    if (!content || isOwnSideFile(f.path, content)) continue;
    throw new WriteError(WRITE_CODES.notOurs, `${f.path} in the output directory was not written by eegen; a build never overwrites it.`, {
      path: f.path,
      hint: `Build into another --out directory, or move ${f.path} away.`,
    });
  }
}

function isOwnSideFile(path: string, content: Buffer): boolean {
  const text = content.toString('utf8');
  if (path === LAYOUT.index) {
    try {
      const doc = JSON.parse(text) as { eegen?: unknown; bundles?: unknown };
      return typeof doc.eegen === 'string' && Array.isArray(doc.bundles);
    } catch {
      return false;
    }
  }
  if (path === LAYOUT.jobs) return text.startsWith(JOBS_HEADER);
  return false;
}

/** The first two lines of every jobs.sh eegen writes (bundle/side-files.ts). */
const JOBS_HEADER = '#!/usr/bin/env bash\n# Submits every bundle of this build to its scheduler';

/** Every planned file is on disk, a regular file, byte for byte. */
async function filesMatch(b: BundlePlan, base: string, hot: HotFs): Promise<boolean> {
  for (const f of b.files) {
    if (f.path === LAYOUT.checksums) continue;
    const onDisk = await readIfExists(join(base, f.path), hot).catch(() => undefined);
    if (!onDisk?.equals(f.content)) return false;
    // Same bytes with another execute bit (chmod -x job.slurm) is a changed bundle: rewritten.
    if (isExecutableMode((await hot.lstat(join(base, f.path))).mode) !== isExecutableMode(f.mode)) return false;
  }
  return true;
}

/**
 * What an old version wrote: manifest.json and SHA256SUMS, plus the files its manifest
 * lists (or, when the manifest is unreadable, those its SHA256SUMS lists). Without a
 * manifest the directory is not ours, and everything else in it counts as output.
 */
export function managedFiles(manifest: Buffer | undefined, sums: Buffer | undefined): Set<string> {
  const out = new Set<string>([LAYOUT.manifest, LAYOUT.checksums]);
  if (!manifest) return out;
  const m = parseManifest(manifest.toString('utf8'));
  if (typeof m !== 'string') for (const p of Object.keys(m.files)) out.add(p);
  else if (sums) for (const p of parseChecksums(sums.toString('utf8'))?.keys() ?? []) out.add(p);
  return out;
}

/** Entries that `managed` does not account for; a directory counts only when it is empty. */
export function unlisted(listing: Map<string, EntryKind>, managed: Set<string>): string[] {
  const managedDirs = new Set([...managed].flatMap(ancestors));
  const nonEmpty = new Set([...listing.keys()].flatMap((p) => ancestors(p).slice(-1)));
  const out: string[] = [];
  for (const [p, kind] of listing) {
    if (p.startsWith(TEMP_PREFIX)) continue;
    if (kind === 'dir') {
      if (!managedDirs.has(p) && !nonEmpty.has(p)) out.push(p + '/');
    } else if (!managed.has(p)) {
      out.push(p);
    }
  }
  return out.sort();
}

/** Inside an existing bundle: no symlinked directory leading out, no file where a directory goes. */
async function checkInsideBundle(b: BundlePlan, base: string, realOut: string, listing: Map<string, EntryKind>, deletes: Set<string>): Promise<void> {
  for (const f of b.files) {
    for (const a of ancestors(f.path)) {
      const k = listing.get(a);
      if (k === 'symlink') await assertInside(join(base, a), realOut, `${b.dir}/${a}`);
      else if (k !== undefined && k !== 'dir' && !deletes.has(a)) {
        throw new WriteError(WRITE_CODES.pathOccupied, `${b.dir}/${a} is a file, but bundle ${b.id} needs a directory there.`, { path: `${b.dir}/${a}` });
      }
    }
    if (listing.get(f.path) === 'dir' && !clearedByDeletes(f.path, listing, deletes)) {
      throw new WriteError(WRITE_CODES.pathOccupied, `${b.dir}/${f.path} is a directory, but bundle ${b.id} has a file there.`, {
        path: `${b.dir}/${f.path}`,
        hint: 'Move what is in that directory elsewhere, or rename the file in the config.',
      });
    }
  }
}

/** True when deleting the old files empties directory `dir` (so applyJournal removes it). */
function clearedByDeletes(dir: string, listing: Map<string, EntryKind>, deletes: Set<string>): boolean {
  const emptied = new Set([...deletes].flatMap(ancestors));
  if (!emptied.has(dir)) return false;
  return [...listing.keys()]
    .filter((p) => p.startsWith(dir + '/'))
    .every((p) => deletes.has(p) || (listing.get(p) === 'dir' && emptied.has(p)));
}

export function plannedFile(b: BundlePlan, path: string): Buffer {
  const f = b.files.find((x) => x.path === path);
  if (!f) throw new Error(`Bundle ${b.id} has no ${path}; it was not made by finalizeBundle.`);
  return f.content;
}

/**
 * Bundle dirs on disk that the plan does not produce: a directory holding manifest.json
 * directly under the output dir, or at a dir an earlier build recorded.
 */
export async function findStale(planned: ReadonlySet<string>, outAbs: string, top: Map<string, EntryKind>, knownDirs: string[]): Promise<StaleBundle[]> {
  const candidates = new Set<string>();
  for (const [name, k] of top) if (k === 'dir' && !name.startsWith('.') && !planned.has(name)) candidates.add(name);
  for (const d of knownDirs) if (!planned.has(d)) candidates.add(d);
  const stale: StaleBundle[] = [];
  await forEachLimit([...candidates], CONCURRENCY, async (dir) => {
    if ((await kindOf(join(outAbs, dir))) !== 'dir') return; // never follow a symlink out
    const manifest = await readIfExists(join(outAbs, dir, LAYOUT.manifest));
    if (!manifest) return;
    const m = parseManifest(manifest.toString('utf8'));
    // A manifest.json that is not an eegen manifest belongs to someone else: not a bundle, never pruned.
    if (typeof m !== 'string') stale.push({ dir, id: m.id });
  });
  return stale.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}
