#!/usr/bin/env bash
# Submits every bundle of this build to its scheduler (sbatch / bsub), or runs it
# with bash when it has none. Needs nothing but bash and the scheduler; eegen is
# not required. Usage: ./jobs.sh [BUNDLE_DIR...]  (default: all bundles)
set -euo pipefail
cd "$(dirname "$0")"

run_bundle() {  # dir script scheduler
    if [ "$#" -ne 3 ]; then return 1; fi
    case "$3" in
        slurm) (cd "$1" && sbatch "$2") ;;
        lsf) (cd "$1" && bsub < "$2") ;;
        *) if (cd "$1" && bash "$2" > eegen-run.log 2>&1); then echo "$1: done"; else echo "$1: failed, see $1/eegen-run.log" >&2; return 1; fi ;;
    esac
}

want() {  # dir: selected when no arguments were given, or when named
    [ "$#" -eq 1 ] && return 0
    local d="$1"; shift
    for a in "$@"; do [ "${a%/}" = "$d" ] && return 0; done
    return 1
}

failures=0
want epoch-1_gpu-a100_repeat-1 "$@" && { run_bundle epoch-1_gpu-a100_repeat-1 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-a100_repeat-2 "$@" && { run_bundle epoch-1_gpu-a100_repeat-2 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-a100_repeat-3 "$@" && { run_bundle epoch-1_gpu-a100_repeat-3 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-a100_repeat-4 "$@" && { run_bundle epoch-1_gpu-a100_repeat-4 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-a100_repeat-5 "$@" && { run_bundle epoch-1_gpu-a100_repeat-5 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-v100_repeat-1 "$@" && { run_bundle epoch-1_gpu-v100_repeat-1 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-v100_repeat-2 "$@" && { run_bundle epoch-1_gpu-v100_repeat-2 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-v100_repeat-3 "$@" && { run_bundle epoch-1_gpu-v100_repeat-3 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-v100_repeat-4 "$@" && { run_bundle epoch-1_gpu-v100_repeat-4 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-1_gpu-v100_repeat-5 "$@" && { run_bundle epoch-1_gpu-v100_repeat-5 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-a100_repeat-1 "$@" && { run_bundle epoch-30_gpu-a100_repeat-1 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-a100_repeat-2 "$@" && { run_bundle epoch-30_gpu-a100_repeat-2 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-a100_repeat-3 "$@" && { run_bundle epoch-30_gpu-a100_repeat-3 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-a100_repeat-4 "$@" && { run_bundle epoch-30_gpu-a100_repeat-4 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-a100_repeat-5 "$@" && { run_bundle epoch-30_gpu-a100_repeat-5 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-v100_repeat-1 "$@" && { run_bundle epoch-30_gpu-v100_repeat-1 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-v100_repeat-2 "$@" && { run_bundle epoch-30_gpu-v100_repeat-2 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-v100_repeat-3 "$@" && { run_bundle epoch-30_gpu-v100_repeat-3 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-v100_repeat-4 "$@" && { run_bundle epoch-30_gpu-v100_repeat-4 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-30_gpu-v100_repeat-5 "$@" && { run_bundle epoch-30_gpu-v100_repeat-5 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-a100_repeat-1 "$@" && { run_bundle epoch-60_gpu-a100_repeat-1 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-a100_repeat-2 "$@" && { run_bundle epoch-60_gpu-a100_repeat-2 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-a100_repeat-3 "$@" && { run_bundle epoch-60_gpu-a100_repeat-3 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-a100_repeat-4 "$@" && { run_bundle epoch-60_gpu-a100_repeat-4 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-a100_repeat-5 "$@" && { run_bundle epoch-60_gpu-a100_repeat-5 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-v100_repeat-1 "$@" && { run_bundle epoch-60_gpu-v100_repeat-1 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-v100_repeat-2 "$@" && { run_bundle epoch-60_gpu-v100_repeat-2 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-v100_repeat-3 "$@" && { run_bundle epoch-60_gpu-v100_repeat-3 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-v100_repeat-4 "$@" && { run_bundle epoch-60_gpu-v100_repeat-4 cloudmask.slurm slurm || failures=$((failures + 1)); }
want epoch-60_gpu-v100_repeat-5 "$@" && { run_bundle epoch-60_gpu-v100_repeat-5 cloudmask.slurm slurm || failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then echo "$failures bundle(s) failed" >&2; exit 1; fi
