/**
 * Slurm adapter: shell command lines eegen runs on a Slurm host (locally or through
 * ssh) and parsers for what they print. Pure: nothing here runs a process.
 *
 * Status sources, in order (docs: scontrol(1), slurm.conf(5) JobCompType/MinJobAge):
 *   1. `scontrol -a -o show job` (every job the controller still holds, one line each;
 *      finished jobs stay for MinJobAge). Queried once for ALL jobs and filtered on the
 *      host, so unknown ids cannot make it fail (unlike `squeue -j`/`scontrol show job ID`)
 *      and thousands of ids cost one RPC.
 *   2. For ids the controller no longer knows: the jobcomp/filetxt log (`JobCompLoc`
 *      from `scontrol show config`), when JobCompType is jobcomp/filetxt and the file is
 *      readable; the last line per job wins (requeues).
 *   3. Still missing, and AccountingStorageType is not accounting_storage/none: `sacct`.
 *   Ids found nowhere are listed on an `#eegen unknown` line; the caller decides `lost`.
 *
 * State mapping (JobState): PENDING, CONFIGURING, REQUEUED, REQUEUE_FED, REQUEUE_HOLD,
 * RESV_DEL_HOLD, SPECIAL_EXIT, POWER_UP_NODE, SUSPENDED, STOPPED -> queued; RUNNING,
 * COMPLETING, RESIZING, SIGNALING, STAGE_OUT, UPDATE_DB -> running; COMPLETED -> done;
 * FAILED -> failed; CANCELLED, REVOKED -> cancelled; TIMEOUT, DEADLINE -> timeout;
 * OUT_OF_MEMORY -> oom. NODE_FAIL, BOOT_FAIL and PREEMPTED -> failed (with the state word
 * as reason when Slurm gives none): the scheduler recorded an end, so they are not
 * `lost`, which eegen keeps for jobs that no source knows any more. Unknown words ->
 * submitted (nothing definite). Exit code and signal are reported for final states only.
 */
import { sbatchWords } from '../shell/directive.js';
import { quoteLiteral as q } from '../shell/quote.js';
import { directiveWords, lastOption, underDir } from './script.js';
import type { DirectiveValues } from '../types.js';
import { countOf, dependencyIds, type DirectiveWriter, type JobRequest, type JobState, type SchedulerAdapter, type SchedulerJob } from './types.js';

// ---------------------------------------------------------------- submission

/** Why a submission failed, as far as the scheduler's message tells. */
export type SubmitFailureKind =
  | 'array-spec' // Slurm: Invalid job array specification (too large, bad syntax)
  | 'partition' // unknown / unusable partition or queue
  | 'account' // invalid account, qos or project
  | 'time-limit' // requested time limit invalid or above the partition's
  | 'resources' // requested node configuration / resources not available
  | 'unreachable' // the controller / master batch daemon did not answer
  | 'rejected' // any other error message from the scheduler
  | 'unparsable'; // neither a job id nor a recognisable error

export type SubmitResult =
  | { ok: true; jobId: string; cluster?: string }
  | { ok: false; kind: SubmitFailureKind; message: string };

const SUBMIT_KINDS: [RegExp, SubmitFailureKind][] = [
  [/invalid job array specification|array size|job array index/i, 'array-spec'],
  [/invalid partition|partition .*(not|invalid)|no partition specified|queue.*(does not exist|not exist|not used|closed)|No such queue/i, 'partition'],
  [/invalid account|invalid qos|account.*(invalid|not)|qos.*(invalid|not)|project/i, 'account'],
  [/time limit|run limit|RUNLIMIT|-W /i, 'time-limit'],
  [/node configuration is not available|requested .* not available|resources|Bad resource requirement|gres|memory/i, 'resources'],
  [/unable to contact|socket timed out|connection refused|not responding|LSF is down|Failed in an LSF library call|communication/i, 'unreachable'],
];

