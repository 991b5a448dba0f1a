/**
 * The bash scripts eegen sends to a host (stdin of `bash -s`, locally or over ssh).
 * Each does all its work in one round trip and answers in a line protocol: every
 * line starts with `@@TAG<TAB>`, so job output can never be mistaken for an answer.
 * They need bash, coreutils and the scheduler's client commands; nothing else. What
 * differs between schedulers (submit, query, cancel lines) comes from their adapters
 * (scheduler/), picked by the host's kind from the context's registry.
 */
import { quoteLiteral as q } from '../shell/quote.js';
import type { HostEntry } from '../inventory/hosts.js';
import { DEFAULT_SCHEDULERS, schedulers, type SchedulerRegistry } from '../scheduler/registry.js';
import type { ArraySupport } from '../scheduler/types.js';
import { hostScheduler } from './context.js';
import { VIEW_TO_WORKDIR } from './transport.js';
import { RUN_LAYOUT } from './types.js';

const PRELUDE = `set -u
export LC_ALL=C
tab=$(printf '\\t')
emit() { local tag=$1; shift; local IFS="$tab"; printf '@@%s\\t%s\\n' "$tag" "$*"; }
oneline() { tr '\\t\\n\\r' '   '; }
`;

function enterWorkdir(workdir: string): string {
  return `mkdir -p -- ${q(workdir)} 2>/dev/null
cd -- ${q(workdir)} || { emit FATAL "cannot enter workdir ${workdir.replace(/["$`\\]/g, '')}"; exit 90; }
mkdir -p .eegen/slots
emit HOST "$(hostname)"
`;
}

/**
 * Status: for each bundle, whether it is on the host and what submit recorded; then the
 * scheduler's view of every job id found; then each bundle's run events, the last
 * status lines of its output and the names of its log files (`@@F`: eegen-run/output.log,
 * *.out, *.log in the bundle directory), in that order (see below), in the same round trip.
 */
export function statusScript(h: HostEntry, workdir: string, ids: readonly string[], reg: SchedulerRegistry = DEFAULT_SCHEDULERS): string {
  const jobsQuery = hostScheduler(h, reg).statusQuery ?? '';
  // A recorded job id of any scheduler is read (a host's kind may have changed since).
  const arms = schedulers(reg).map((a) => `    ${a.jobIdPrefix}:*) ${a.statusCheck} ;;`).join('\n');
  // Per bundle only shell builtins run (no process per bundle); the files are then read by
  // ONE awk (through xargs), so 1,000 bundles cost about as much as 10.
  return `${PRELUDE}${enterWorkdir(workdir)}
ids_file=$(mktemp); files_file=$(mktemp)
trap 'rm -f "$ids_file" "$files_file"' EXIT
check() {
  local id=$1 jid log
  if [ ! -d "$id" ]; then printf '@@B\\t%s\\t0\\n' "$id"; return; fi
  printf '@@B\\t%s\\t1\\n' "$id"
  # Never submitted (no job id recorded): its state is known, nothing more to read. A
  # built, unsubmitted sweep costs two tests per bundle.
  [ -s "$id/${RUN_LAYOUT.jobid}" ] || return 0
  read -r jid < "$id/${RUN_LAYOUT.jobid}"
  emit J "$id" "$jid"
  case "$jid" in
${arms}
  esac
  for log in "$id/${RUN_LAYOUT.jobid}" "$id/${RUN_LAYOUT.events}" "$id/${RUN_LAYOUT.output}" "$id"/*.out "$id"/*.log; do
    [ -f "$log" ] && printf '%s\\0' "$log"
  done >> "$files_file"
}
while IFS= read -r id; do check "$id"; done <<'EEGEN_IDS'
${ids.join('\n')}
EEGEN_IDS
sort -u "$ids_file" -o "$ids_file"
# The scheduler first, the run records after: a run writes its end event before its job
# ends, so a job the scheduler reports finished always shows its end event below (asked
# the other way round, a job ending in between would look finished without one: "lost").
${jobsQuery}
[ -s "$files_file" ] && xargs -0 awk '
  BEGIN { for (i = 1; i < ARGC; i++) { f = ARGV[i]; if (f !~ /\\/${RUN_LAYOUT.dir}\\/(jobid|events\\.jsonl)$/) { id = f; sub(/\\/.*/, "", id); printf "@@F\\t%s\\t%s\\n", id, substr(f, length(id) + 2) } } }
  FNR == 1 { flush(); f = FILENAME; id = f; sub(/\\/.*/, "", id); n = 0
             kind = f ~ /\\/${RUN_LAYOUT.dir}\\/jobid$/ ? "S" : f ~ /\\/events\\.jsonl$/ ? "E" : "L" }
  kind == "S" && FNR != 2 { next }
  kind == "S" || kind == "E" { gsub(/\\t/, " "); printf "@@%s\\t%s\\t%s\\n", kind, id, $0; next }
  /^[ \\t]*# (eegen|cloudmesh) / { n++; ring[n % 5] = $0 }
  function flush(  i) { if (kind == "L") for (i = (n > 5 ? n - 4 : 1); i <= n; i++) { line = ring[i % 5]; gsub(/\\t/, " ", line); printf "@@L\\t%s\\t%s\\n", id, line }; n = 0 }
  END { flush() }' < "$files_file"
