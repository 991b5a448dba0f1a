#!/usr/bin/env bash
# Install and start everything eegen's real-component tests need on this
# machine: rsync, a single-node Slurm cluster (setup-slurm.sh), a loopback
# sshd (setup-sshd.sh) and Debian's chromium (the report test opens report.html
# in it headless, through playwright-core; no browser is downloaded). Idempotent: safe to run again; running components are
# left alone. Needs root (re-executes itself with sudo if available).
# See DEVELOPERS.md.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
  echo "setup-test-env: must run as root (or with sudo available)" >&2
  exit 1
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
start=$(date +%s)

# apt-get update + one apt-get install for everything missing (the two
# scripts below then find it all installed; they install on their own when
# run separately).
missing=()
for p in rsync openssh-server openssh-client munge slurm-wlm python3-yaml chromium; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-test-env: installing ${missing[*]}" >&2
  # Keep package maintainer scripts from starting daemons (we start our own).
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
  [ "$rc" = 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?; }
  [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || { echo "setup-test-env: apt-get failed (exit $rc)" >&2; exit "$rc"; }
fi
export EEGEN_APT_UPDATED=1

bash "$HERE/setup-slurm.sh"
bash "$HERE/setup-sshd.sh"

echo "setup-test-env: ready in $(( $(date +%s) - start ))s (slurm: $(scontrol ping 2>/dev/null | head -n1); ssh: -F /var/lib/eegen-test/ssh_config eegen-test; $(rsync --version | head -n1))" >&2
