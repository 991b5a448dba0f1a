/**
 * Reading a user's input file (config, template, profile, a file to copy) without ever
 * blocking on it: a FIFO, a device such as /dev/zero or a directory is refused before a
 * byte is read, and so is a file larger than the limit. Opening with O_NONBLOCK makes a
 * FIFO without a writer return at once instead of hanging the build.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export class InputFileError extends Error {
  constructor(readonly what: string) {
    super(what);
    this.name = 'InputFileError';
  }
}

/** 16 MiB for text inputs; files copied into bundles may be larger (see COPY_LIMIT). */
export const TEXT_LIMIT = 16 * 1024 * 1024;
/** Every bundle holds its own copy: data sets belong on the host, referenced by path. */
export const COPY_LIMIT = 256 * 1024 * 1024;

/** What a non-regular file is, in words ("a named pipe (FIFO)"). */
export function describeKind(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Why a file could not be opened. */
function openError(e: unknown): InputFileError {
  const code = (e as NodeJS.ErrnoException).code;
  return new InputFileError(code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`);
}

/** Refuse what is not a regular file of at most `limit` bytes. */
function checkOpened(st: Stats, limit: number): void {
  if (!st.isFile()) throw new InputFileError(`is ${describeKind(st)}, not a regular file`);
  if (st.size > limit) throw new InputFileError(`is ${st.size} bytes, more than the limit of ${limit} bytes`);
}

/** A failure while reading an opened file, as an InputFileError. */
function readError(e: unknown): InputFileError {
  return e instanceof InputFileError ? e : new InputFileError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
}

/** The bytes of a regular file of at most `limit` bytes, or an InputFileError saying why not. */
export async function readInputFile(file: string, limit = TEXT_LIMIT): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, FLAGS);
  } catch (e) {
    throw openError(e);
  }
  try {
    checkOpened(await fh.stat(), limit);
    return await fh.readFile();
  } catch (e) {
    throw readError(e);
  } finally {
    await fh.close();
  }
}

/** readInputFile, synchronously, with the file's mode (files: copies many files in one pass). */
export function readInputFileSync(file: string, limit: number): { content: Buffer; mode: number } {
  let fd: number;
  try {
    fd = openSync(file, FLAGS);
  } catch (e) {
    throw openError(e);
  }
  try {
    const st = fstatSync(fd);
    checkOpened(st, limit);
    return { content: readFileSync(fd), mode: st.mode };
  } catch (e) {
    throw readError(e);
  } finally {
    closeSync(fd);
  }
}