emit END ok
`;
}

export interface SubmitItem {
  id: string;
  script: string;
  /** Bundle hash recorded on the host, so later status can spot changed content. */
  hash: string;
  /** Move the earlier run aside (records and outputs, see `retire`) and submit again (--retry). */
  retry?: boolean;
  /** The bundle's content-addressed directory in the workdir (transport.remoteDirName), when not run in place. */
  dir?: string;
  /** The job id of the attempt being retried: only that one is moved aside, never a newer one. */
  retryOf?: string;
  /** Scheduler arguments of this bundle's submission (a dependency: SchedulerAdapter.dependsOn). */
  args?: readonly string[];
  /** The recorded job ids it waits for (recorded with its job id as `after`). */
  after?: readonly string[];
}

export interface ArraySubmit {
  /** Driver script and list file, relative to the workdir. */
  driver: string;
  list: string;
  /** Scheduler arguments, e.g. ['--array=0-99%4'] (slurm) — lsf carries them in the script. */
  args: string[];
  /**
   * Where the scheduler writes each task's log, relative to the submit directory, with its
   * placeholders (`.eegen/arrays/h/eegen-1-1-%A_%a.out`): recorded with each member
   * so that status can name the file (SchedulerAdapter.logName fills it in).
   */
  log?: string;
  members: { id: string; index: number; hash: string }[];
  /** The recorded job ids the array waits for (its `args` hold the dependency), recorded with each member. */
  after?: readonly string[];
}

/** What a record adds after its run number: `,"log":...,"after":[...]` (JSON members). */
function recordMore(more: { log?: string; after?: readonly string[] }): string {
  return `${more.log !== undefined ? `,"log":${JSON.stringify(more.log)}` : ''}${more.after?.length ? `,"after":${JSON.stringify(more.after)}` : ''}`;
}

/**
 * Checksums of every bundle about to be submitted, in ONE sha256sum (or shasum) run:
 * each bundle's SHA256SUMS is rewritten with its directory prefixed. A per-bundle
 * checker would cost a process per bundle, which dominates large submissions.
 */
function verifyFunction(ids: readonly string[]): string {
  return `if command -v sha256sum >/dev/null 2>&1; then sumcheck() { sha256sum -c --quiet "$@"; }
elif command -v shasum >/dev/null 2>&1; then sumcheck() { shasum -a 256 -c --quiet "$@"; }
else sumcheck() { echo "no sha256sum or shasum on this host"; return 1; }; fi
bad=.eegen/submit/bad.$$
all=.eegen/submit/sums.$$
: > "$bad"
cat > .eegen/submit/ids.$$ <<'EEGEN_IDS'
${ids.join('\n')}
EEGEN_IDS
while IFS= read -r id; do [ -f "$id/SHA256SUMS" ] && printf '%s/SHA256SUMS\\0' "$id" || printf '%s\\n' "$id" >> "$bad"; done < .eegen/submit/ids.$$ |
  xargs -0 awk 'FNR == 1 { d = FILENAME; sub(/\\/SHA256SUMS$/, "", d) } { print substr($0, 1, 64) "  " d "/" substr($0, 67) }' > "$all"
