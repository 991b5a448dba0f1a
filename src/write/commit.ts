/**
 * How bundles change on disk so that a kill at any moment leaves each bundle whole —
 * either its old or its new version:
 *
 * - New bundle: every file goes into `.eegen/tmp/<token>.new/`, then one `rename` puts the
 *   directory in place.
 * - Existing bundle (it may hold run outputs, so it cannot be swapped as a whole): first
 *   the build records an intent `.eegen/tmp/<build>.intent` naming every bundle it will
 *   update. Each one's new files are written into `<bundle>/.eegen-tmp-w-<build>/`
 *   (plus the list of old files to delete); renaming that dir to `.eegen-tmp-c-<build>`
 *   is the commit point — the committed dir is the journal, its contents the renames
 *   to carry out. Then the old files are deleted, the new ones renamed into place (the
 *   manifest and SHA256SUMS last) and the empty dir removed.
 * - Pruned bundle: renamed to `.eegen/tmp/<token>.trash`, then deleted.
 *
 * `recover` runs before anything reads or writes the tree: for every intent it carries
 * out the committed dirs (each step is idempotent) and deletes the uncommitted ones,
 * then empties tmp/. Only process death is covered: nothing is fsync'ed, so a power
 * cut may still lose recent writes.
 */
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LAYOUT, type BundleFile } from '../types.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { WRITE_CODES, warning } from './codes.js';
import { errnoOf, isAbsent, kindOf, listTree, signatureOf, signatureOfStats } from './disk.js';
import { asyncFs, type HotFs } from './fsx.js';
import { TEMP_PREFIX } from './manifest.js';
import { ancestors, isPlainRelPath, relPathProblem } from './paths.js';
import { freshToken, type StatePaths } from './state.js';

const writingDir = (token: string) => `${TEMP_PREFIX}-w-${token}`;
const committedDir = (token: string) => `${TEMP_PREFIX}-c-${token}`;
/** Inside a committed dir: the old files to delete (absent when there are none). */
const DELETES = `${TEMP_PREFIX}-deletes.json`;

/** Create the parent directories (parents first), then write every file (mode less the umask). */
async function writeFilesInto(hot: HotFs, root: string, files: readonly BundleFile[]): Promise<void> {
  for (const d of parentDirs(files)) await hot.mkdir(join(root, d));
  for (const f of files) await hot.writeFile(join(root, f.path), f.content, f.mode);
}

/** The directories the files lie in, parents first. */
function parentDirs(files: readonly BundleFile[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) for (const a of ancestors(f.path)) dirs.add(a);
  return [...dirs].sort();
}

export async function writeNewBundle(hot: HotFs, outAbs: string, s: StatePaths, dir: string, files: readonly BundleFile[], madeParents: Set<string>): Promise<void> {
  await placeStaged(hot, outAbs, await stageNewBundle(hot, s, files), dir, madeParents);
}

/** Write a new bundle's files into a fresh staging dir under tmp/; returns its path. */
export async function stageNewBundle(hot: HotFs, s: StatePaths, files: readonly BundleFile[]): Promise<string> {
  const staging = stagingPath(s);
  await stageInto(hot, staging, files);
  return staging;
}

/** A fresh staging dir name under tmp/ (recovery empties tmp/, so a kill leaves nothing). */
export function stagingPath(s: StatePaths): string {
  return join(s.tmp, `${freshToken()}.new`);
}

/**
 * stageInto with sync calls, returning the bundle's signature (disk.ts bundleSignature)
 * from an fstat of each file while it is open: the same signature a stat after the write
 * gives, without looking each path up again (the staging thread's fast path).
 */
export function stageIntoSync(staging: string, files: readonly BundleFile[]): string {
  mkdirSync(staging);
  for (const d of parentDirs(files)) mkdirSync(join(staging, d));
  const sigs: [string, string][] = [];
  for (const f of files) {
    const fd = openSync(isPlainRelPath(f.path) ? `${staging}/${f.path}` : join(staging, f.path), 'w', f.mode);
    try {
      const data = f.content;
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      sigs.push([f.path, signatureOfStats(fstatSync(fd))]);
    } finally {
      closeSync(fd);
    }
  }
  return signatureOf(sigs);
}

/** Create `staging` and write the bundle's files into it (also on a staging thread). */
export async function stageInto(hot: HotFs, staging: string, files: readonly BundleFile[]): Promise<void> {
  await hot.mkdir(staging);
  await writeFilesInto(hot, staging, files);
}

/** Put a staged bundle in place: one rename (its parent dirs made first, once each). */
export async function placeStaged(hot: HotFs, outAbs: string, staging: string, dir: string, madeParents: Set<string>): Promise<void> {
  const parent = dirname(dir);
  if (parent !== '.' && !madeParents.has(parent)) {
    await hot.mkdir(join(outAbs, parent), true);
    madeParents.add(parent);
  }
  await hot.rename(staging, join(outAbs, dir));
}

