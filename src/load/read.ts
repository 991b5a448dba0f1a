/**
 * Reading a user's input file (config, template, profile, a file to copy) without ever
 * blocking on it: a FIFO, a device such as /dev/zero or a directory is refused before a
 * byte is read, and so is a file larger than the limit. Opening with O_NONBLOCK makes a
 * FIFO without a writer return at once instead of hanging the build.
 */
import { constants } from 'node:fs';
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

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The bytes of a regular file of at most `limit` bytes, or an InputFileError saying why not. */
export async function readInputFile(file: string, limit = TEXT_LIMIT): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InputFileError(`is ${kindOf(st)}, not a regular file`);
    if (st.size > limit) throw new InputFileError(`is ${st.size} bytes, more than the limit of ${limit} bytes`);
    return await fh.readFile();
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    await fh.close();
  }
}