if ! out=$(sumcheck "$all" 2>&1); then
  printf '%s\\n' "$out" | sed -n 's|^\\([^/]*\\)/.*|\\1|p' | sort -u >> "$bad"
fi
badsum_detail() { printf '%s\\n' "$out" | grep -F "$1/" | head -n 3 | oneline; }
# One string of the bad ids, so checking a bundle costs no process.
badlist='|'; while IFS= read -r b; do badlist="$badlist$b|"; done < "$bad"
verify() { case "$badlist" in *"|$1|"*) emit BADSUM "$1" "$(badsum_detail "$1")"; return 1 ;; esac; }
# Every bundle's record directory, in one mkdir.
sed 's|$|/${RUN_LAYOUT.dir}|' .eegen/submit/ids.$$ | xargs mkdir -p 2>/dev/null
rm -f "$all" .eegen/submit/ids.$$
`;
}

/** Record on the host what was submitted: the host, not the client, is the source of truth. */
const RECORD = `now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
record() { # id jid hash [run] [more]: line 1 the job id, line 2 what was submitted (one write per bundle); more: ,"key":value...
  printf '%s\\n{"jobId":"%s","hash":"%s","ts":"%s","run":%s%s}\\n' "$2" "$2" "$3" "$now" "\${4:-1}" "\${5:-}" > "$1/${RUN_LAYOUT.jobid}"
}
already() { # id: succeeds if the bundle was submitted, with its job id in $prev (no subshell)
  prev=''
  [ -s "$1/${RUN_LAYOUT.jobid}" ] && read -r prev < "$1/${RUN_LAYOUT.jobid}"
  [ -n "$prev" ]
}
# claim ID [TAG]: take the bundle for this submit, atomically (mkdir), so that of two submits
# running at once exactly one submits it; the other skips it. TAG names the attempt a retry
# replaces, so two retries of one failed attempt cannot both go ahead. A claim whose
# submitter died before recording a job id is taken over, once (mv is atomic too).
claim() {
  local c="$1/${RUN_LAYOUT.dir}/.claim\${2:+-$2}" owner='' pid=''
  if mkdir "$c" 2>/dev/null; then printf '%s %s\\n' "$me" "$$" > "$c/owner"; return 0; fi
  read -r owner pid < "$c/owner" 2>/dev/null || return 1
  [ "$owner" = "$me" ] && [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null || return 1
  mv "$c" "$c.stale.$$" 2>/dev/null || return 1
  rm -rf "$c.stale.$$"
  mkdir "$c" 2>/dev/null && printf '%s %s\\n' "$me" "$$" > "$c/owner"
}
unclaim() { rm -rf "$1/${RUN_LAYOUT.dir}/.claim"; }
me=$(hostname)
# retire ID: keep the earlier run beside the new one, in ID/${RUN_LAYOUT.dir}.attempt-N: its
# records, and under files/ everything it wrote into the bundle directory (result.json, logs,
# checkpoints): whatever is not the bundle's own (SHA256SUMS lists those) or a run record.
# The new run then starts in the bundle as built. Sets $run to the new run's number (N+1).
retire() {
  local n=1 a f top; while [ -e "$1/${RUN_LAYOUT.dir}.attempt-$n" ]; do n=$((n + 1)); done
  a="$1/${RUN_LAYOUT.dir}.attempt-$n"
  mkdir -p "$a" "$1/${RUN_LAYOUT.dir}"
  # The records move; the claims stay where they are, so another submit or rerun running at
  # once still finds this one's claims and skips.
  for f in "$1/${RUN_LAYOUT.dir}"/* "$1/${RUN_LAYOUT.dir}"/.[!.]* "$1/${RUN_LAYOUT.dir}"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    case "\${f##*/}" in .claim*) continue ;; esac
    mv -- "$f" "$a/"
  done
  for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    top=\${f##*/}
    case "$top" in SHA256SUMS|manifest.json|${RUN_LAYOUT.dir}|${RUN_LAYOUT.dir}.attempt-*) continue ;; esac
    # A bundle file, or the top directory of one: stays.
    awk -v t="$top" '{ p = substr($0, 67); sub(/\\/.*/, "", p); if (p == t) { found = 1; exit } } END { exit !found }' "$1/SHA256SUMS" 2>/dev/null && continue
    mkdir -p "$a/files" && mv -- "$f" "$a/files/"
  done
  run=$((n + 1))
}
`;

/**
 * Submit: verify each bundle's checksums with standard tools, then hand it to the
 * scheduler (or start it detached), recording the job id on the host first thing.
 * Runs detached from the connection, so a dropped ssh session cannot stop it halfway;
 * a rerun finds the recorded ids and submits nothing twice.
 */
export function submitScript(h: HostEntry, workdir: string, items: readonly SubmitItem[], arrays: readonly ArraySubmit[] = [], view?: { dir: string; links: readonly { id: string; dir: string }[] }, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): string {
  const sched = hostScheduler(h, reg);
  const ids = [...items.map((i) => i.id), ...arrays.flatMap((a) => a.members.map((m) => m.id))];
  // Runs in the workdir the outer script entered (a relative workdir must not be entered twice).
  const body = `${PRELUDE}wd=\${1:-$(pwd)}
