/**
 * Files written beside the bundles: `index.json` (every bundle, relative paths only)
 * and `jobs.sh` (submits or runs them all with nothing but the scheduler installed).
 */
import { shellQuote } from '../shell/quote.js';
import type { BundleFile, BundlePlan } from '../types.js';
import { LAYOUT } from '../types.js';
import type { StreamedSideFile } from '../write/index.js';

export interface IndexInfo {
  eegen: string;
  schema: string;
  name?: string;
  varying: string[];
}

/**
 * index.json is `JSON.stringify(index, null, 2)`: written here in three pieces (head,
 * one entry per bundle, tail) so that a build can stream it, one bundle at a time, and
 * give the same bytes as the whole document stringified at once.
 */
export function indexHead(info: IndexInfo, count: number): string {
  const whole = JSON.stringify({ eegen: info.eegen, schema: info.schema, ...(info.name !== undefined ? { name: info.name } : {}), varying: info.varying, count, bundles: [] }, null, 2);
  // `..."bundles": []\n}` less its `[]\n}`.
  return whole.slice(0, whole.length - 4);
}

/** One bundle's entry of index.json, the separator before it included (`first`: none). */
export function indexEntry(b: Pick<BundlePlan, 'id' | 'dir' | 'index' | 'script' | 'scheduler' | 'hash' | 'params'>, first: boolean): string {
  const text = JSON.stringify({ id: b.id, dir: b.dir, index: b.index, script: b.script, scheduler: b.scheduler, hash: b.hash, params: b.params }, null, 2);
  // JSON text holds no raw newline inside a string: every newline starts a line to indent.
  return `${first ? '[' : ','}\n    ${text.replace(/\n/g, '\n    ')}`;
}

/** What follows the last entry (`empty`: there was none). */
export function indexTail(empty: boolean): string {
  return empty ? '[]\n}\n' : '\n  ]\n}\n';
}

export function indexFile(info: IndexInfo, bundles: readonly BundlePlan[]): BundleFile {
  const text = indexHead(info, bundles.length) + bundles.map((b, i) => indexEntry(b, i === 0)).join('') + indexTail(bundles.length === 0);
  return { path: LAYOUT.index, content: Buffer.from(text), mode: 0o644 };
}

const JOBS_HEAD = [
  '#!/usr/bin/env bash',
  '# Submits every bundle of this build to its scheduler (sbatch / bsub), or runs it',
  '# with bash when it has none. Needs nothing but bash and the scheduler; eegen is',
  '# not required. Usage: ./jobs.sh [BUNDLE_DIR...]  (default: all bundles)',
  'set -euo pipefail',
  'cd "$(dirname "$0")"',
  '',
  'run_bundle() {  # dir script scheduler',
  '    if [ "$#" -ne 3 ]; then return 1; fi',
  '    case "$3" in',
  '        slurm) (cd "$1" && sbatch "$2") ;;',
  '        lsf) (cd "$1" && bsub < "$2") ;;',
  '        *) if (cd "$1" && bash "$2" > eegen-run.log 2>&1); then echo "$1: done"; else echo "$1: failed, see $1/eegen-run.log" >&2; return 1; fi ;;',
  '    esac',
  '}',
  '',
  'want() {  # dir: selected when no arguments were given, or when named',
  '    [ "$#" -eq 1 ] && return 0',
  '    local d="$1"; shift',
  '    for a in "$@"; do [ "${a%/}" = "$d" ] && return 0; done',
  '    return 1',
  '}',
  '',
  'failures=0',
  '',
].join('\n');

/** jobs.sh in pieces, as index.json (a build streams it): the head, one line per bundle, the tail. */
export const jobsHead = (): string => JOBS_HEAD;
export const jobsLine = (b: Pick<BundlePlan, 'dir' | 'script' | 'scheduler'>): string =>
  `want ${shellQuote(b.dir)} "$@" && { run_bundle ${shellQuote(b.dir)} ${shellQuote(b.script)} ${b.scheduler} || failures=$((failures + 1)); }\n`;
export const jobsTail = (): string => '\nif [ "$failures" -ne 0 ]; then echo "$failures bundle(s) failed" >&2; exit 1; fi\n';

export function jobsScript(bundles: readonly BundlePlan[]): BundleFile {
  const text = jobsHead() + bundles.map(jobsLine).join('') + jobsTail();
  return { path: LAYOUT.jobs, content: Buffer.from(text), mode: 0o755 };
}

/**
 * index.json and jobs.sh for a streaming build's writer (write/index.ts openWrite with
 * `stream`): the entries as bundles are staged; the head once `info` (known when the
 * compile ends) and the count are.
 */
export function streamedSideFiles(info: () => IndexInfo): StreamedSideFile[] {
  return [
    { path: LAYOUT.index, mode: 0o644, entry: (b, i) => indexEntry(b, i === 0), head: (count) => indexHead(info(), count), tail: (count) => indexTail(count === 0) },
    { path: LAYOUT.jobs, mode: 0o755, entry: (b) => jobsLine(b), head: jobsHead, tail: jobsTail },
  ];
}
