/** Small filesystem helpers shared by the writer, --check and verify. */
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { WRITE_CODES, WriteError } from './codes.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** The file's bytes, or undefined when it (or a parent) does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (e) {
    if (ABSENT.has(errnoOf(e) ?? '') || errnoOf(e) === 'EISDIR') return undefined;
    throw e;
  }
}

export async function kindOf(p: string): Promise<EntryKind | undefined> {
  try {
    return kindOfStats(await lstat(p));
  } catch (e) {
    if (ABSENT.has(errnoOf(e) ?? '')) return undefined;
    throw e;
  }
}

function kindOfStats(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryKind {
  return s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
}

/** Every entry below `dir` (relative POSIX path -> kind), not following symlinks. */
export async function listTree(dir: string): Promise<Map<string, EntryKind>> {
  const out = new Map<string, EntryKind>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      if (ABSENT.has(errnoOf(e) ?? '')) return;
      throw e;
    }
    for (const ent of entries) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      const kind = kindOfStats(ent);
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
    if (!ABSENT.has(errnoOf(e) ?? '')) throw e;
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
