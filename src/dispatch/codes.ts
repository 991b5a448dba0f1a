/**
 * Diagnostic codes of the dispatcher (submit, status, cancel, collect, run): EG6001-EG6099.
 * Codes are stable: once published, a code keeps its meaning. EG6001 (unknown host, hosts.ts),
 * EG6002 and EG6003 (no / unreadable index.json, outdir.ts) predate this file; they are listed
 * here so the range is in one place.
 *
 * A host that fails is not an exception: the operation goes on with the other hosts and
 * reports the failure as a `HostError` (host name, the human text, and this diagnostic).
 */
import { diag, type Diagnostic } from '../diagnostics/index.js';

export const DISPATCH_CODES = {
  /** A host name that is not in the inventory (hosts.ts). */
  unknownHost: 'EG6001',
  /** The output directory has no index.json (outdir.ts). */
  noIndex: 'EG6002',
  /** index.json is not valid JSON (outdir.ts). */
  badIndex: 'EG6003',
  /** --only selects none of the bundles (outdir.ts selectBundles). */
  noMatch: 'EG6004',
  /** A workdir in hosts.yaml that starts with ~USER (inventory/hosts.ts): only ~ and ~/ are expanded. */
  tildeUser: 'EG6005',
  /** A host could not be asked (ssh failed, workdir cannot be entered, the script did not finish). */
  unreachable: 'EG6010',
  /** Copying bundles to a host failed (rsync). */
  pushFailed: 'EG6011',
  /** The submit script on a host did not report its end: some bundles may be submitted, none twice. */
  submitUnfinished: 'EG6012',
  /** Any other failure while submitting to one host (a bundle that cannot go into an array list, a file that cannot be read). */
  submitFailed: 'EG6013',
  /** Copying results back from a host failed (rsync). */
  pullFailed: 'EG6014',
  /** The cancel script on a host did not report its end. */
  cancelUnfinished: 'EG6015',
  /** Another submit of the same output directory holds its lock for too long. */
  submitLocked: 'EG6016',
} as const;

export type DispatchCode = (typeof DISPATCH_CODES)[keyof typeof DISPATCH_CODES];

/** What to do about each code, in words (the hint of its diagnostic). */
const HINTS: Partial<Record<DispatchCode, string>> = {
  EG6010: 'Check that the host answers (for ssh: ssh -F CONFIG HOST true) and that its workdir is writable; the other hosts were handled.',
  EG6011: 'Check disk space and permissions in the host\'s workdir, then submit again: nothing was submitted to this host.',
  EG6012: 'Submit again: bundles the host recorded are not submitted twice.',
  EG6013: 'Fix the cause named above and submit again: bundles the host recorded are not submitted twice.',
  EG6014: 'Collect again: rsync resumes, and results already in OUT are kept.',
  EG6015: 'Run eegen status to see what is still running, then cancel again.',
  EG6016: 'If no other eegen submit is running, delete the lock file named above.',
};

/** One host that failed during an operation: `error` is the text eegen prints, `diagnostic` the same with code and hint. */
export interface HostError {
  host: string;
  error: string;
  diagnostic: Diagnostic;
}

/** A HostError for `host` with the given code; `error` is the message without the host name. */
export function hostError(code: DispatchCode, host: string, error: string, hint?: string): HostError {
  return { host, error, diagnostic: diag(code, `${host}: ${error}`, undefined, hint ?? HINTS[code]) };
}
