#!/usr/bin/env bash
# eegen-run.sh: the run wrapper of an eegen job bundle.
#
#   bash eegen-run.sh SCRIPT [ARGS...]
#
# Every run of a bundle goes through this file (the job script's first line `exec`s it
# when EEGEN_WRAPPED is unset), so that the run's life is recorded on the host where it
# runs, whatever the script does: eegen-run/events.jsonl gets `start` and an `end` with
# the script's real exit status, or the signal that stopped the run (docs/formats.md).
# Needs bash (3.2 or later) and the usual Unix tools; no Python, no node.
#
# Environment it reads (all optional):
#   EEGEN_SLOTS=N, EEGEN_SLOTS_DIR=DIR  run only when one of N slots in DIR is free
#                                       (flock on DIR/slot.K; mkdir locks without flock)
#   EEGEN_JOB_ID                        job id to record outside Slurm/LSF (launcher)
#   EEGEN_POWER=0                       no GPU power trace / energy readings
#   EEGEN_POWER_MS                      power sampling period in ms (default 1000)
#   EEGEN_KILL_AFTER                    seconds a signalled script gets before KILL (10)
#   EEGEN_FINGERPRINT_CACHE=0           measure the fingerprint every run (no per-host cache)
#   EEGEN_CACHE_DIR                     where that cache is (~/.cache/eegen)
# Environment it sets for the script: EEGEN_WRAPPED=1, EEGEN_BUNDLE, EEGEN_BUNDLE_ID,
# EEGEN_RUN_DIR, EEGEN_EVENTS, and the shell function `eegen_progress PERCENT [MSG...]`.
# Exit status: the script's; 128+n when the run was stopped by signal n.

