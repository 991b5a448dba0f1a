#!/usr/bin/env bash
# Everything the test suite needs, from a fresh clone: dependencies, the real
# components the tests talk to (Slurm, sshd, rsync on loopback; see DEVELOPERS.md),
# then the tests. Safe to run again. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
if [ -f scripts/setup-test-env.sh ]; then
    bash scripts/setup-test-env.sh
fi
npm test
