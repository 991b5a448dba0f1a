/**
 * Path rules for everything the writer puts on disk. A path inside a bundle (or the
 * output directory) must be relative POSIX: no leading `/`, no `..` or `.` segments, no
 * empty segments, no NUL. Newlines and backslashes are refused too, because
 * `sha256sum` escapes them in SHA256SUMS and plain `sha256sum -c` must keep working.
 */
import { WRITE_CODES, WriteError } from './codes.js';

/**
 * A path relPathProblem certainly accepts: segments of common name characters, none
 * empty and none starting with `.`. Anything else gets the full check.
 */
const PLAIN_REL_PATH = /^[A-Za-z0-9_+,=@~-][A-Za-z0-9_+,=@~.-]*(?:\/[A-Za-z0-9_+,=@~-][A-Za-z0-9_+,=@~.-]*)*$/;
export function isPlainRelPath(p: string): boolean {
  return typeof p === 'string' && PLAIN_REL_PATH.test(p);
}

/** Why `p` is not a safe relative path, or undefined when it is. */
export function relPathProblem(p: string): string | undefined {
  if (isPlainRelPath(p)) return undefined;
  if (typeof p !== 'string' || p.length === 0) return 'is empty';
  if (p.includes('\0')) return 'contains a NUL character';
  if (/[\n\r\\]/.test(p)) return 'contains a newline or backslash';
  if (p.startsWith('/')) return 'is absolute';
  if (/^[A-Za-z]:/.test(p)) return 'looks like a Windows drive path';
  for (const seg of p.split('/')) {
    if (seg === '') return 'has an empty segment (double or trailing slash)';
    if (seg === '..') return "goes up with '..'";
    if (seg === '.') return "has a '.' segment";
  }
  return undefined;
}

/** Throw EG5001 unless `p` is a safe relative POSIX path; `what` names it in the message (made only then). */
export function assertRelPath(p: string, what: string | (() => string)): void {
  const problem = relPathProblem(p);
  if (problem) {
    throw new WriteError(WRITE_CODES.badPath, `The ${typeof what === 'string' ? what : what()} path ${JSON.stringify(p)} ${problem}.`, {
      path: p,
      hint: 'Bundle paths must be relative POSIX paths without `..`, like `scripts/run.sh`.',
    });
  }
}

/**
 * Byte order of the UTF-8 encodings, the order `LC_ALL=C sort` uses. For BMP-only
 * strings this equals UTF-16 order, so the common case avoids encoding.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // eslint-disable-next-line no-control-regex
  if (/[\ud800-\udfff]/.test(a + b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : 1;
}

/** Every proper ancestor of a relative path: `a/b/c` -> [`a`, `a/b`]. */
export function ancestors(p: string): string[] {
  const out: string[] = [];
  let i = p.indexOf('/');
  while (i !== -1) {
    out.push(p.slice(0, i));
    i = p.indexOf('/', i + 1);
  }
  return out;
}