/** Classify a scheduler's error text (shared with lsf.ts). */
export function submitFailure(text: string): { ok: false; kind: SubmitFailureKind; message: string } {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const errLines = lines.filter((l) => /error|fail|invalid|not submitted|denied|unable|refused|not respond|down/i.test(l));
  const message = (errLines.length > 0 ? errLines : lines).join('\n') || '(no output)';
  if (errLines.length === 0) return { ok: false, kind: 'unparsable', message };
  for (const [re, kind] of SUBMIT_KINDS) if (re.test(message)) return { ok: false, kind, message };
  return { ok: false, kind: 'rejected', message };
}

/**
 * The job id from `sbatch --parsable` (`123` or `123;cluster`) or plain sbatch
 * (`Submitted batch job 123 [on cluster x]`). Pass stderr too when you have it: a
 * failed sbatch prints `sbatch: error: ...` there. Never throws.
 */
export function parseSbatch(stdout: string, stderr = ''): SubmitResult {
  const out = typeof stdout === 'string' ? stdout : '';
  for (const raw of out.split(/\r?\n/)) {
    const line = raw.trim();
    let m = /^(\d+)(?:;(\S+))?$/.exec(line);
    if (!m) m = /^Submitted batch job (\d+)(?: on cluster (\S+))?\s*$/.exec(line);
    if (m) return m[2] ? { ok: true, jobId: m[1]!, cluster: m[2] } : { ok: true, jobId: m[1]! };
  }
  return submitFailure(`${typeof stderr === 'string' ? stderr : ''}\n${out}`);
}

// ---------------------------------------------------------------- ids

/** Numeric base job id of an eegen job id (`123`, `123_4`, `123_[4-6]`, `123.batch`). */
export function baseJobId(id: string): string | undefined {
  const m = /^\s*(\d+)/.exec(String(id));
  return m ? String(Number(m[1])) : undefined;
}

