/**
 * LSF adapter: command lines and parsers (pure). LSF cannot be installed on the test
 * machine; the parsers are tested against recorded-style output in fixtures/schedulers/lsf.
 *
 * Ids: eegen records `123` for a job and `123_4` for element 4 of array 123 (LSF
 * writes `123[4]`; both are accepted everywhere).
 *
 * State mapping: PEND, PSUSP, USUSP, SSUSP, WAIT, PROV -> queued; RUN, UNKWN, RUNKWN ->
 * running (UNKWN: mbatchd lost contact with the host; the job may still run, reason
 * says so); DONE (also PDONE/PERR post-exec states) -> done; EXIT -> failed, unless the
 * exit reason names a run/CPU/deadline limit (TERM_RUNLIMIT, TERM_CPULIMIT,
 * TERM_DEADLINE) -> timeout, a memory/swap limit (TERM_MEMLIMIT, TERM_SWAP) -> oom, or
 * a kill by owner/admin (TERM_OWNER, TERM_ADMIN, TERM_FORCE_*, "killed by owner") ->
 * cancelled; ZOMBI -> failed. Unknown words -> submitted.
 *
 * bjobs -a shows finished jobs for CLEAN_PERIOD (default 1 hour) only; older jobs
 * come back as "Job <N> is not found" and are listed in `unknown`.
 */
import { findSlurmJob, submitFailure, type SubmitResult } from './slurm.js';
import { lsfWords } from '../shell/directive.js';
import { quoteLiteral as q } from '../shell/quote.js';
import { directiveWords, lastOption, underDir } from './script.js';
import type { DirectiveValues } from '../types.js';
import { dependencyIds, type DirectiveWriter, type JobRequest, type JobState, type SchedulerAdapter, type SchedulerJob } from './types.js';

export type { SubmitResult } from './slurm.js';

/** `Job <123> is submitted to queue <normal>.` (also "to default queue"). Never throws. */
export function parseBsub(stdout: string, stderr = ''): SubmitResult {
  const out = typeof stdout === 'string' ? stdout : '';
  const m = /Job <(\d+)> is submitted to (?:default )?queue <([^>]*)>/.exec(out);
  if (m) return { ok: true, jobId: m[1]! };
  return submitFailure(`${typeof stderr === 'string' ? stderr : ''}\n${out}`);
}

