# Shared by the setup scripts: `. "$(dirname "$0")/lib.sh"` after setting SCRIPT_NAME.

log() { echo "${SCRIPT_NAME:-eegen}: $*" >&2; }

# Re-run as root through sudo when needed (apt-get, daemons, /etc).
require_root() {
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
    log "must run as root (or with sudo available)"
    exit 1
  fi
}

# Install the Debian packages that are missing; apt-get update at most once per run.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  # Keep package maintainer scripts from starting daemons (we start our own, with our
  # configuration). Only add a policy if none exists, and remove it afterwards.
  local policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  if [ "${EEGEN_APT_UPDATED:-}" != 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    export EEGEN_APT_UPDATED=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}