/** Record which bundle dirs this build will update in place; returns the build's token. */
export async function beginUpdates(s: StatePaths, dirs: string[]): Promise<string> {
  const token = freshToken();
  const file = join(s.tmp, `${token}.intent`);
  await writeFile(file + '.part', JSON.stringify({ token, dirs }));
  await rename(file + '.part', file);
  return token;
}

export async function endUpdates(s: StatePaths, token: string): Promise<void> {
  await unlink(join(s.tmp, `${token}.intent`));
}

export async function updateBundle(hot: HotFs, outAbs: string, token: string, dir: string, files: readonly BundleFile[], deletes: string[]): Promise<void> {
  const base = join(outAbs, dir);
  const writing = join(base, writingDir(token));
  await hot.mkdir(writing);
  await writeFilesInto(hot, writing, files);
  if (deletes.length) await hot.writeFile(join(writing, DELETES), JSON.stringify(deletes));
  const committed = join(base, committedDir(token));
  await hot.rename(writing, committed); // the commit point
  await carryOut(hot, base, committed, files.map((f) => f.path), deletes);
}

/** Apply a committed dir to its bundle. Idempotent, so recovery can repeat it after a kill. */
async function carryOut(hot: HotFs, base: string, committed: string, paths: string[], deletes: string[]): Promise<void> {
  // A delete that fails leaves a file the manifest no longer lists: it is kept like a run output.
  for (const p of deletes) await hot.unlink(join(base, p)).catch(() => undefined);
  for (const d of [...new Set(deletes.flatMap(ancestors))].sort().reverse()) {
    await hot.rmdir(join(base, d)).catch(() => undefined); // succeeds only when emptied
  }
  const last: string[] = [LAYOUT.manifest, LAYOUT.checksums];
  const ordered = [...paths.filter((p) => !last.includes(p)), ...last.filter((p) => paths.includes(p))];
  for (const p of ordered) await moveInto(hot, join(committed, p), join(base, p));
  await hot.unlink(join(committed, DELETES)).catch(() => undefined);
  for (const d of [...new Set(paths.flatMap(ancestors))].sort().reverse()) await hot.rmdir(join(committed, d)).catch(() => undefined);
  await hot.rmdir(committed).catch(() => rm(committed, { recursive: true, force: true }));
}

async function moveInto(hot: HotFs, from: string, to: string): Promise<void> {
  try {
    await hot.rename(from, to);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e;
    if ((await kindOf(from, hot)) === undefined) return; // moved by an earlier, interrupted run
    await hot.mkdir(dirname(to), true); // a new subdirectory of the bundle
    await hot.rename(from, to);
  }
}

export async function removeBundle(outAbs: string, s: StatePaths, dir: string): Promise<void> {
  const trash = join(s.tmp, `${freshToken()}.trash`);
  await rename(join(outAbs, dir), trash);
  await rm(trash, { recursive: true, force: true });
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if (isAbsent(e)) return [];
    throw e;
  }
}

function parseIntent(text: string): { token: string; dirs: string[] } | undefined {
  try {
    const v = JSON.parse(text) as { token?: unknown; dirs?: unknown };
    if (typeof v.token !== 'string' || !/^[0-9a-z-]+$/.test(v.token) || !Array.isArray(v.dirs)) return undefined;
    const dirs = v.dirs.filter((d): d is string => typeof d === 'string' && !relPathProblem(d) && d.split('/')[0] !== LAYOUT.stateDir);
    return { token: v.token, dirs };
  } catch {
    return undefined;
  }
}

async function readDeletes(file: string): Promise<string[]> {
  try {
    const list = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string' && !relPathProblem(p)) : [];
  } catch {
    return []; // none recorded
  }
}

/** Finish what an interrupted build committed and throw away what it had not. */
export async function recover(outAbs: string, s: StatePaths, warnings: Diagnostic[]): Promise<void> {
  let completed = 0;
  let discarded = 0;
  for (const name of await names(s.tmp)) {
    const file = join(s.tmp, name);
    if (name.endsWith('.intent')) {
      const intent = parseIntent(await readFile(file, 'utf8'));
      for (const dir of intent?.dirs ?? []) {
        const base = join(outAbs, dir);
        await rm(join(base, writingDir(intent!.token)), { recursive: true, force: true });
        const committed = join(base, committedDir(intent!.token));
        if ((await kindOf(committed)) !== 'dir') continue;
        const listing = await listTree(committed);
        const paths = [...listing].filter(([p, k]) => k !== 'dir' && p !== DELETES).map(([p]) => p);
        const deletes = await readDeletes(join(committed, DELETES));
        await carryOut(asyncFs, base, committed, paths, deletes);
        completed++;
      }
    }
    await rm(file, { recursive: true, force: true });
    discarded++;
  }
  if (completed || discarded) {
    warnings.push(
      warning(WRITE_CODES.recovered, `Recovered from an interrupted build: completed ${completed} bundle update(s), cleaned up ${discarded} unfinished item(s).`),
    );
  }
}