mkdir -p .eegen/submit
${verifyFunction(ids)}${RECORD}
submit() { # id script hash retry-of record-more [scheduler-arg...]
  local id=$1 script=$2 hash=$3 more=$5 jid run=1
  if already "$id"; then
    # Rerun only the run the client saw end; a newer one (another rerun) is kept.
    if [ -n "$4" ] && [ "$prev" = "$4" ] && claim "$id" "$(printf '%s' "$prev" | tr -c 'A-Za-z0-9_.-' _)"; then
      # Ours to rerun: the earlier run's claim goes, ours is taken before its records move.
      rm -rf "$id/${RUN_LAYOUT.dir}/.claim"
      claim "$id" || { emit SKIP "$id" "$prev"; return; }
      retire "$id"
    else emit SKIP "$id" "$prev"; return; fi
  else
    claim "$id" || { emit SKIP "$id" ''; return; }
    # Recorded by another submit between our look and our claim: theirs stands.
    if already "$id"; then emit SKIP "$id" "$prev"; return; fi
  fi
  verify "$id" || { unclaim "$id"; return; }
  # A script name starting with - must not be read as an option.
  case $script in -*) script=./$script ;; esac
  # What is left are the scheduler's arguments for this bundle: the submit line's "$@".
  shift 5
  ${sched.submitLine({ slots: h.slots ?? 1 })}
  record "$id" "$jid" "$hash" "$run" "$more"
  emit OK "$id" "$jid"
}
${items.map((i) => ['submit', i.id, i.script, i.hash, i.retry ? (i.retryOf ?? '-') : '', recordMore({ ...(i.after ? { after: i.after } : {}) }), ...(i.args ?? [])].map((w, n) => (n === 0 ? w : q(w))).join(' ')).join('\n')}
${arrays.map((a) => arrayBlock(h, sched.arrays, a)).join('\n')}
emit END ok
`;
  // Write the real script to the host and run it in its own session; this shell only waits.
  // With a view (see transport.remoteDirName), each <id> there is pointed at the content
  // being submitted before anything is decided, so everything below works on that content.
  const enterView = view
    ? `mkdir -p -- ${q(view.dir)} && cd -- ${q(view.dir)} || { emit FATAL "cannot enter the output directory's view"; exit 90; }
while IFS="$tab" read -r id dir; do ln -sfn "${VIEW_TO_WORKDIR}/$dir" "$id"; done <<'EEGEN_LINKS'
${view.links.map((l) => `${l.id}\t${l.dir}`).join('\n')}
EEGEN_LINKS
`
    : '';
  return `${PRELUDE}cd -- ${q(workdir)} || { emit FATAL "cannot enter workdir"; exit 90; }