if [ $# -lt 1 ]; then
  echo "usage: bash eegen-run.sh SCRIPT [ARGS...]" >&2
  exit 2
fi

# {os.USER} and {os.HOME} the profile did not know are deferred to "${USER}" and "${HOME}";
# cron, containers and some batch systems start jobs without them, which kills scripts
# under `set -u`. Give both their account values when they are unset or empty.
if [ -z "${USER:-}" ]; then USER=$(id -un 2>/dev/null || echo unknown); export USER; fi
if [ -z "${HOME:-}" ]; then
  HOME=$( (getent passwd "$(id -u)" 2>/dev/null || true) | cut -d: -f6)
  [ -n "$HOME" ] || HOME=$(cd ~ 2>/dev/null && pwd) || HOME=/
  export HOME
fi

# ---- helpers (exported, so that eegen_progress works in the script) ----------------------

# A JSON string literal: \ " and control characters escaped (others dropped).
eegen__json() {
  local s=$1 bs='\' q='"'
  s=${s//"$bs"/"$bs$bs"}
  s=${s//"$q"/"$bs$q"}
  s=${s//$'\n'/"${bs}n"}
  s=${s//$'\t'/"${bs}t"}
  s=${s//$'\r'/"${bs}r"}
  case $s in *[[:cntrl:]]*) s=$(printf '%s' "$s" | LC_ALL=C tr -d '\000-\037\177') ;; esac
  printf '"%s"' "$s"
}

# ISO 8601 UTC with milliseconds: bash 5's clock and strftime (no process), else date where
# it knows %N, else seconds.
eegen__ts() {
  local t=${EPOCHREALTIME:-}
  case $t in
    [0-9]*[.,][0-9][0-9][0-9][0-9][0-9][0-9])
      TZ=UTC printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ' "${t%[.,]*}" "${t:${#t}-6:3}"
      return 0
      ;;
  esac
  t=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ 2>/dev/null)
  case $t in
    *T??:??:??.[0-9][0-9][0-9]Z) printf '%s' "$t" ;;
    *) date -u +%Y-%m-%dT%H:%M:%SZ ;;
  esac
}

# eegen_progress PERCENT [MSG...]: appends a progress event (PERCENT may be empty or "-").
eegen_progress() {
  local p=${1:-} m body
  [ $# -gt 0 ] && shift
  m=$*
  p=${p%\%}
  case $p in
    '' | *[!0-9.]* | *.*.* | .* | *.) p='' ;;
  esac
  body="\"ts\":\"$(eegen__ts)\",\"event\":\"progress\""
  [ -n "$p" ] && body="$body,\"progress\":$p"
  [ -n "$m" ] && body="$body,\"msg\":$(eegen__json "$m")"
  if [ -n "${EEGEN_EVENTS:-}" ]; then
    printf '{%s}\n' "$body" 2>/dev/null >>"$EEGEN_EVENTS"
  else
    printf '# eegen progress=%s msg=%s\n' "${p:-null}" "$(eegen__json "$m")"
  fi
  return 0
}
export -f eegen__json eegen__ts eegen_progress

# ---- where we are -------------------------------------------------------------------------

eegen_script=$1
shift
case $eegen_script in
  /*) ;;
  *) [ -e "$eegen_script" ] && eegen_script="$PWD/$eegen_script" ;;
esac

# The bundle is this file's directory (shell expansions: each process a trivial run saves counts).
case $0 in */*) EEGEN_BUNDLE=${0%/*} ;; *) EEGEN_BUNDLE=. ;; esac
CDPATH='' cd -- "${EEGEN_BUNDLE:-/}" || exit 2
EEGEN_BUNDLE=$PWD
EEGEN_RUN_DIR="$EEGEN_BUNDLE/eegen-run"
[ -d "$EEGEN_RUN_DIR" ] || mkdir -p "$EEGEN_RUN_DIR" 2>/dev/null
EEGEN_EVENTS="$EEGEN_RUN_DIR/events.jsonl"
EEGEN_BUNDLE_ID=''
if [ -r manifest.json ]; then
  # "id" is among the first lines eegen writes; read with builtins, sed only if not there.
  eegen_re='^  "id": *"([^"\\]*)",*[[:space:]]*$'
  eegen_n=0
  while [ $eegen_n -lt 20 ] && IFS= read -r eegen_line; do
    eegen_n=$((eegen_n + 1))
    if [[ $eegen_line =~ $eegen_re ]]; then
      EEGEN_BUNDLE_ID=${BASH_REMATCH[1]}
      break
    fi
  done <manifest.json
  if [ -z "$EEGEN_BUNDLE_ID" ] && [ $eegen_n -ge 20 ]; then
    EEGEN_BUNDLE_ID=$(sed -n 's/^  "id": *"\([^"\\]*\)",*[[:space:]]*$/\1/p' manifest.json 2>/dev/null | head -n 1)
  fi
fi
[ -n "$EEGEN_BUNDLE_ID" ] || EEGEN_BUNDLE_ID=${EEGEN_BUNDLE##*/}
EEGEN_WRAPPED=1
export EEGEN_WRAPPED EEGEN_BUNDLE EEGEN_BUNDLE_ID EEGEN_RUN_DIR EEGEN_EVENTS

eegen_host=$(hostname 2>/dev/null || uname -n 2>/dev/null)
eegen_timeout=''
command -v timeout >/dev/null 2>&1 && eegen_timeout='timeout 30'

if [ -n "${SLURM_JOB_ID:-}" ]; then
  eegen_sched=slurm
  if [ -n "${SLURM_ARRAY_JOB_ID:-}" ] && [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
    eegen_jobid="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  else
    eegen_jobid=$SLURM_JOB_ID
  fi
elif [ -n "${LSB_JOBID:-}" ]; then
  eegen_sched=lsf
  eegen_jobid=$LSB_JOBID
  case ${LSB_JOBINDEX:-0} in 0 | '') ;; *) eegen_jobid="${LSB_JOBID}[${LSB_JOBINDEX}]" ;; esac
else
  eegen_sched=local
  eegen_jobid=${EEGEN_JOB_ID:-local:$$}
fi

eegen__emit() { printf '%s\n' "$1" 2>/dev/null >>"$EEGEN_EVENTS"; }

# ---- state and cleanup --------------------------------------------------------------------

