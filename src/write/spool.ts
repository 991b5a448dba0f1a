/**
 * Files a build writes one bundle at a time (index.json, jobs.sh, keys.json, sigs.json):
 * appended to a spool in `.eegen/tmp` while the bundles are staged, then assembled with
 * their head and tail into a temp file there, hashed as it is written, and renamed into
 * place at commit. So a build holds none of them in memory, whatever the sweep's size,
 * and a reader sees the old file or the new one, never half of one (recovery empties tmp/).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/** Bytes gathered before one write: few calls, little memory. */
const CHUNK = 1 << 16;

/** A file written front to back in chunks; `close` once, then read it as a part of `assemble`. */
export class Spool {
  private fd: number | undefined;
  private parts: string[] = [];
  private pending = 0;
  /** Pieces written so far (`write` calls). */
  count = 0;

  constructor(readonly file: string) {
    // 'wx': a fresh name, never a file that is there already.
    this.fd = openSync(file, 'wx', 0o600);
  }

  write(text: string): void {
    if (this.fd === undefined) throw new Error('eegen: write to a closed spool');
    this.parts.push(text);
    this.count++;
    this.pending += text.length;
    if (this.pending >= CHUNK) this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    writeAll(this.fd!, Buffer.from(this.parts.join('')));
    this.parts = [];
    this.pending = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

/** A piece of an assembled file: text, or the whole of a closed spool. */
export type Part = string | Spool;

/** Write `parts` in order into the new file `target` (mode less the umask); returns the sha256 hex of what was written. */
export function assemble(target: string, parts: readonly Part[], mode = 0o644): string {
  const hash = createHash('sha256');
  const fd = openSync(target, 'wx', mode);
  try {
    for (const p of parts) {
      if (typeof p === 'string') {
        const data = Buffer.from(p);
        hash.update(data);
        writeAll(fd, data);
      } else {
        forEachChunk(p.file, (chunk) => {
          hash.update(chunk);
          writeAll(fd, chunk);
        });
      }
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Call `fn` with the file's bytes, a chunk at a time (the buffer is reused: copy what must outlive the call). */
export function forEachChunk(file: string, fn: (chunk: Buffer) => void): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) fn(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** sha256 hex of a file, read a chunk at a time; undefined when it is absent (or not a file). */
export function hashFile(file: string): string | undefined {
  const hash = createHash('sha256');
  try {
    forEachChunk(file, (chunk) => hash.update(chunk));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw e;
  }
  return hash.digest('hex');
}

/** Each line of a file (without its newline), read a chunk at a time. */
export function forEachLine(file: string, fn: (line: string) => void): void {
  let rest = '';
  forEachChunk(file, (chunk) => {
    // Lines are JSON (spool records): a chunk boundary inside a UTF-8 sequence is joined below.
    const text = rest + chunk.toString('latin1');
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const l of lines) fn(Buffer.from(l, 'latin1').toString('utf8'));
  });
  if (rest) fn(Buffer.from(rest, 'latin1').toString('utf8'));
}

/**
 * Put the assembled `temp` (sha256 `hash`) in place as `target` by one rename, unless
 * `target` holds those bytes already: then `temp` goes and `target` keeps its mtime.
 */
export function placeUnlessSame(temp: string, hash: string, target: string): boolean {
  if (hashFile(target) === hash) {
    unlinkSync(temp);
    return false;
  }
  renameSync(temp, target);
  return true;
}
