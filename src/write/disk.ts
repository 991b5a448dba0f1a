/** Small filesystem helpers shared by the writer, --check and verify. */
import { statSync, type Stats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { WRITE_CODES, WriteError } from './codes.js';
import { asyncFs, type HotFs } from './fsx.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR']);
export const isAbsent = (e: unknown): boolean => ABSENT.has(errnoOf(e) ?? '');

/** The file's bytes, or undefined when it (or a parent) does not exist or is a directory. */
export async function readIfExists(file: string, hot: HotFs = asyncFs): Promise<Buffer | undefined> {
  try {
    return await hot.readFile(file);
  } catch (e) {
    if (isAbsent(e) || errnoOf(e) === 'EISDIR') return undefined;
    throw e;
  }
}

type Typed = { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean };
export function kindOfEntry(s: Typed): EntryKind {
  return s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
}

export async function kindOf(p: string, hot: HotFs = asyncFs): Promise<EntryKind | undefined> {
  try {
    return kindOfEntry(await hot.lstat(p));
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw e;
  }
}

/** Every entry below `dir` (relative POSIX path -> kind), not following symlinks. */
export async function listTree(dir: string, hot: HotFs = asyncFs): Promise<Map<string, EntryKind>> {
  const out = new Map<string, EntryKind>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await hot.readdir(abs);
    } catch (e) {
      if (isAbsent(e)) return;
      throw e;
    }
    for (const ent of entries) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      const kind = kindOfEntry(ent);
      out.set(r, kind);
      if (kind === 'dir') await walk(join(abs, ent.name), r);
    }
  };
  await walk(dir, '');
  return out;
}

/** Throw EG5007 unless the real location of `abs` lies inside `realOut`. */
export async function assertInside(abs: string, realOut: string, shown: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(abs);
  } catch (e) {
    if (!isAbsent(e)) throw e;
    throw new WriteError(WRITE_CODES.escapesOutDir, `${shown} is a symlink to a path that does not exist.`, {
      path: shown,
      hint: 'Remove the dangling symlink; eegen never writes through symlinks it cannot check.',
    });
  }
  const rel = relative(realOut, real);
  if (rel === '..' || rel.startsWith('..' + sep) || rel.startsWith(sep) || /^[A-Za-z]:/.test(rel)) {
    throw new WriteError(WRITE_CODES.escapesOutDir, `${shown} is a symlink that leads outside the output directory (to ${real}).`, {
      path: shown,
      hint: 'Remove the symlink, or choose an output directory that contains its target.',
    });
  }
}

/**
 * Inode, size and change time of a file: any write, replacement or rename of the file
 * changes it (unlike mtime, ctime cannot be set back by tools such as rsync or touch).
 * A rebuild that finds a bundle's SHA256SUMS with the signature it recorded skips reading it.
 */
export function statSignature(file: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  return st?.isFile() ? signatureOfStats(st) : undefined;
}

/** statSignature of a file's stats (also from an fstat of an open file). */
export function signatureOfStats(st: Stats): string {
  return `${st.ino}:${st.size}:${st.ctimeMs}`;
}

/**
 * The signature of a whole bundle: every file it consists of (names sorted), so an edit,
 * replacement or deletion of any of them, not only of SHA256SUMS, is seen by one stat each.
 * Undefined when a file is missing or is not a regular file.
 */
export function bundleSignature(dir: string, files: readonly string[]): string | undefined {
  const sigs: [string, string][] = [];
  for (const f of files) {
    const sig = statSignature(join(dir, f));
    if (sig === undefined) return undefined;
    sigs.push([f, sig]);
  }
  return signatureOf(sigs);
}

/** A bundle signature from each file's statSignature: `name=sig` joined by `|`, names sorted. */
export function signatureOf(sigs: [string, string][]): string {
  return sigs
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([f, sig]) => `${f}=${sig}`)
    .join('|');
}

/** True when every file named in a bundleSignature still has the recorded signature. */
export function bundleSignatureHolds(dir: string, sig: string): boolean {
  if (!sig.includes('=')) return false; // an older, SHA256SUMS-only signature: check the files
  for (const part of sig.split('|')) {
    const eq = part.lastIndexOf('=');
    if (statSignature(join(dir, part.slice(0, eq))) !== part.slice(eq + 1)) return false;
  }
  return true;
}