eegen_child=''       # pid (and process group) of the script
eegen_fp=''          # pid of the fingerprint job
eegen_power=''       # pid of the power sampler
eegen_energy=''      # 1 while nvidia-smi's energy counter can be read
eegen_ended=''       # 1 once `end` is written
eegen_sig=''         # name of the signal being handled
eegen_lockdir=''     # mkdir slot lock we hold
eegen_finishing=''   # 1 once the script has ended

eegen__end() { # EXITCODE SIGNAL-NAME-or-empty [TS]
  [ -n "$eegen_ended" ] && return 0
  local sig=null ts=${3:-}
  [ -n "$2" ] && sig="\"$2\""
  [ -n "$ts" ] || ts=$(eegen__ts)
  eegen__emit "{\"ts\":\"$ts\",\"event\":\"end\",\"exitCode\":$1,\"signal\":$sig}"
  eegen_ended=1
}

eegen__energy() { # LABEL: one `energy` event per GPU from nvidia-smi's total_energy_consumption
  [ -n "$eegen_energy" ] || return 0
  local out idx mj rest ok='' ts
  out=$($eegen_timeout nvidia-smi --query-gpu=index,total_energy_consumption --format=csv,noheader,nounits 2>/dev/null) || out=''
  ts=$(eegen__ts)
  while IFS=', ' read -r idx mj rest; do
    case $idx$mj in '' | *[!0-9]*) continue ;; esac
    [ -n "$mj" ] || continue
    ok=1
    eegen__emit "{\"ts\":\"$ts\",\"event\":\"energy\",\"label\":$(eegen__json "$1"),\"gpu\":$idx,\"mJ\":$mj}"
  done <<EEGEN_END
$out
EEGEN_END
  [ -n "$ok" ] || eegen_energy=''
}

eegen__stop_power() {
  if [ -n "$eegen_power" ]; then
    kill "$eegen_power" 2>/dev/null
    wait "$eegen_power" 2>/dev/null
    eegen_power=''
  fi
}