wdabs=$(pwd)
${enterView}mkdir -p .eegen/submit
f=.eegen/submit/$(date -u +%Y%m%dT%H%M%S)-$$
cat > "$f.sh" <<'EEGEN_SUBMIT_SCRIPT'
${body}EEGEN_SUBMIT_SCRIPT
setsid bash "$f.sh" "$wdabs" > "$f.out" 2>&1 < /dev/null &
wait $!
cat "$f.out"
`;
}

function arrayBlock(h: HostEntry, arrays: ArraySupport | undefined, a: ArraySubmit): string {
  if (!arrays) throw new Error(`host ${h.name}: its scheduler has no job arrays`);
  const ids = a.members.map((m) => q(m.id)).join(' ');
  const submitCmd = `out=$(${arrays.submitCommand(a.driver, a.args)} 2>&1) && n=$(printf '%s' "$out" | ${arrays.jobIdFrom}) && [ -n "$n" ]`;
  const extra = recordMore({ ...(a.log !== undefined ? { log: a.log } : {}), ...(a.after ? { after: a.after } : {}) });
  const more = extra ? ` 1 ${q(extra)}` : '';
  const records = a.members.map((m) => `record ${q(m.id)} "${arrays.memberJobId(m.index)}" ${q(m.hash)}${more}; emit OK ${q(m.id)} "${arrays.memberJobId(m.index)}"`);
  return `# array ${a.driver}: ${a.members.length} bundles
(
  claimed=''
  for id in ${ids}; do
    # All members or none: a member another submit has makes this whole array skip.
    if ! claim "$id" || already "$id"; then
      for c in $claimed; do unclaim "$c"; done
      for m in ${ids}; do already "$m"; emit SKIP "$m" "$prev"; done
      exit 0
    fi
    claimed="$claimed $id"
  done
  for id in ${ids}; do verify "$id" || { for c in ${ids}; do unclaim "$c"; done; exit 0; }; done
  if ${submitCmd}; then
${records.map((r) => `    ${r}`).join('\n')}
  else
    for id in ${ids}; do emit FAIL "$id" "$(printf '%s' "$out" | oneline)"; done
  fi
)`;
}

/** Cancel: scancel / bkill the recorded jobs, or signal the local process group. */
export function cancelScript(h: HostEntry, workdir: string, ids: readonly string[], reg: SchedulerRegistry = DEFAULT_SCHEDULERS): string {
  const arms = schedulers(reg).map((a) => `    ${a.jobIdPrefix}:*) ${a.cancelLine(`"\${jid#${a.jobIdPrefix}:}"`)} ;;`).join('\n');
  return `${PRELUDE}cd -- ${q(workdir)} || { emit FATAL "cannot enter workdir"; exit 90; }
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cancel() {
  local id=$1 jid
  [ -s "$id/${RUN_LAYOUT.jobid}" ] || { emit NONE "$id"; return; }
  jid=$(head -n1 "$id/${RUN_LAYOUT.jobid}")
  # Say so in the run's record first: a run stopped by this signal is then cancelled, one
  # stopped by a signal nobody asked for (kill -9, the OOM killer) is killed.
  printf '{"ts":"%s","event":"cancel","by":"eegen"}\\n' "$now" >> "$id/${RUN_LAYOUT.events}" 2>/dev/null
  case "$jid" in
${arms}
  esac
  if [ $? -eq 0 ]; then emit OK "$id" "$jid"; else emit FAIL "$id" "$(printf '%s' "$out" | oneline)"; fi
}
${ids.map((id) => `cancel ${q(id)}`).join('\n')}
emit END ok
`;
}

export interface Answer {
  tag: string;
  fields: string[];
}

/** Parse the line protocol; everything else (noise from login scripts) is ignored. */
export function parseAnswers(stdout: string): Answer[] {
  const out: Answer[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('@@')) continue;
    const [tag, ...fields] = line.slice(2).split('\t');
    out.push({ tag: tag!, fields });
  }
  return out;
}
