/**
 * Diagnostic codes of the write stage (finalize, write, --check, verify, archive).
 * EG5001–EG5049 belong to this folder; codes are never reused for another meaning.
 */
import { DiagnosticError, diag, type Diagnostic } from '../diagnostics/index.js';

export const WRITE_CODES = {
  /** A bundle file path, bundle dir or side-file path is not a safe relative POSIX path. */
  badPath: 'EG5001',
  /** Two files of one bundle have the same path. */
  duplicateFile: 'EG5002',
  /** A rendered file uses a name the writer owns (manifest.json, SHA256SUMS). */
  reservedName: 'EG5003',
  /** A bundle id is empty or contains characters that cannot be a directory name. */
  badId: 'EG5004',
  /** Two bundles share an id or a directory. */
  duplicateBundle: 'EG5005',
  /** One bundle directory lies inside another. */
  nestedBundle: 'EG5006',
  /** A path resolves outside the output directory (through a symlink). */
  escapesOutDir: 'EG5007',
  /** A side file collides with a bundle directory or eegen's state directory. */
  sideFileConflict: 'EG5008',
  /** The bundle's `script` is not one of its files. */
  scriptNotInBundle: 'EG5009',
  /** Another build is writing to the same output directory. */
  locked: 'EG5010',
  /** The output directory cannot be created or is not a directory. */
  badOutDir: 'EG5011',
  /** A filesystem operation failed while writing a bundle. */
  writeFailed: 'EG5012',
  /** A planned file path is occupied by a directory (or a directory path by a file) on disk. */
  pathOccupied: 'EG5013',
  /** A file the build would write exists and was not written by eegen (the user's own). */
  notOurs: 'EG5014',
  /** The archive could not be written. */
  archiveFailed: 'EG5030',
  /** Two archive entries would have the same path. */
  archiveDuplicate: 'EG5031',
  /** Warning: a stale bundle was not pruned because it holds run outputs. */
  keptWithOutputs: 'EG5040',
  /** Warning: an interrupted earlier build was completed or rolled back. */
  recovered: 'EG5041',
  /** Warning: a stale lock of a dead build was taken over. */
  staleLock: 'EG5042',
} as const;

/** A refusal of the write stage: a DiagnosticError whose first diagnostic carries `code`. */
export class WriteError extends DiagnosticError {
  readonly code: string;
  /** The offending path (relative to the bundle or output directory), if any. */
  readonly path: string | undefined;
  constructor(code: string, message: string, opts: { hint?: string; path?: string; cause?: unknown } = {}) {
    super(diag(code, message, undefined, opts.hint), { cause: opts.cause });
    this.name = 'WriteError';
    this.code = code;
    this.path = opts.path;
  }
}

export function isWriteError(e: unknown): e is WriteError {
  return e instanceof WriteError;
}

export function warning(code: string, message: string, hint?: string): Diagnostic {
  return diag(code, message, undefined, hint, 'warning');
}