/** `123`, `123_4`, `123[4]` -> base id `123`; undefined for anything else. */
export function lsfBaseId(id: string): string | undefined {
  const m = /^\s*(\d+)(?:_\d+|\[\d+\])?\s*$/.exec(String(id));
  return m ? String(Number(m[1])) : undefined;
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Field list of the query: exit_reason last, because it is free text. */
export const LSF_FIELDS = 'jobid stat exit_code jobindex exit_reason';

/**
 * bjobs for the given jobs (array elements through their array's id), 200 ids per call,
 * `-noheader` with `|` as delimiter; stderr joined so that "Job <N> is not found"
 * lines reach the parser. Exit status not meaningful (bjobs exits 255 when one id is
 * unknown). `true` when no id is valid.
 */
export function lsfQueryCommand(jobIds: readonly string[]): string {
  const ids = [...new Set(jobIds.map(lsfBaseId).filter((x): x is string => x !== undefined))].sort((a, b) => Number(a) - Number(b));
  if (ids.length === 0) return 'true';
  return chunks(ids, 200)
    .map((c) => `bjobs -a -noheader -o "${LSF_FIELDS} delimiter='|'" ${c.join(' ')} 2>&1`)
    .join('; ');
}

const LSF_STATES: Record<string, JobState> = {
  PEND: 'queued',
  PSUSP: 'queued',
  USUSP: 'queued',
  SSUSP: 'queued',
  WAIT: 'queued',
  PROV: 'queued',
  RUN: 'running',
  UNKWN: 'running',
  RUNKWN: 'running',
  DONE: 'done',
  PDONE: 'done',
  PERR: 'done',
  EXIT: 'failed',
  ZOMBI: 'failed',
};

/** An LSF status word plus exit reason as a JobState. */
export function lsfState(stat: string, exitReason = ''): JobState {
  const word = String(stat ?? '').trim().toUpperCase();
  const state = LSF_STATES[word] ?? 'submitted';
  if (state !== 'failed' || word === 'ZOMBI') return state;
  const r = String(exitReason ?? '');
  if (/TERM_RUNLIMIT|TERM_CPULIMIT|TERM_DEADLINE|run ?time limit|run limit|CPU time limit|deadline/i.test(r)) return 'timeout';
  if (/TERM_MEMLIMIT|TERM_SWAP|memory limit|swap limit/i.test(r)) return 'oom';
  if (/TERM_OWNER|TERM_ADMIN|TERM_FORCE_OWNER|TERM_FORCE_ADMIN|killed by (?:owner|admin|the owner|LSF admin)|bkill/i.test(r)) return 'cancelled';
  return 'failed';
}

const FINAL: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled', 'timeout', 'oom']);

const empty = (s: unknown): boolean => s === undefined || s === null || String(s).trim() === '' || String(s).trim() === '-';

function makeJob(jobid: string, stat: string, exitCode: string | undefined, jobindex: string | undefined, reason: string | undefined): SchedulerJob | undefined {
  const idm = /^(\d+)(?:\[(\d+)\])?$/.exec(String(jobid ?? '').trim());
  const rawState = String(stat ?? '').trim().toUpperCase();
  if (!idm || !/^[A-Z]+$/.test(rawState)) return undefined;
  const index = idm[2] ?? (!empty(jobindex) && /^\d+$/.test(String(jobindex).trim()) ? String(jobindex).trim() : '0');
  const jobId = index !== '0' ? `${idm[1]}_${Number(index)}` : idm[1]!;
  const r = empty(reason) ? '' : String(reason).trim();
  const state = lsfState(rawState, r);
  const job: SchedulerJob = { jobId, state, rawState };
  if (FINAL.has(state)) {
    if (!empty(exitCode) && /^\d+$/.test(String(exitCode).trim())) job.exitCode = Number(String(exitCode).trim());
    else if (state === 'done') job.exitCode = 0;
  }
  if (r) job.reason = r;
  else if (rawState === 'UNKWN' || rawState === 'RUNKWN') job.reason = 'contact with the execution host lost';
  return job;
}

/** Top-level JSON objects in `text` (bjobs -json output, possibly several concatenated). */
function jsonObjects(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = depth > 0;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          /* not JSON: skip */
        }
        start = -1;
      }
    }
  }
  return out;
}

export interface LsfQueryResult {
  jobs: SchedulerJob[];
  /** Ids bjobs reported as not found. */
  unknown: string[];
  /** Lines that are neither records nor "not found" (e.g. "LSF is down"). */
  warnings: string[];
}

/**
 * Parse bjobs output: the `-noheader -o "... delimiter='|'"` form of lsfQueryCommand
 * (fields jobid|stat|exit_code|jobindex|exit_reason), the `-json` form
 * (`{"COMMAND":"bjobs","JOBS":n,"RECORDS":[{"JOBID":..,"STAT":..,"EXIT_CODE":..,
 * "EXIT_REASON":..,"JOBINDEX":..}|{"JOBID":..,"ERROR":"Job <N> is not found"}]}`), and
 * "Job <N> is not found" lines. Never throws.
 */