# The bundle directory's size once the script has ended, as a `size` event: collect takes
# away the bytes the bundle shipped (its output_bytes column), and predict extrapolates them.
# The files' bytes where find has -printf (GNU), else the space du -k says the directory
# uses (BSD/macOS: directories and block rounding included). Written before
# `end`, so that whoever sees the run ended finds it; `end` keeps the moment the script
# ended, so the time du takes is not in the run's duration.
eegen__size() {
  local b k
  b=$($eegen_timeout find . -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { if (NR) printf "%.0f\n", s }')
  b=${b%%[!0-9]*}
  if [ -z "$b" ]; then
    k=$($eegen_timeout du -sk . 2>/dev/null) || k=''
    k=${k%%[!0-9]*}
    [ -n "$k" ] && b=$((k * 1024))
  fi
  [ -n "$b" ] && eegen__emit "{\"ts\":\"$(eegen__ts)\",\"event\":\"size\",\"bytes\":$b}"
  return 0
}

eegen__alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Is anything (not a zombie) left in the script's process group?
eegen__group_alive() {
  [ -n "$eegen_child" ] && kill -0 -- "-$eegen_child" 2>/dev/null || return 1
  ps -A -o pgid= -o stat= 2>/dev/null | awk -v g="$eegen_child" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

eegen__release_slot() {
  exec 9>&-
  if [ -n "$eegen_lockdir" ]; then
    local h p
    read -r h p <"$eegen_lockdir/pid" 2>/dev/null
    [ "$p" = "$$" ] && rm -rf "$eegen_lockdir"
    eegen_lockdir=''
  fi
}

eegen__cleanup() { # EXIT trap: never leave a sampler or a slot behind
  [ -n "$eegen_power" ] && kill "$eegen_power" 2>/dev/null
  [ -n "$eegen_fp" ] && kill "$eegen_fp" 2>/dev/null
  eegen__release_slot
}
trap eegen__cleanup EXIT

eegen__on_signal() { # NAME NUMBER
  [ -n "$eegen_sig" ] && return 0
  eegen_sig=$1
  # The script has ended already (a scheduler signals all processes at once): the normal
  # path is writing its real status; let it finish.
  [ -n "$eegen_finishing" ] && return 0
  local code=$((128 + $2)) i=0 limit=${EEGEN_KILL_AFTER:-10}
  case $limit in '' | *[!0-9]*) limit=10 ;; esac
  if eegen__alive "$eegen_child"; then
    kill -s "$1" -- "-$eegen_child" 2>/dev/null || kill -s "$1" "$eegen_child" 2>/dev/null
    # Up to 1 s for the script to go; the end is recorded before a scheduler's KILL.
    while [ $i -lt 10 ] && eegen__alive "$eegen_child"; do
      sleep 0.1
      i=$((i + 1))
    done
  fi
  eegen__end "$code" "$1"
  eegen__stop_power
  eegen__energy end
  if eegen__group_alive; then
    # What is left (e.g. background jobs, which ignore INT) gets TERM, then KILL.
    kill -s TERM -- "-$eegen_child" 2>/dev/null
    i=0
    while [ $i -lt $((limit * 10)) ] && eegen__group_alive; do
      sleep 0.1
      i=$((i + 1))
    done
    eegen__group_alive && kill -s KILL -- "-$eegen_child" 2>/dev/null
  fi
  [ -n "$eegen_child" ] && wait "$eegen_child" 2>/dev/null
  exit "$code"
}
trap 'eegen__on_signal TERM 15' TERM
trap 'eegen__on_signal INT 2' INT
trap 'eegen__on_signal HUP 1' HUP
# Non-fatal signals (Slurm --signal, user notices) go on to the script.
trap '[ -n "$eegen_child" ] && kill -s USR1 -- "-$eegen_child" 2>/dev/null' USR1
trap '[ -n "$eegen_child" ] && kill -s USR2 -- "-$eegen_child" 2>/dev/null' USR2

# ---- concurrency slots (local / ssh hosts) ------------------------------------------------

eegen_slot=''
eegen_slots=${EEGEN_SLOTS:-}
case $eegen_slots in '' | *[!0-9]*) eegen_slots='' ;; esac
if [ -n "$eegen_slots" ] && [ "$eegen_slots" -gt 0 ] && [ -n "${EEGEN_SLOTS_DIR:-}" ]; then
  [ -d "$EEGEN_SLOTS_DIR" ] || mkdir -p "$EEGEN_SLOTS_DIR" 2>/dev/null
  # An unusable slots directory must not hold the run back forever: run without a slot.
  [ -d "$EEGEN_SLOTS_DIR" ] && [ -w "$EEGEN_SLOTS_DIR" ] || eegen_slots=''
