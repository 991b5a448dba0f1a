#!/usr/bin/env bash
# Stop what scripts/setup-test-env.sh started.
#   bash scripts/stop-test-env.sh           stop our loopback sshd only
#   bash scripts/stop-test-env.sh --slurm   stop slurmctld + slurmd only
#   bash scripts/stop-test-env.sh --all     stop sshd, slurmctld, slurmd and munged
# EEGEN_TEST_SSH_INSTANCE=NAME selects a private sshd instance (see setup-sshd.sh).
# Stopping sshd also ends its open sessions, so in-flight ssh/rsync fail too.
# Only our own processes are stopped (found through their pid files); the
# system sshd on port 22 is never touched. Stopping something that is not
# running is not an error. Restart with scripts/setup-sshd.sh / setup-slurm.sh.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
  echo "stop-test-env: must run as root (or with sudo available)" >&2
  exit 1
fi

sshd=0 slurm=0 munge=0
case "${1:-}" in
  '' | --sshd) sshd=1 ;;
  --slurm) slurm=1 ;;
  --all) sshd=1 slurm=1 munge=1 ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "stop-test-env: unknown option '$1' (use --sshd, --slurm or --all)" >&2; exit 2 ;;
esac

# children_of PID: pids whose parent is PID (no procps needed).
children_of() {
  local parent=$1 d stat rest
  for d in /proc/[0-9]*; do
    { read -r stat <"$d/stat"; } 2>/dev/null || continue
    rest=${stat##*) }                  # fields after "pid (comm) ": state ppid ...
    rest=${rest#* }                    # drop state
    [ "${rest%% *}" = "$parent" ] && echo "${d#/proc/}"
  done
  return 0
}

# stop NAME PIDFILE MATCH [with-children]: kill the pid in PIDFILE if its command line contains MATCH.
stop() {
  local name=$1 pidfile=$2 match=$3 pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null \
     || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$match"; then
    echo "stop-test-env: $name not running" >&2
    rm -f "$pidfile"
    return 0
  fi
  # Sessions are children of the listener; collect them before it goes away.
  local children=""
  [ "${4:-}" = with-children ] && children=$(children_of "$pid")
  kill "$pid" 2>/dev/null || true
  for c in $children; do kill "$c" 2>/dev/null || true; done
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { echo "stop-test-env: stopped $name (pid $pid)" >&2; rm -f "$pidfile"; return 0; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "stop-test-env: killed $name (pid $pid)" >&2
}

INSTANCE=${EEGEN_TEST_SSH_INSTANCE:-}
case "$INSTANCE" in *[!a-z0-9_-]*) echo "stop-test-env: bad EEGEN_TEST_SSH_INSTANCE '$INSTANCE'" >&2; exit 2 ;; esac
SSHD_DIR=/var/lib/eegen-test/sshd${INSTANCE:+-$INSTANCE}
[ "$sshd" = 1 ] && stop "sshd${INSTANCE:+ ($INSTANCE)}" "$SSHD_DIR/sshd.pid" "$SSHD_DIR/sshd_config" with-children
if [ "$slurm" = 1 ]; then
  stop slurmd /run/slurmd.pid slurmd
  stop slurmctld /run/slurmctld.pid slurmctld
fi
[ "$munge" = 1 ] && stop munged /run/munge/munged.pid munged
exit 0
