/**
 * A whole build as one byte-reproducible archive: the same plan gives the same bytes on
 * any machine, in any time zone, on any day. Entries are sorted by path (directories
 * before their contents), every entry has the same mtime (SOURCE_DATE_EPOCH, else
 * 1980-01-01, the earliest a zip can hold), uid/gid 0 with no owner names, and the mode
 * from its BundleFile. Gzip headers carry no name or time, and their OS byte is pinned
 * to Unix so macOS and Linux agree. (Compressed bytes assume the same zlib at the same
 * level; Node bundles its own.)
 */
import archiver from 'archiver';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { BuildPlan } from '../types.js';
import { WRITE_CODES, WriteError } from '../write/codes.js';
import { ancestors, compareBytes } from '../write/paths.js';
import { freshToken } from '../write/state.js';
import { validatePlan } from '../write/validate.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

interface Entry {
  name: string;
  content: Buffer | null;
  mode: number;
}

const DOS_EPOCH = Date.UTC(1980, 0, 1);

/** SOURCE_DATE_EPOCH when set (clamped to 1980 for zip), else 1980-01-01T00:00:00Z. */
export function archiveDate(format: ArchiveFormat, env = process.env): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  let ms = epoch && /^\d+$/.test(epoch) ? Number(epoch) * 1000 : DOS_EPOCH;
  if (format === 'zip') ms = Math.max(ms, DOS_EPOCH);
  return new Date(ms);
}

/** Every bundle file as `<dir>/<path>`, side files at the root, plus their directories. */
export function archiveEntries(plan: BuildPlan): Entry[] {
  const entries = new Map<string, Entry>();
  const addFile = (name: string, content: Buffer, mode: number) => {
    if (entries.has(name)) throw new WriteError(WRITE_CODES.archiveDuplicate, `Two archive entries would be named ${name}.`, { path: name });
    entries.set(name, { name, content, mode: mode & 0o7777 });
    for (const d of ancestors(name)) entries.set(d + '/', { name: d + '/', content: null, mode: 0o755 });
  };
  for (const b of plan.bundles) for (const f of b.files) addFile(`${b.dir}/${f.path}`, f.content, f.mode);
  for (const f of plan.sideFiles) addFile(f.path, f.content, f.mode);
  return [...entries.values()].sort((a, b) => compareBytes(a.name, b.name));
}

export async function writeArchive(plan: BuildPlan, file: string, format: ArchiveFormat): Promise<void> {
  validatePlan(plan);
  const entries = archiveEntries(plan);
  const date = archiveDate(format);
  const tmp = `${file}.${freshToken()}.tmp`;
  try {
    const archive =
      format === 'zip'
        ? archiver('zip', { zlib: { level: 9 }, forceLocalTime: false })
        : archiver('tar', { gzip: false });
    for (const e of entries) {
      // archiver accepts directory entries without a source; its typings do not say so.
      if (e.content === null) archive.append(null as unknown as Buffer, { name: e.name, type: 'directory', date, mode: e.mode } as archiver.EntryData);
      else archive.append(e.content, { name: e.name, date, mode: e.mode });
    }
    const finalized = archive.finalize();
    const stages: NodeJS.ReadWriteStream[] = format === 'zip' ? [] : [createGzip({ level: 9 }), pinGzipOs()];
    await Promise.all([pipeline(archive, ...(stages as [NodeJS.ReadWriteStream]), createWriteStream(tmp)), finalized]);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if (e instanceof WriteError) throw e;
    throw new WriteError(WRITE_CODES.archiveFailed, `Having trouble writing the archive ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
}

/** Byte 9 of a gzip header names the OS that wrote it; zlib sets it per platform. */
function pinGzipOs(): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      if (seen <= 9 && seen + chunk.length > 9) {
        chunk = Buffer.from(chunk);
        chunk[9 - seen] = 3; // Unix
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}