fi
if [ -n "$eegen_slots" ] && [ "$eegen_slots" -gt 0 ]; then
  eegen_lock=flock
  if [ "${EEGEN_SLOTS_LOCK:-}" = mkdir ] || ! command -v flock >/dev/null 2>&1; then eegen_lock=mkdir; fi
  eegen_queued=''
  eegen_in_queue=''
  eegen_seen=() # mkdir locks without a pid file: when first seen so (SECONDS)
  # Each run looks from a slot of its own (by pid) round all of them: runs started together
  # do not all try slot 1, then 2, ... (a process per slot tried).
  eegen_k0=$(($$ % eegen_slots))
  while [ -z "$eegen_slot" ]; do
    eegen_i=0
    while [ $eegen_i -lt "$eegen_slots" ]; do
      k=$(((eegen_k0 + eegen_i) % eegen_slots + 1))
      eegen_i=$((eegen_i + 1))
      if [ $eegen_lock = flock ]; then
        # fd 9 stays open (and locked) for the whole run; children get it closed.
        if { exec 9>>"$EEGEN_SLOTS_DIR/slot.$k"; } 2>/dev/null; then
          if flock -n 9; then eegen_slot=$k; break; fi
          exec 9>&-
        fi
      else
        d="$EEGEN_SLOTS_DIR/slot.$k.lock"
        m="$EEGEN_RUN_DIR/.slot-seen.$k"
        h='' p=''
        if [ -r "$d/pid" ] && read -r h p <"$d/pid" && [ -n "$p" ]; then
          rm -f "$m"
          # Stale when its owner (on this host) is gone; read again just before removing,
          # another waiter may have replaced it meanwhile.
          if [ "$h" = "$eegen_host" ] && ! ps -p "$p" >/dev/null 2>&1; then
            h='' p2=''
            read -r h p2 <"$d/pid" 2>/dev/null
            [ "$p2" = "$p" ] && rm -rf "$d"
          fi
        fi
        if mkdir "$d" 2>/dev/null; then
          printf '%s %s\n' "$eegen_host" $$ >"$d/pid"
          rm -f "$EEGEN_RUN_DIR"/.slot-seen.*
          eegen_lockdir=$d
          eegen_slot=$k
          break
        fi
        if [ -r "$d/pid" ]; then
          :
        elif [ -d "$d" ]; then
          # No pid file: being made, being removed, or its owner died in between. Stale
          # when this same directory (older than our first sighting) stays so for 2 s.
          if [ ! -e "$m" ] || [ ! "$d" -ot "$m" ]; then
            touch "$m" 2>/dev/null
            eegen_seen[$k]=$SECONDS
          elif [ $((SECONDS - ${eegen_seen[$k]:-$SECONDS})) -ge 2 ]; then
            rm -rf "$d"
            rm -f "$m"
          fi
        fi
      fi
    done
    [ -n "$eegen_slot" ] && break
    if [ -z "$eegen_queued" ]; then
      eegen_queued=1
      eegen__emit "{\"ts\":\"$(eegen__ts)\",\"event\":\"queued\",\"host\":$(eegen__json "$eegen_host"),\"jobId\":$(eegen__json "$eegen_jobid"),\"pid\":$$,\"slots\":$eegen_slots}"
    fi
    if [ $eegen_lock = flock ] && [ -z "$eegen_in_queue" ]; then
      # Queued runs wait in the kernel for their turn (a lock on DIR/queue), so only the
      # run at the head of the queue polls the slots: a thousand queued runs cost no CPU.
      if { exec 8>>"$EEGEN_SLOTS_DIR/queue"; } 2>/dev/null && flock 8; then eegen_in_queue=1; continue; fi
    fi
    sleep 0.2
  done
fi

[ -n "${eegen_in_queue:-}" ] && exec 8>&- # next in the queue may look for a slot now

# ---- start --------------------------------------------------------------------------------

