/**
 * Files written beside the bundles: `index.json` (every bundle, relative paths only)
 * and `jobs.sh` (submits or runs them all with nothing but the scheduler installed).
 */
import { shellQuote } from '../shell/quote.js';
import type { BundleFile, BundlePlan } from '../types.js';
import { LAYOUT } from '../types.js';

export interface IndexInfo {
  eegen: string;
  schema: string;
  name?: string;
  varying: string[];
}

export function indexFile(info: IndexInfo, bundles: readonly BundlePlan[]): BundleFile {
  const index = {
    eegen: info.eegen,
    schema: info.schema,
    ...(info.name !== undefined ? { name: info.name } : {}),
    varying: info.varying,
    count: bundles.length,
    bundles: bundles.map((b) => ({ id: b.id, dir: b.dir, index: b.index, script: b.script, scheduler: b.scheduler, hash: b.hash, params: b.params })),
  };
  return { path: LAYOUT.index, content: Buffer.from(`${JSON.stringify(index, null, 2)}\n`), mode: 0o644 };
}

export function jobsScript(bundles: readonly BundlePlan[]): BundleFile {
  const lines = [
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
    ...bundles.map((b) => `want ${shellQuote(b.dir)} "$@" && { run_bundle ${shellQuote(b.dir)} ${shellQuote(b.script)} ${b.scheduler} || failures=$((failures + 1)); }`),
    '',
    'if [ "$failures" -ne 0 ]; then echo "$failures bundle(s) failed" >&2; exit 1; fi',
    '',
  ];
  const text = lines.join('\n');
  return { path: LAYOUT.jobs, content: Buffer.from(text), mode: 0o755 };
}