export function parseLsfQuery(text: string): LsfQueryResult {
  const src = typeof text === 'string' ? text : '';
  const byId = new Map<string, SchedulerJob>();
  const unknown = new Set<string>();
  const warnings: string[] = [];
  const put = (j: SchedulerJob | undefined): void => {
    if (!j) return;
    byId.delete(j.jobId);
    byId.set(j.jobId, j);
  };
  const notFound = (s: string): boolean => {
    const m = /Job <(\d+)(?:\[(\d+)\])?> is not found/.exec(s);
    if (m) unknown.add(m[2] ? `${m[1]}_${m[2]}` : m[1]!);
    return m !== null;
  };

  if (/^\s*\{/.test(src)) {
    for (const doc of jsonObjects(src)) {
      const records = (doc as { RECORDS?: unknown })?.RECORDS;
      if (!Array.isArray(records)) continue;
      for (const rec of records) {
        if (!rec || typeof rec !== 'object') continue;
        const r = rec as Record<string, unknown>;
        const s = (k: string): string => (typeof r[k] === 'string' || typeof r[k] === 'number' ? String(r[k]) : '');
        if (s('ERROR')) {
          if (!notFound(s('ERROR'))) warnings.push(s('ERROR'));
          continue;
        }
        put(makeJob(s('JOBID'), s('STAT'), s('EXIT_CODE'), s('JOBINDEX'), s('EXIT_REASON')));
      }
    }
    return { jobs: [...byId.values()], unknown: [...unknown], warnings };
  }

  for (const raw of src.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (notFound(line)) continue;
    const f = line.split('|');
    if (f.length >= 4) {
      const job = makeJob(f[0]!, f[1]!, f[2], f[3], f.slice(4).join('|'));
      if (job) {
        put(job);
        continue;
      }
    }
    if (!/^No (?:unfinished )?job found/i.test(line)) warnings.push(line);
  }
  return { jobs: [...byId.values()], unknown: [...unknown], warnings };
}

/** The jobs in bjobs output (either form). Never throws. */
export function parseBjobs(text: string): SchedulerJob[] {
  return parseLsfQuery(text).jobs;
}

/**
 * `bkill` for eegen ids: `123` (a job or a whole array), `123_4` / `123[4]` (one element,
 * written quoted `'123[4]'` so no shell globs it); 200 per call, joined by `;`. Other
 * forms are dropped. Exit status not meaningful; query afterwards. `true` when none.
 */
export function lsfCancelCommand(jobIds: readonly string[]): string {
  const words: string[] = [];
  for (const id of jobIds) {
    const m = /^\s*(\d+)(?:_(\d+)|\[(\d+)\])?\s*$/.exec(String(id));
    if (!m) continue;
    const idx = m[2] ?? m[3];
    words.push(idx !== undefined ? `'${m[1]}[${Number(idx)}]'` : m[1]!);
  }
  const unique = [...new Set(words)];
  if (unique.length === 0) return 'true';
  return chunks(unique, 200)
    .map((c) => `bkill ${c.join(' ')}`)
    .join('; ');
}

// ---------------------------------------------------------------- the adapter

/** bsub's `-o` / `-e` placeholders (bsub(1)): `%J` the job id, `%I` the array index (0 for a plain job). */
function lsfLogName(pattern: string, key: string): string {
  const m = /^(\d+)(?:_(\d+))?$/.exec(key);
  if (!m) return pattern;
  return pattern.replace(/%J/g, m[1]!).replace(/%I/g, m[2] ?? '0');
}

/** A job's logs as bsub(1) places them: `-o`/`-oo` and `-e`/`-eo`, relative to `-cwd`; without `-o` LSF mails the output (no file). */
function lsfLogFiles(scriptText: string): string[] {
  const words = directiveWords(scriptText, '#BSUB', lsfWords);
  const dir = lastOption(words, ['-cwd'], false);
  const files = [lastOption(words, ['-o', '-oo'], false), lastOption(words, ['-e', '-eo'], false)];
  return [...new Set(files.filter((f): f is string => f !== undefined && f !== '' && f !== '/dev/null').map((f) => underDir(f, dir)))];
}

/**
 * The nodes and GPUs a job asks for (bsub(1)): `-nnodes` (default 1) and `-gpu "num=N..."`
 * per host (`-gpu -`: the site's default, one), times the nodes.
 */
function lsfRequests(scriptText: string): JobRequest {
  const words = directiveWords(scriptText, '#BSUB', lsfWords);
  const nodeSpec = lastOption(words, ['-nnodes'], false);
  const nodes = Math.max(1, nodeSpec !== undefined && /^\d+$/.test(nodeSpec) ? Number(nodeSpec) : 1);
  const gpu = lastOption(words, ['-gpu'], false);
  if (gpu === undefined) return { nodes, gpus: 0 };
  const num = /(?:^|:)num=(\d+)/.exec(gpu);
  return { nodes, gpus: nodes * (num ? Number(num[1]) : 1) };
}

/** Slurm time ("MM", "MM:SS", "HH:MM:SS", "D-HH[:MM[:SS]]", or minutes) as LSF's "H:MM". */
export function lsfTime(time: string | number): string {
  let minutes: number | undefined;
  if (typeof time === 'number') minutes = time;
  else {
    const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time.trim());
    if (m) {
      const [, d, a, b, c] = m;
      const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x));
      if (d !== undefined) minutes = n(d) * 1440 + n(a) * 60 + n(b) + (c !== undefined && n(c) > 0 ? 1 : 0);
      else if (c !== undefined) minutes = n(a) * 60 + n(b) + (n(c) > 0 ? 1 : 0);
      else if (b !== undefined) minutes = n(a) + (n(b) > 0 ? 1 : 0);
      else minutes = n(a);
    }
  }
  if (minutes === undefined || !Number.isFinite(minutes)) return String(time);
  const whole = Math.ceil(minutes);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** LSF memory: "32G" -> "32GB" (LSF's unit names), numbers as written. */
function lsfMem(mem: string | number): string {
  return typeof mem === 'string' ? mem.replace(/^(\d+(?:\.\d+)?)\s*([KMGTP])$/i, (_m, n: string, u: string) => `${n}${u.toUpperCase()}B`) : String(mem);
}

/**
 * In a fixed order: `#BSUB -J name`, -q queue, -P account, -U reservation, -R select[...],
 * -W H:MM, -nnodes, -n tasks, -R span[ptile=N], -R affinity[...], -M mem, -gpu num=N,
 * -o/-e (`qos` and `gres` are Slurm-only), then `extra` verbatim.
 */
function lsfBlock(d: DirectiveValues, { arg, raw, present }: DirectiveWriter): string[] {
  const lines: string[] = [];
  const add = (flag: string, v: unknown, what: string): void => {
    if (present(v)) lines.push(`#BSUB ${flag} ${arg(v, what, `#BSUB ${flag} `)}`);
  };
  add('-J', d.job_name, 'job_name');
  add('-q', d.partition, 'partition');
  add('-P', d.account, 'account');
  add('-U', d.reservation, 'reservation');
  if (present(d.constraint)) add('-R', `select[${String(d.constraint)}]`, 'constraint');
  if (present(d.time)) add('-W', lsfTime(d.time!), 'time');
  add('-nnodes', d.nodes, 'nodes');
  const perNode = d.ntasks_per_node;
  const tasks = present(d.ntasks) ? d.ntasks : present(perNode) && present(d.nodes) ? Number(d.nodes) * Number(perNode) : undefined;
  add('-n', tasks, 'ntasks');
  if (present(perNode)) add('-R', `span[ptile=${String(perNode)}]`, 'ntasks_per_node');
  if (present(d.cpus_per_task)) add('-R', `affinity[core(${String(d.cpus_per_task)})]`, 'cpus_per_task');
  if (present(d.mem)) add('-M', lsfMem(d.mem!), 'mem');
  const gpus = present(d.gpus_per_node) ? d.gpus_per_node : d.gpus;
  if (present(gpus)) add('-gpu', `num=${String(gpus)}`, 'gpus');
  add('-o', d.output, 'output');
  add('-e', d.error, 'error');
  for (const x of d.extra ?? []) lines.push(`#BSUB ${raw(x)}`);
  return lines;
}

const BSUB_JOB_ID = `sed -n 's/^Job <\\([0-9]*\\)>.*/\\1/p' | head -n1`;

export const lsf: SchedulerAdapter = {
  name: 'lsf',
  hostKinds: ['lsf'],
  jobIdPrefix: 'lsf',
  directives: {
    prefix: '#BSUB',
    words: 'strict',
    option: (token) => (token.startsWith('--') ? token.split('=')[0]! : token),
    perBundle: new Set(['-J', '-o', '-oo', '-e', '-eo', '-cwd']),
    block: lsfBlock,
  },
  templateExtensions: ['.lsf', '.bsub'],
  templateBlock: { namespace: 'lsf', field: 'bsub' },
  // "$@": the submit's arguments for this bundle (a dependency), each one word.
  submitLine: () => `out=$(cd -- "$id" && bsub "$@" < "$script" 2>&1) || { emit FAIL "$id" "$(printf '%s' "$out" | oneline)"; return; }
  n=$(printf '%s' "$out" | ${BSUB_JOB_ID})
  [ -n "$n" ] || { emit FAIL "$id" "$(printf '%s' "$out" | oneline)"; return; }
  jid="lsf:$n"`,
  // Array elements (`123[4]`) are found through their array's id; only a number goes on
  // (the query passes the ids unquoted: a tampered record cannot become an option).
  statusCheck: `jid=\${jid#*:}; jid=\${jid%%_*}; jid=\${jid%%[*}; case $jid in ''|*[!0-9]*) ;; *) printf '%s\\n' "$jid" >> "$ids_file" ;; esac`,
  statusQuery: `if [ -s "$ids_file" ] && command -v bjobs >/dev/null 2>&1; then
  emit SCHED lsf
  bjobs -a -noheader -o "${LSF_FIELDS} delimiter='|'" $(cat "$ids_file") 2>/dev/null | sed 's/^/@@Q\\t/'
fi`,
  parseStatus: (query) => parseBjobs(query),
  // An element without a report of its own takes its array's final one (as for Slurm).
  findJob: findSlurmJob,
  // Recorded as LSF writes it (`123[4]`, what bkill needs); parseBjobs says `123_4`.
  jobKey: (recorded) => recorded.replace(/\[(\d+)\]$/, '_$1'),
  // Only a job id reaches bkill (a tampered record cannot pass it an option).
  cancelLine: (idExpr) => `case ${idExpr} in ''|*[!]0-9[]*) out="not an LSF job id: ${idExpr}"; false ;; *) out=$(bkill ${idExpr} 2>&1) ;; esac`,
  // bsub(1) -w: `done(ID)` holds the job until that job (an array: every element) is DONE;
  // an element is `done(ID[I])`. -ti: a job whose condition can no longer be met is ended
  // at once (orphan job termination), not left pending.
  dependsOn: (jobIds) => ['-w', dependencyIds(jobIds).map((id) => `done(${id.replace(/_(\d+)$/, '[$1]')})`).join(' && '), '-ti'],
  arrays: {
    firstIndex: 1,
    spec: (n, throttle) => `${n === 1 ? '1' : `1-${n}`}${throttle !== undefined ? `%${throttle}` : ''}`,
    // The spec goes into the driver's `#BSUB -J "name[1-n]%K"`.
    submitArgs: () => [],
    submitCommand: (driver, args) => `${['bsub', ...args].map(q).join(' ')} < ${q(driver)}`,
    jobIdFrom: BSUB_JOB_ID,
    memberJobId: (index) => `lsf:$n[${index}]`,
    driverDirectives: (name, spec, log) => {
      const [range, k] = spec.split('%');
      return [`#BSUB -J "${name}[${range}]${k ? `%${k}` : ''}"`, `#BSUB -o ${log}`];
    },
    logPattern: '%J_%I',
    taskVar: 'LSB_JOBINDEX',
    submitDirVar: 'LS_SUBCWD',
  },
  logFiles: lsfLogFiles,
  requests: lsfRequests,
  logName: lsfLogName,
};