eegen_extra=''
[ -n "$eegen_slot" ] && eegen_extra=",\"slot\":$eegen_slot"
# Which content runs: sha256 of SHA256SUMS (the bundle hash eegen records), so that results
# are never taken for a bundle of other content that happens to have the same id.
eegen_content=''
if [ -r SHA256SUMS ]; then
  eegen_content=$( (sha256sum SHA256SUMS || shasum -a 256 SHA256SUMS) 2>/dev/null)
  eegen_content=${eegen_content%% *}
  case $eegen_content in *[!0-9a-f]*) eegen_content='' ;; esac
  [ ${#eegen_content} -eq 64 ] || eegen_content=''
fi
[ -n "$eegen_content" ] && eegen_extra="$eegen_extra,\"content\":\"$eegen_content\""
eegen__emit "{\"ts\":\"$(eegen__ts)\",\"event\":\"start\",\"host\":$(eegen__json "$eegen_host"),\"jobId\":$(eegen__json "$eegen_jobid"),\"pid\":$$,\"scheduler\":\"$eegen_sched\",\"bundle\":$(eegen__json "$EEGEN_BUNDLE_ID")$eegen_extra}"

# Hardware/software fingerprint (same JSON as fingerprintScript() in src/results), in the
# background: eegen-run/fingerprint.json and a `fingerprint` event.
#
# Measuring costs processes (a pyenv shim's `python3 --version` alone takes ~0.3 s), so the
# parts that stay put (host, cpu, os, python, node) are cached per host, in
# ${EEGEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eegen}/fingerprint-HOST.txt, and reused
# only while all they were measured from is unchanged (eegen__fp_key) and for at most a day;
# a reused part carries `"cached":TS`, when it was measured. GPUs and CUDA are measured every
# run: a job's GPUs come with its allocation, and a GPU can fall off the bus. Measured every
# run too: with EEGEN_FINGERPRINT_CACHE=0, and where /proc's boot id, `stat -c` or bash 5's
# EPOCHSECONDS are missing (macOS, old bash).
eegen__fp_key() { # sets eegen_fp_key from builtins and one stat, or fails: do not cache
  local boot='' root='' online='' allowed='' line rest d t v found py=''
  local -a files=()
  [ "${EEGEN_FINGERPRINT_CACHE:-1}" != 0 ] && [ -n "${EPOCHSECONDS:-}" ] || return 1
  { read -r boot </proc/sys/kernel/random/boot_id; } 2>/dev/null
  [ -n "$boot" ] || return 1
  # A reboot (kernel, hardware), another mount namespace (a container: its own root), CPUs
  # brought online or a job's CPU set (nproc, with the OMP_ variables it honours).
  while read -r _ _ _ _ d rest; do
    [ "$d" = / ] && root="$d $rest" && break
  done 2>/dev/null </proc/self/mountinfo
  { read -r online </sys/devices/system/cpu/online; } 2>/dev/null
  while IFS= read -r line; do
    case $line in Cpus_allowed_list:*) allowed=${line#*:} && break ;; esac
  done 2>/dev/null </proc/self/status
  eegen_fp_key="v1|host=$eegen_host|boot=$boot|root=$root|online=$online|allowed=$allowed"
  # What picks the tools: PATH and the environments that change it or select a version.
  for v in OMP_NUM_THREADS OMP_THREAD_LIMIT PATH PYENV_VERSION PYENV_ROOT VIRTUAL_ENV CONDA_PREFIX LOADEDMODULES APPTAINER_CONTAINER SINGULARITY_CONTAINER container; do
    eegen_fp_key="$eegen_fp_key|$v=${!v-}"
  done
  # The tools as `command -v` finds them (PATH walked with builtins), and the files that
  # change when they are upgraded or switched (ctime and inode: a package keeps mtimes).
  for t in python3 python node lscpu; do
    found=''
    rest="$PATH:"
    while [ -n "$rest" ]; do
      d=${rest%%:*}
      rest=${rest#*:}
      [ -n "$d" ] || d=.
      if [ -f "$d/$t" ] && [ -x "$d/$t" ]; then found=$d/$t && break; fi
    done
    eegen_fp_key="$eegen_fp_key|$t=$found"
    [ -n "$found" ] && files+=("$found")
    case $found in */shims/*) py=1 ;; esac
  done
  [ -r /etc/os-release ] && files+=(/etc/os-release)
  if [ -n "$py" ]; then
    # A version manager's shim (pyenv, asdf): the version is in these files, from here up.
    d=$PWD
    while :; do
      for t in .python-version .tool-versions; do [ -f "$d/$t" ] && files+=("$d/$t"); done
      [ -n "$d" ] || break
      d=${d%/*}
    done
    for t in "${PYENV_ROOT:-$HOME/.pyenv}/version" "$HOME/.tool-versions"; do [ -f "$t" ] && files+=("$t"); done
  fi
  if [ ${#files[@]} -gt 0 ]; then
    v=$(LC_ALL=C stat -L -c '%n|%i|%z|%s' -- "${files[@]}" 2>/dev/null) || return 1
    eegen_fp_key="$eegen_fp_key|files=$v"
  fi
  eegen_fp_key=${eegen_fp_key//$'\n'/;}
  return 0
}

eegen__fingerprint() {
  local body='' pre='' post='' model='' cores='' allowed='' cpu os gpus='' line name rest driver mem uuid g smi cuda v
  local key='' cache='' cdir h l1='' l2='' l3='' l4='' at=''
  eegen__int() { case $1 in '' | *[!0-9]*) ;; *) printf '%s' "$1" ;; esac; }
  eegen__add() { [ -n "$2" ] && body="$body${body:+,}\"$1\":$2"; }
  if eegen__fp_key; then
    key=$eegen_fp_key
    cdir=${EEGEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eegen}
    h=${eegen_host//[!A-Za-z0-9._-]/_}
    cache="$cdir/fingerprint-${h:-host}.txt"
    # Line 1: version and when measured (epoch seconds, ISO); 2: the key; 3, 4: the parts.
    if [ -f "$cache" ] && { IFS= read -r l1 && IFS= read -r l2 && IFS= read -r l3 && IFS= read -r l4; } <"$cache" 2>/dev/null; then
      v=${l1#* }
      g=${v%% *}
      if [ "${l1%% *}" = eegen-fingerprint-cache-1 ] && [ "$l2" = "$key" ] && [ -n "$l3" ]; then
        case $g in
          '' | *[!0-9]*) ;;
          *) [ $((EPOCHSECONDS - g)) -ge 0 ] && [ $((EPOCHSECONDS - g)) -lt 86400 ] && at=${v#* } ;;
        esac
      fi
    fi
  fi
  case $at in
    ????-??-??T*Z) pre=$l3 post=$l4 ;;
    *) at='' ;;
  esac
  if [ -z "$at" ]; then
    eegen__add host "$(eegen__json "$(uname -n 2>/dev/null)")"
    if command -v lscpu >/dev/null 2>&1; then
      model=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
    fi
    if [ -z "$model" ] && [ -r /proc/cpuinfo ]; then
      model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
    fi
    [ -n "$model" ] || model=$(sysctl -n machdep.cpu.brand_string 2>/dev/null)
    cores=$(eegen__int "$(getconf _NPROCESSORS_ONLN 2>/dev/null)")
    allowed=$(eegen__int "$(nproc 2>/dev/null)")
    if [ -n "$model$cores" ]; then
      cpu="\"model\":$(eegen__json "$model")"
      [ -n "$cores" ] && cpu="$cpu,\"cores\":$cores"
      [ -n "$allowed" ] && cpu="$cpu,\"allowed\":$allowed"
      eegen__add cpu "{$cpu}"
    fi
    os=''
    if [ -r /etc/os-release ]; then
      os=$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | head -n 1)
      os=${os#[\"\']}
      os=${os%[\"\']}
    fi
    if [ -z "$os" ] && command -v sw_vers >/dev/null 2>&1; then
      os="$(sw_vers -productName 2>/dev/null) $(sw_vers -productVersion 2>/dev/null)"
    fi
    [ -n "$os" ] || os=$(uname -s 2>/dev/null)
    eegen__add os "{\"name\":$(eegen__json "$os"),\"kernel\":$(eegen__json "$(uname -r 2>/dev/null)"),\"arch\":$(eegen__json "$(uname -m 2>/dev/null)")}"
    pre=$body
    body=''
    v=$( (python3 --version || python --version) 2>&1 | sed -n 's/^Python \([0-9][0-9.]*\).*/\1/p' | head -n 1)
    [ -n "$v" ] && eegen__add python "$(eegen__json "$v")"
    v=$(node --version 2>/dev/null | sed -n 's/^v\([0-9][0-9.]*\).*/\1/p' | head -n 1)
    [ -n "$v" ] && eegen__add node "$(eegen__json "$v")"
    post=$body
    body=''
  fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    smi=$($eegen_timeout nvidia-smi --query-gpu=name,driver_version,memory.total,uuid --format=csv,noheader,nounits 2>/dev/null)
    if [ $? -eq 0 ] && [ -n "$smi" ]; then
      while IFS= read -r line; do
        [ -n "$line" ] || continue
        name=${line%%, *}
        rest=${line#*, }
        driver=${rest%%, *}
        rest=${rest#*, }
        mem=$(eegen__int "${rest%%, *}")
        uuid=${rest#*, }
        g="\"name\":$(eegen__json "$name"),\"driver\":$(eegen__json "$driver")"
        [ -n "$mem" ] && g="$g,\"memoryMiB\":$mem"
        g="$g,\"uuid\":$(eegen__json "$uuid")"
        gpus="$gpus${gpus:+,}{$g}"
      done <<EEGEN_END
$smi
EEGEN_END
      eegen__add gpus "[$gpus]"
      cuda=$($eegen_timeout nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | head -n 1)
      [ -n "$cuda" ] && eegen__add cuda "$(eegen__json "$cuda")"
    fi
  fi
  v=$(eegen__ts)
  if [ -n "$key" ] && [ -z "$at" ] && [ -n "$pre" ]; then
    # Measured: cached for the next run (whole or not at all: a temp file renamed).
    { [ -d "$cdir" ] || mkdir -p "$cdir" 2>/dev/null; } &&
      printf 'eegen-fingerprint-cache-1 %s %s\n%s\n%s\n%s\n' "$EPOCHSECONDS" "$v" "$key" "$pre" "$post" 2>/dev/null >"$cache.tmp.$$" &&
      { mv -f "$cache.tmp.$$" "$cache" 2>/dev/null || rm -f "$cache.tmp.$$" 2>/dev/null; }
  fi
  g=$body
  body=$pre
  [ -n "$g" ] && body="$body${body:+,}$g"
  [ -n "$post" ] && body="$body${body:+,}$post"
  [ -n "$at" ] && body="$body${body:+,}\"cached\":\"$at\""
  printf '{"ts":"%s"%s}\n' "$v" "${body:+,$body}" >"$EEGEN_RUN_DIR/fingerprint.json.tmp.$$" &&
    mv -f "$EEGEN_RUN_DIR/fingerprint.json.tmp.$$" "$EEGEN_RUN_DIR/fingerprint.json"
  eegen__emit "{\"ts\":\"$v\",\"event\":\"fingerprint\"${body:+,$body}}"
}
(eegen__fingerprint) 9>&- </dev/null >/dev/null 2>&1 &
eegen_fp=$!

# GPU energy counter and power trace.
if [ "${EEGEN_POWER:-1}" != 0 ] && command -v nvidia-smi >/dev/null 2>&1; then
  eegen_energy=1
  eegen__energy start
  eegen_ms=${EEGEN_POWER_MS:-1000}
  case $eegen_ms in '' | *[!0-9]*) eegen_ms=1000 ;; esac
  (
    f=timestamp,index,power.draw,power.draw.instant
    $eegen_timeout nvidia-smi --query-gpu=$f --format=csv,noheader >/dev/null 2>&1 || f=timestamp,index,power.draw
    TZ=UTC exec nvidia-smi --query-gpu=$f --format=csv -lms "$eegen_ms"
  ) 9>&- </dev/null >>"$EEGEN_RUN_DIR/power.csv" 2>/dev/null &
  eegen_power=$!
fi

# ---- the script ---------------------------------------------------------------------------

# Its own process group (job control), so that a forwarded signal reaches everything it
# started; with job control the script also keeps the default SIGINT/SIGQUIT handling.
set -m
bash "$eegen_script" "$@" <&0 9>&- &
eegen_child=$!
set +m

eegen_rc=0
while :; do
  wait "$eegen_child"
  eegen_rc=$?
  # wait also returns when a forwarded USR1/USR2 arrives: go on while the script lives.
  if ! eegen__alive "$eegen_child"; then
    eegen_finishing=1
    break
  fi
done
eegen_child=''

eegen_signame=''
if [ "$eegen_rc" -gt 128 ] && [ "$eegen_rc" -le 192 ]; then
  eegen_signame=$(kill -l $((eegen_rc - 128)) 2>/dev/null)
  eegen_signame=${eegen_signame#SIG}
fi
eegen__energy end
eegen__stop_power
eegen_end_ts=$(eegen__ts)
eegen__size
eegen__end "$eegen_rc" "$eegen_signame" "$eegen_end_ts"
eegen__release_slot

# Give the fingerprint a few seconds to finish (it is quick without a hung nvidia-smi).
i=0
while [ $i -lt 50 ] && eegen__alive "$eegen_fp"; do
  sleep 0.1
  i=$((i + 1))
done
eegen__alive "$eegen_fp" && kill "$eegen_fp" 2>/dev/null
wait "$eegen_fp" 2>/dev/null
eegen_fp=''
exit "$eegen_rc"