/** `1,2,3,7,9,10` -> `1-3,7,9-10`: sorted unique base ids as ranges (short command lines). */
export function idRanges(ids: readonly string[]): string {
  const nums = [...new Set(ids.map(baseJobId).filter((x): x is string => x !== undefined).map(Number))]
    .filter((n) => Number.isSafeInteger(n))
    .sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    parts.push(j === i ? String(nums[i]) : `${nums[i]}-${nums[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

// ---------------------------------------------------------------- query

/*
 * One awk program (POSIX awk; tested with mawk) that runs scontrol, then jobcomp, then
 * sacct, and prints only what concerns the requested base ids. It is a single line with
 * no single quote, so `awk -v ids=... '<program>'` works from sh, bash, zsh and csh
 * login shells alike (ssh hands the command line to the login shell). Output lines:
 *   JobId=.. [ArrayJobId=.. ArrayTaskId=..] JobState=.. [Reason=..] ExitCode=..
 *                              scontrol -o / jobcomp records cut to these fields (a
 *                              full record is ~1 KB; thousands of them go over ssh)
 *   #sacct ID|STATE|EXIT|REASON sacct -P lines
 *   #eegen unknown ID ID ...   requested base ids that no source knows
 *   #eegen warning TEXT        a source that could not be read
 * Exit status 3 (message on stderr) when scontrol itself fails: then nothing is known,
 * and the caller must not conclude that jobs are gone.
 */
const QUERY_AWK = [
  'function fld(s, k,   m) { if (match(s, "(^| )" k "=[^ ]*")) { m = substr(s, RSTART, RLENGTH); sub(/^ /, "", m); return substr(m, length(k) + 2) } return "" }',
  'function base(s,   a) { a = fld(s, "ArrayJobId"); if (a == "") a = fld(s, "JobId"); sub(/[^0-9].*$/, "", a); return a }',
  'function compact(s,   o, i, n, ks, v) { n = split("JobId ArrayJobId ArrayTaskId JobState Reason ExitCode", ks, " "); o = ""; for (i = 1; i <= n; i++) { v = fld(s, ks[i]); if (v != "") o = o (o == "" ? "" : " ") ks[i] "=" v } return o }',
  'function cfgval(s) { sub(/^[^=]*=[ ]*/, "", s); sub(/[ ]+$/, "", s); return s }',
  'BEGIN {',
  'n = split(ids, r, ","); for (i = 1; i <= n; i++) { m = split(r[i], b, "-"); lo = b[1] + 0; hi = (m > 1 ? b[2] : b[1]) + 0; for (j = lo; j <= hi; j++) want[j] = 1 }',
  'cmd = "scontrol -a -o show job 2>&1; echo \\"#eegen-rc $?\\""; rc = -1; err = "";',
  'while ((cmd | getline line) > 0) { if (line ~ /^JobId=/) { k = base(line); if (k in want) { print compact(line); found[k] = 1 } } else if (line ~ /^#eegen-rc /) { rc = substr(line, 11) + 0 } else if (line != "" && line !~ /^No jobs in the system/) { err = err " " line } }',
  'close(cmd);',
  'if (rc != 0) { print "eegen: scontrol -o show job failed (status " rc "):" err | "cat 1>&2"; close("cat 1>&2"); exit 3 }',
  'nm = 0; for (k in want) if (!(k in found)) { miss[k] = 1; nm++ }',
  'if (nm == 0) exit 0;',
  'cmd = "scontrol show config 2>/dev/null"; ctype = ""; loc = ""; acct = "";',
  'while ((cmd | getline line) > 0) { if (line ~ /^JobCompType[ ]*=/) ctype = cfgval(line); else if (line ~ /^JobCompLoc[ ]*=/) loc = cfgval(line); else if (line ~ /^AccountingStorageType[ ]*=/) acct = cfgval(line) }',
  'close(cmd);',
  'if (ctype == "jobcomp/filetxt" && loc != "") { st = (getline line < loc); if (st < 0) print "#eegen warning jobcomp log " loc " is not readable";',
  'while (st > 0) { if (line ~ /^JobId=/) { k = base(line); if (k in miss) { print compact(line); got[k] = 1 } } st = (getline line < loc) } close(loc) }',
  'if (acct != "" && acct != "accounting_storage/none") { list = ""; c = 0;',
  'for (k in miss) if (!(k in got)) { list = list (c ? "," : "") k; c++; if (c >= 200) { sacct(list); list = ""; c = 0 } }',
  'if (c > 0) sacct(list) }',
  'u = ""; c = 0; for (k in miss) if (!(k in got)) { u = u " " k; c++; if (c >= 100) { print "#eegen unknown" u; u = ""; c = 0 } } if (c > 0) print "#eegen unknown" u',
  '}',
  'function sacct(list,   cmd, line, rc, k) { cmd = "sacct -n -P -X -o JobID,State,ExitCode,Reason -j " list " 2>&1; echo \\"#eegen-rc $?\\""; rc = -1;',
  'while ((cmd | getline line) > 0) { if (line ~ /^[0-9]+(_[^|]*)?[|]/) { print "#sacct " line; k = line; sub(/[^0-9].*$/, "", k); got[k] = 1 } else if (line ~ /^#eegen-rc /) rc = substr(line, 11) + 0; else if (line != "") print "#eegen warning sacct: " line }',
  'close(cmd); if (rc != 0) print "#eegen warning sacct exited with status " rc }',
].join(' ');

/**
 * ONE shell command line that prints the state of every given job (eegen ids `123`
 * or `123_4`; array tasks are found through their array's base id): see the header of
 * this file. Robust against unknown ids, and the id list is compressed to ranges, so
 * thousands of (mostly consecutive) ids stay far below the kernel's 128 KiB limit for
 * one argument. Needs only `awk` and the Slurm client commands on the host.
 */
export function slurmQueryCommand(jobIds: readonly string[]): string {
  const ranges = idRanges(jobIds);
  if (ranges === '') return 'true';
  return `awk -v ids=${ranges} '${QUERY_AWK}' </dev/null`;
}

// ---------------------------------------------------------------- parsing

const SLURM_STATES: Record<string, JobState> = {
  PENDING: 'queued',
  CONFIGURING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_FED: 'queued',
  REQUEUE_HOLD: 'queued',
  RESV_DEL_HOLD: 'queued',
  SPECIAL_EXIT: 'queued',
  POWER_UP_NODE: 'queued',
  SUSPENDED: 'queued',
  STOPPED: 'queued',
  RUNNING: 'running',
  COMPLETING: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  UPDATE_DB: 'running',
  COMPLETED: 'done',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  TIMEOUT: 'timeout',
  DEADLINE: 'timeout',
  OUT_OF_MEMORY: 'oom',
  NODE_FAIL: 'failed',
  BOOT_FAIL: 'failed',
  PREEMPTED: 'failed',
};

/** squeue's compact codes (`%t`). */
const SHORT_STATES: Record<string, string> = {
  PD: 'PENDING', CF: 'CONFIGURING', RQ: 'REQUEUED', RH: 'REQUEUE_HOLD', RF: 'REQUEUE_FED', RD: 'RESV_DEL_HOLD',
  SE: 'SPECIAL_EXIT', S: 'SUSPENDED', ST: 'STOPPED', R: 'RUNNING', CG: 'COMPLETING', RS: 'RESIZING', SI: 'SIGNALING',
  SO: 'STAGE_OUT', CD: 'COMPLETED', F: 'FAILED', CA: 'CANCELLED', RV: 'REVOKED', TO: 'TIMEOUT', DL: 'DEADLINE',
  OOM: 'OUT_OF_MEMORY', NF: 'NODE_FAIL', BF: 'BOOT_FAIL', PR: 'PREEMPTED',
};

const FINAL: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled', 'timeout', 'oom']);

/** A Slurm state word (`CANCELLED by 0`, `CA`, `COMPLETED+`...) as a JobState. */
export function slurmState(raw: string): JobState {
  let word = String(raw ?? '').trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
  word = SHORT_STATES[word] ?? word;
  if (word === 'COMPLETE') word = 'COMPLETED';
  return SLURM_STATES[word] ?? 'submitted';
}

/** `3:0` -> {exitCode: 3}; `0:15` -> {exitCode: 0, signal: 15}. */
export function parseExitCode(text: string | undefined): { exitCode?: number; signal?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(String(text ?? '').trim());
  if (!m) return {};
  const out: { exitCode?: number; signal?: number } = { exitCode: Number(m[1]) };
  if (m[2] !== undefined && Number(m[2]) !== 0) out.signal = Number(m[2]);
  return out;
}

/** Largest array-task expansion accepted from one record (Slurm allows 4,000,001). */
const MAX_EXPAND = 1_000_000;

/**
 * Task ids of an ArrayTaskId value: `4`, `5-9%2`, `0,4,6,8%2`, `1-99:2`. Undefined when
 * it is not such a list (or expands to more than MAX_EXPAND tasks).
 */
export function expandArrayTasks(spec: string): number[] | undefined {
  const body = String(spec ?? '').trim().replace(/%\d+$/, '');
  if (!/^\d+(?:-\d+(?::\d+)?)?(?:,\d+(?:-\d+(?::\d+)?)?)*$/.test(body)) return undefined;
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part)!;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    if (hi < lo || out.length + (hi - lo) / step + 1 > MAX_EXPAND) return undefined;
    for (let t = lo; t <= hi; t += step) out.push(t);
  }
  return out;
}

/** `Key=value` pairs of a one-line record; the first occurrence of a key wins. */
export function parseKeyValues(line: string): Record<string, string> {
  const rec: Record<string, string> = {};
  for (const m of String(line).matchAll(/(?:^|\s)([A-Za-z_][\w:/]*)=(\S*)/g)) if (!(m[1]! in rec)) rec[m[1]!] = m[2]!;
  return rec;
}

function makeJob(jobId: string, rawState: string, exit: string | undefined, reason: string | undefined): SchedulerJob {
  const state = slurmState(rawState);
  const job: SchedulerJob = { jobId, state, rawState: rawState.trim().split(/\s+/)[0] ?? rawState };
  if (FINAL.has(state)) Object.assign(job, parseExitCode(exit));
  const r = (reason ?? '').trim();
  if (r && r !== 'None' && r !== '(null)') job.reason = r;
  else if (/^(NODE_FAIL|BOOT_FAIL|PREEMPTED)$/.test(job.rawState)) job.reason = job.rawState;
  return job;
}

/** Jobs of one scontrol -o / jobcomp record (several for a pending array record). */
function recordJobs(rec: Record<string, string>): SchedulerJob[] {
  const jobIdRaw = rec.JobId;
  const rawState = rec.JobState;
  if (!jobIdRaw || !/^\d+/.test(jobIdRaw) || !rawState) return [];
  const jobId = jobIdRaw.replace(/[^0-9].*$/, '');
  const arrayJob = rec.ArrayJobId && /^\d+$/.test(rec.ArrayJobId) ? rec.ArrayJobId : undefined;
  const taskSpec = rec.ArrayTaskId;
  if (arrayJob && taskSpec !== undefined && taskSpec !== '') {
    const tasks = expandArrayTasks(taskSpec);
    if (tasks) return tasks.map((t) => makeJob(`${arrayJob}_${t}`, rawState, rec.ExitCode, rec.Reason));
    return [makeJob(`${arrayJob}_[${taskSpec}]`, rawState, rec.ExitCode, rec.Reason)];
  }
  return [makeJob(jobId, rawState, rec.ExitCode, rec.Reason)];
}

/** Jobs of one `sacct -P` line `JobID|State|ExitCode|Reason` (`120_4`, `120_[5-9%2]`, `121`). */
function sacctJobs(line: string): SchedulerJob[] {
  const [id = '', state = '', exit, reason] = line.split('|');
  if (!state) return [];
  let m = /^(\d+)_(\d+)$/.exec(id);
  if (m) return [makeJob(`${m[1]}_${m[2]}`, state, exit, reason)];
  m = /^(\d+)_\[(.+)\]$/.exec(id);
  if (m) {
    const tasks = expandArrayTasks(m[2]!);
    if (tasks) return tasks.map((t) => makeJob(`${m![1]}_${t}`, state, exit, reason));
    return [makeJob(id, state, exit, reason)];
  }
  m = /^(\d+)$/.exec(id);
  return m ? [makeJob(m[1]!, state, exit, reason)] : [];
}

export interface SlurmQueryResult {
  /** One entry per job / array task; for the same id the later line wins. */
  jobs: SchedulerJob[];
  /** Base ids the command looked for and found in no source (`#eegen unknown`). */
  unknown: string[];
  /** Sources that could not be read (`#eegen warning`), and unparsable non-empty lines. */
  warnings: string[];
}

/** Parse everything slurmQueryCommand prints (also plain `scontrol -o show job`, jobcomp and `sacct -P` text). Never throws. */
export function parseSlurmQuery(text: string): SlurmQueryResult {
  const byId = new Map<string, SchedulerJob>();
  const unknown: string[] = [];
  const warnings: string[] = [];
  const put = (jobs: SchedulerJob[]): void => {
    for (const j of jobs) {
      byId.delete(j.jobId); // keep Map order = order of the last report
      byId.set(j.jobId, j);
    }
  };
  for (const raw of String(typeof text === 'string' ? text : '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    try {
      if (line.startsWith('#eegen unknown')) unknown.push(...line.slice(14).trim().split(/\s+/).filter((x) => /^\d+$/.test(x)));
      else if (line.startsWith('#eegen warning')) warnings.push(line.slice(14).trim());
      else if (line.startsWith('#sacct ')) put(sacctJobs(line.slice(7).trim()));
      else if (/(^|\s)JobId=\d/.test(line)) put(recordJobs(parseKeyValues(line)));
      else if (/^\d+(?:_[\d[\]%,:-]+)?\|[A-Z]/.test(line)) put(sacctJobs(line));
      else if (!/^No jobs in the system/.test(line)) warnings.push(line);
    } catch {
      warnings.push(line);
    }
  }
  return { jobs: [...byId.values()], unknown: unknown.sort((a, b) => Number(a) - Number(b)), warnings };
}

/** The jobs in slurmQueryCommand / `scontrol -o show job` / jobcomp / sacct output. Never throws. */
export function parseSlurmJobs(text: string): SchedulerJob[] {
  return parseSlurmQuery(text).jobs;
}

/**
 * Lines of a jobcomp/filetxt log (`JobId=.. UserId=.. Name=.. JobState=TIMEOUT ..
 * ArrayJobId=.. ArrayTaskId=.. ExitCode=0:15`). A job with several lines (requeued)
 * gets its last one. NOTE: when pending tasks of an array are cancelled, Slurm writes
 * ONE line `JobId=<array id>` without ArrayJobId/ArrayTaskId for all of them; it
 * appears as job `<array id>`; findSlurmJob falls back to it.
 */
export function parseJobcomp(text: string): SchedulerJob[] {
  return parseSlurmQuery(text).jobs;
}

/**
 * The report for eegen id `id`: the exact entry, or for an array task `A_i` without
 * one, a final entry for the array's base id `A` (the cancelled remainder of an array
 * that jobcomp/sacct report under the base id).
 */
export function findSlurmJob(jobs: readonly SchedulerJob[], id: string): SchedulerJob | undefined {
  const exact = jobs.find((j) => j.jobId === id);
  if (exact) return exact;
  const m = /^(\d+)_\d+$/.exec(id);
  if (!m) return undefined;
  const b = jobs.find((j) => j.jobId === m[1]);
  return b && FINAL.has(b.state) ? { ...b, jobId: id } : undefined;
}

// ---------------------------------------------------------------- config, cancel

/** Prints the controller configuration (parse with parseMaxArraySize). */
export function maxArraySizeCommand(): string {
  return 'scontrol show config';
}

/** `MaxArraySize = 101` from `scontrol show config`; undefined when absent or garbled. */
export function parseMaxArraySize(text: string): number | undefined {
  const m = /^\s*MaxArraySize\s*=\s*(\d+)\s*$/m.exec(String(typeof text === 'string' ? text : ''));
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * `scancel` for eegen ids (`123` cancels a job or a whole array, `123_4` one task),
 * 500 ids per scancel call joined by `;`. Ids of any other form are dropped (never
 * reach the shell). Its exit status is not meaningful: scancel complains about jobs
 * that already ended; query afterwards. `true` when no id is valid.
 */
export function slurmCancelCommand(jobIds: readonly string[]): string {
  const ids = [...new Set(jobIds.map((s) => String(s).trim()).filter((s) => /^\d+(?:_\d+)?$/.test(s)))];
  if (ids.length === 0) return 'true';
  return chunks(ids, 500)
    .map((c) => `scancel ${c.join(' ')}`)
    .join('; ');
}

// ---------------------------------------------------------------- the adapter

/** The option a directive word sets: `--partition=a` -> `--partition`, `-pa` -> `-p`. */
function slurmOption(token: string): string {
  if (token.startsWith('--')) return token.split('=')[0]!;
  return /^-[A-Za-z]/.test(token) ? token.slice(0, 2) : token;
}

/**
 * sbatch's filename pattern (sbatch(1) "filename pattern") for one job: `%A` the array's
 * job id (a plain job's own id), `%a` the task id, `%j` a plain job's id, `%%` a `%`;
 * an optional width pads with zeros (`%4a`). Others (`%x`, `%u`, `%N`) stay.
 */
function slurmLogName(pattern: string, key: string): string {
  const m = /^(\d+)(?:_(\d+))?$/.exec(key);
  if (!m) return pattern;
  const [, job, task] = m;
  return pattern.replace(/%(\d*)([Aaj%])/g, (all, width: string, c: string) => {
    const v = c === '%' ? '%' : c === 'A' ? job : c === 'a' ? task : task === undefined ? job : undefined;
    return v === undefined ? all : c === '%' ? v : v.padStart(Number(width || 0), '0');
  });
}

/**
 * A job's logs as sbatch(1) places them: `--output` (default `slurm-%j.out`) and, when
 * given, `--error`, relative to `--chdir` when set (the later directive wins, as in sbatch).
 */
function slurmLogFiles(scriptText: string): string[] {
  const words = directiveWords(scriptText, '#SBATCH', sbatchWords);
  const dir = lastOption(words, ['--chdir', '-D']);
  const files = [lastOption(words, ['--output', '-o']) ?? 'slurm-%j.out', lastOption(words, ['--error', '-e'])];
  return [...new Set(files.filter((f): f is string => f !== undefined && f !== '' && f !== '/dev/null').map((f) => underDir(f, dir)))];
}

/**
 * The nodes and GPUs a job asks for (sbatch(1)): `--nodes`/`-N` (the minimum of a range;
 * default 1); GPUs from `--gpus`/`-G` (the job's total), else `--gpus-per-node` times the
 * nodes, else the `gpu` entries of `--gres` (per node; `gpu` alone is one) times the nodes.
 */
function slurmRequests(scriptText: string): JobRequest {
  const words = directiveWords(scriptText, '#SBATCH', sbatchWords);
  const nodeSpec = lastOption(words, ['--nodes', '-N']);
  const nodes = Math.max(1, nodeSpec !== undefined && /^\d+/.test(nodeSpec) ? Number(/^\d+/.exec(nodeSpec)![0]) : 1);
  const total = lastOption(words, ['--gpus', '-G']);
  if (total !== undefined) return { nodes, gpus: countOf(total, 0) };
  const perNode = lastOption(words, ['--gpus-per-node']);
  if (perNode !== undefined) return { nodes, gpus: nodes * countOf(perNode, 0) };
  const gres = lastOption(words, ['--gres']);
  const gpus = (gres ?? '')
    .split(',')
    .filter((g) => /^gpu(:|$)/.test(g.trim()))
    .reduce((n, g) => n + countOf(g.trim().replace(/^gpu:?/, ''), 1), 0);
  return { nodes, gpus: nodes * gpus };
}

/**
 * Each key's #SBATCH option, in eegen's order for keys no site entry orders
 * (directive-table.ts mergeDirectives puts a site entry's own keys first, in its order).
 */
export const SLURM_OPTIONS: readonly (readonly [keyof DirectiveValues, string])[] = [
  ['job_name', 'job-name'],
  ['partition', 'partition'],
  ['account', 'account'],
  ['qos', 'qos'],
  ['reservation', 'reservation'],
  ['constraint', 'constraint'],
  ['time', 'time'],
  ['nodes', 'nodes'],
  ['ntasks', 'ntasks'],
  ['ntasks_per_node', 'ntasks-per-node'],
  ['cpus_per_task', 'cpus-per-task'],
  ['mem', 'mem'],
  ['gres', 'gres'],
  ['gpus', 'gpus'],
  ['gpus_per_node', 'gpus-per-node'],
  ['output', 'output'],
  ['error', 'error'],
];
const SLURM_FLAG: ReadonlyMap<string, string> = new Map(SLURM_OPTIONS);

/** `#SBATCH --flag=value`, one line per set key, in the order of `d`'s keys (cloudmesh-rivanna writes a table entry's keys in their order), then `extra` verbatim. */
function slurmBlock(d: DirectiveValues, { arg, raw, present }: DirectiveWriter): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(d) as (keyof DirectiveValues)[]) {
    const flag = SLURM_FLAG.get(key);
    if (flag !== undefined && present(d[key])) lines.push(`#SBATCH --${flag}=${arg(d[key], key, `#SBATCH --${flag}=`)}`);
  }
  for (const x of d.extra ?? []) lines.push(`#SBATCH ${raw(x)}`);
  return lines;
}

export const slurm: SchedulerAdapter = {
  name: 'slurm',
  hostKinds: ['slurm'],
  jobIdPrefix: 'slurm',
  directives: {
    prefix: '#SBATCH',
    words: 'slurm',
    option: slurmOption,
    perBundle: new Set(['--job-name', '-J', '--output', '-o', '--error', '-e', '--array', '-a', '--chdir', '-D']),
    block: slurmBlock,
  },
  templateExtensions: ['.slurm', '.sbatch'],
  templateBlock: { namespace: 'slurm', field: 'sbatch' },
  // "$@": the submit's arguments for this bundle (a dependency), each one word.
  submitLine: () => `out=$(cd -- "$id" && sbatch --parsable "$@" "$script" 2>&1) || { emit FAIL "$id" "$(printf '%s' "$out" | oneline)"; return; }
  jid="slurm:$(printf '%s' "$out" | tail -n1 | cut -d';' -f1)"`,
  // Array tasks are found through their array's base id (`123_4` -> 123); only a number
  // goes on (a tampered record cannot become a pattern or an option of the query).
  statusCheck: `jid=\${jid#*:}; jid=\${jid%%_*}; jid=\${jid%%[*}; case $jid in ''|*[!0-9]*) ;; *) printf '%s\\n' "$jid" >> "$ids_file" ;; esac`,
  statusQuery: `if [ -s "$ids_file" ] && command -v scontrol >/dev/null 2>&1; then
  emit SCHED slurm
  scontrol -o show job 2>/dev/null | grep -E "^JobId=($(paste -sd'|' "$ids_file")) |ArrayJobId=($(paste -sd'|' "$ids_file")) " | sed 's/^/@@Q\\t/'
  comp=$(scontrol show config 2>/dev/null | sed -n 's/^JobCompLoc *= *//p')
  if [ -n "$comp" ] && [ -r "$comp" ]; then
    grep -E "JobId=($(paste -sd'|' "$ids_file")) " "$comp" | sed 's/^/@@C\\t/'
  fi
fi`,
  parseStatus: (query, comp) => parseSlurmJobs(`${comp}\n${query}`),
  findJob: findSlurmJob,
  jobKey: (recorded) => recorded,
  // Only a job id reaches scancel (a tampered record cannot pass it an option).
  cancelLine: (idExpr) => `case ${idExpr} in ''|*[!0-9_]*) out="not a Slurm job id: ${idExpr}"; false ;; *) out=$(scancel ${idExpr} 2>&1) ;; esac`,
  // afterok (sbatch(1)): start once every listed job (an array: all its tasks) completed
  // with exit code 0; --kill-on-invalid-dep=yes (Slurm 22.05): when one did not, the job is
  // cancelled (reason DependencyNeverSatisfied) instead of pending for ever.
  dependsOn: (jobIds) => [`--dependency=afterok:${dependencyIds(jobIds).join(':')}`, '--kill-on-invalid-dep=yes'],
  arrays: {
    firstIndex: 0,
    spec: (n, throttle) => `${n === 1 ? '0' : `0-${n - 1}`}${throttle !== undefined ? `%${throttle}` : ''}`,
    submitArgs: (spec) => [`--array=${spec}`],
    // A driver path starting with `-` would be read as an option: `./` keeps it a path.
    submitCommand: (driver, args) => ['sbatch', '--parsable', ...args, driver.startsWith('-') ? `./${driver}` : driver].map(q).join(' '),
    jobIdFrom: `tail -n1 | cut -d';' -f1`,
    memberJobId: (index) => `slurm:\${n}_${index}`,
    driverDirectives: (name, spec, log) => [`#SBATCH --job-name=${name}`, `#SBATCH --array=${spec}`, `#SBATCH --output=${log}`],
    logPattern: '%A_%a',
    taskVar: 'SLURM_ARRAY_TASK_ID',
    submitDirVar: 'SLURM_SUBMIT_DIR',
  },
  maxArraySize: { command: maxArraySizeCommand(), parse: parseMaxArraySize },
  logFiles: slurmLogFiles,
  requests: slurmRequests,
  logName: slurmLogName,
};
