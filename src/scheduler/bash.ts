/**
 * The `bash` scheduler: bundles run as background processes of a local or ssh host,
 * detached from the session, as many at once as the host has slots (the run wrapper waits
 * for one). Its adapter is at the end.
 *
 * Is the process of a bundle still alive? (Pure: a command line and its parser.) A zombie (exited, not yet reaped by its parent) counts
 * as dead. On Linux the command reads /proc/PID/stat (shell builtins only, so thousands
 * of pids take milliseconds, and another user's process is seen too; with /proc mounted
 * hidepid=1/2 another user's process would look dead, never the caller's own). Without
 * /proc: `kill -0`, falling back to `ps -p` when kill fails for lack of permission, and
 * `ps -o stat=` for the zombie check. POSIX sh (also fine from bash/zsh login shells over
 * ssh). PID reuse is not detected: compare with the run's own records
 * (eegen-run/events.jsonl) when it matters.
 */
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import { quoteLiteral } from '../shell/quote.js';
import type { SchedulerAdapter } from './types.js';

export interface LocalEntry {
  /** eegen's name for the process (bundle id); echoed back verbatim. */
  id: string;
  pid: number;
}

export interface LocalProcess {
  id: string;
  pid: number;
  alive: boolean;
}

const validPid = (pid: unknown): pid is number => typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 1;

/**
 * One shell command line printing `PID<TAB>alive|dead<TAB>ID` per entry. Entries with
 * an invalid pid (not an integer > 1) are left out (never passed to kill); ids with a
 * tab or newline are left out too (they could not be read back). `true` when none.
 */
export function localQueryCommand(entries: readonly LocalEntry[]): string {
  const words = entries
    .filter((e) => e && validPid(e.pid) && typeof e.id === 'string' && !/[\t\n\r]/.test(e.id))
    .map((e) => quoteLiteral(`${e.pid} ${e.id}`));
  if (words.length === 0) return 'true';
  return (
    `for e in ${words.join(' ')}; do p=\${e%% *}; i=\${e#* }; st=dead; ` +
    // Linux: /proc (builtins only, fast for thousands of pids; other users' processes too).
    `if [ -r /proc/self/stat ]; then ` +
    `if { read -r s < "/proc/$p/stat"; } 2>/dev/null; then s=\${s##*) }; case $s in Z*|X*|x*) ;; *) st=alive;; esac; fi; ` +
    // Elsewhere: kill -0 (fails with EPERM for another user's process: ps -p still sees it).
    `elif kill -0 "$p" 2>/dev/null || ps -p "$p" >/dev/null 2>&1; then ` +
    `case $(ps -o stat= -p "$p" 2>/dev/null) in Z*) ;; *) st=alive;; esac; fi; ` +
    `printf '%s\\t%s\\t%s\\n' "$p" "$st" "$i"; done`
  );
}

/** Lines of localQueryCommand's output; garbage lines are skipped. Never throws. */
export function parseLocalQuery(text: string): LocalProcess[] {
  const out: LocalProcess[] = [];
  for (const line of String(typeof text === 'string' ? text : '').split(/\r?\n/)) {
    const m = /^(\d+)\t(alive|dead)\t(.*)$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), alive: m[2] === 'alive', id: m[3]! });
  }
  return out;
}

// ---------------------------------------------------------------- the adapter

export const bash: SchedulerAdapter = {
  name: 'bash',
  hostKinds: ['local', 'ssh'],
  jobIdPrefix: 'local',
  // Detached from the ssh session (setsid, no stdin), run by bash whatever the login
  // shell; the wrapper waits for one of the host's slots, so the limit holds after we leave.
  // The redirections cover the whole background subshell: nothing may keep this
  // script's stdout open, or the caller would wait for the job to finish.
  submitLine: ({ slots }) => `(cd -- "$id" && EEGEN_SLOTS=${Number.isSafeInteger(slots) && slots > 0 ? slots : 1} EEGEN_SLOTS_DIR="$wd/.eegen/slots" exec setsid nohup bash ${RUN_LAYOUT.wrapper} "$script") > "$id/${RUN_LAYOUT.output}" 2>&1 < /dev/null &
  jid="local:$!"`,
  statusCheck: `if kill -0 "\${jid#local:}" 2>/dev/null; then emit P "$id" 1; else emit P "$id" 0; fi`,
  jobKey: (recorded) => recorded,
  // The process group first (the run and what it started), else the process. A recorded
  // pid that is not a number above 1 is refused: `kill -- -1` would signal every process.
  cancelLine: (idExpr) => `case ${idExpr} in ''|*[!0-9]*|0|1) out="not a process id: ${idExpr}"; false ;; *) out=$(kill -TERM -- -${idExpr} 2>&1 || kill -TERM ${idExpr} 2>&1) ;; esac`,
  logName: (pattern) => pattern,
};
