/**
 * `eegen status`: one round trip per host, no daemon anywhere. The host says what it
 * holds (submit records, run events, status lines) and what its scheduler knows; the
 * client combines them into one state per bundle and keeps nothing it cannot rebuild.
 */
import { parseEvents, parseProgressLines, summarizeRun } from '../results/index.js';
import { DISPATCH_CODES, hostError, type HostError } from './codes.js';
import type { IndexedBundle } from './outdir.js';
import type { HostEntry } from '../inventory/hosts.js';
import type { Runner } from './process.js';
import { parseAnswers, statusScript } from './remote.js';
import { findJob, parseSchedulerAnswer } from './schedulers.js';
import { execCommand, runsInPlace, workdirOf } from './transport.js';
import { isRemote } from '../inventory/hosts.js';
import { DEFAULT_SCHEDULERS, schedulerOfJob, type SchedulerRegistry } from '../scheduler/registry.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BundleState, SchedulerJob } from './types.js';

/** What one host holds for one bundle. */
export interface RemoteBundle {
  present: boolean;
  jobId?: string;
  pidAlive?: boolean;
  /** What submit recorded; `log`: an array task's scheduler log, relative to the submit directory, with the scheduler's placeholders. */
  submitted?: { jobId?: string; hash?: string; ts?: string; run?: number; log?: string; after?: unknown };
  events: string[];
  logLines: string[];
  /** Log files in the bundle directory on the host (relative to it). */
  logFiles?: string[];
}

export interface HostAnswer {
  host: HostEntry;
  ok: boolean;
  error?: string;
  hostname?: string;
  bundles: Map<string, RemoteBundle>;
  jobs: SchedulerJob[];
}

export interface BundleStatus {
  id: string;
  state: BundleState;
  host?: string;
  jobId?: string;
  exitCode?: number | null;
  signal?: string | null;
  progress?: number;
  msg?: string;
  started?: string;
  ended?: string;
  /** The scheduler's own word (OUT_OF_MEMORY, PENDING, ...), when it knows the job. */
  schedulerState?: string;
  reason?: string;
  submittedAt?: string;
  /** What happened, in words (the same on every kind of host): `killed by SIGKILL; ...`. */
  why?: string;
  /**
   * sha256 of SHA256SUMS of the content this run is of: as the run recorded it when it
   * started (eegen-run.sh), else as submit recorded it. Compared with the local bundle's hash.
   */
  runHash?: string;
  /** The run on the host is of other content than the local bundle (rebuilt since, or another build's run under this id). */
  changedSinceSubmit?: boolean;
  /** Start events in this run record when more than one: the bundle ran more than once. */
  runs?: number;
  /** Which run of this bundle on its host this is: 1, then 2 after `submit --retry`, ... */
  run?: number;
  /** The recorded job ids this run was submitted to wait for (`submit({after})`: a scheduler dependency). */
  after?: string[];
  /**
   * For a run that ended badly (failed, killed, timeout, oom, lost): its log files, where
   * they are on the host (`onHost`, `host:path` for a remote host) and where collect puts
   * them (`local`, in OUT). Only when status was given the output directory. `file` is
   * relative to the bundle directory, except an array task's scheduler log (`../` then
   * its path from the directory the array was submitted from, e.g.
   * `../.eegen/arrays/h/eegen-1-1-123_4.out`); collect does not copy that one, so its
   * `local` is itself when the host runs bundles in OUT, else the same as `onHost`.
   */
  logs?: { file: string; onHost: string; local: string }[];
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}

/** Ask one host about the given bundles (one round trip). Throws only an AbortError. */
export async function askHost(runner: Runner, h: HostEntry, outDir: string, ids: readonly string[], signal?: AbortSignal, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): Promise<HostAnswer> {
  const answer: HostAnswer = { host: h, ok: false, bundles: new Map(), jobs: [] };
  // Only an abort rejects (AbortError); every other failure is in the answer.
  const res = await runner.run(execCommand(h, statusScript(h, workdirOf(h, outDir), ids, reg), `status of ${ids.length} bundles on ${h.name}`), { timeoutMs: 120_000, ...(signal ? { signal } : {}) });
  const answers = parseAnswers(res.stdout);
  const fatal = answers.find((a) => a.tag === 'FATAL');
  if (res.code !== 0 || fatal || !answers.some((a) => a.tag === 'END')) {
    answer.error = fatal?.fields.join(' ') ?? (firstLine(res.stderr.trim()) || `exit code ${res.code}`);
    return answer;
  }
  const schedLines: { kind: string; query: string[]; comp: string[] } = { kind: '', query: [], comp: [] };
  for (const a of answers) {
    const [id = '', ...rest] = a.fields;
    const b = a.tag.length === 1 && a.tag !== 'Q' && a.tag !== 'C' ? answer.bundles.get(id) : undefined;
    switch (a.tag) {
      case 'HOST':
        answer.hostname = id;
        break;
      case 'B':
        answer.bundles.set(id, { present: rest[0] === '1', events: [], logLines: [] });
        break;
      case 'J':
        if (b) b.jobId = rest.join('\t');
        break;
      case 'P':
        if (b) b.pidAlive = rest[0] === '1';
        break;
      case 'S':
        if (b) {
          try {
            b.submitted = JSON.parse(rest.join('\t')) as RemoteBundle['submitted'];
          } catch {
            /* an unreadable record is as good as none */
          }
        }
        break;
      case 'E':
        b?.events.push(rest.join('\t'));
        break;
      case 'L':
        b?.logLines.push(rest.join('\t'));
        break;
      case 'F':
        if (b) (b.logFiles ??= []).push(rest.join('\t'));
        break;
      case 'SCHED':
        schedLines.kind = id;
        break;
      case 'Q':
        schedLines.query.push(a.fields.join('\t'));
        break;
      case 'C':
        schedLines.comp.push(a.fields.join('\t'));
        break;
    }
  }
  answer.jobs = parseSchedulerAnswer(schedLines.kind, schedLines.query.join('\n'), schedLines.comp.join('\n'), reg);
  answer.ok = true;
  return answer;
}

/** A failed answer as a HostError (EG6010). */
export function answerError(a: HostAnswer): HostError {
  return hostError(DISPATCH_CODES.unreachable, a.host.name, a.error ?? 'unreachable');
}

/** What happened, in the same words on every kind of host (local, ssh, Slurm, LSF). */
export function whyText(st: BundleStatus, cancelRequested: boolean): string | undefined {
  switch (st.state) {
    case 'failed':
      return st.exitCode === undefined || st.exitCode === null ? 'failed' : `exited with code ${st.exitCode}`;
    case 'killed':
      return st.signal === 'KILL'
        ? 'killed by SIGKILL; nobody cancelled it (out of memory? kill -9?)'
        : `killed by SIG${st.signal ?? '?'}; nobody cancelled it`;
    case 'cancelled':
      return cancelRequested ? 'cancelled by eegen cancel' : `cancelled by the scheduler${st.schedulerState ? ` (${st.schedulerState})` : ''}`;
    case 'timeout':
      return `stopped at its time limit${st.schedulerState ? ` (${st.schedulerState})` : ''}`;
    case 'oom':
      return `out of memory${st.schedulerState ? ` (${st.schedulerState})` : ''}`;
    case 'lost':
      return 'no end recorded, and the scheduler or process no longer exists';
    default:
      return undefined;
  }
}

/**
 * One bundle's state on one host, from the run's own record and the scheduler's view.
 * The run's `end` event is the truth about how the command ended (exit code, signal);
 * the scheduler adds why it was stopped (cancelled, timeout, oom) and covers runs that
 * never got to write anything (pending, killed before start, node lost). A run stopped
 * by a signal is `cancelled` only when cancellation was asked for (a `cancel` event that
 * `eegen cancel` writes first, or the scheduler saying CANCELLED); otherwise it is
 * `killed`, with the signal: the same on local, ssh, Slurm and LSF hosts.
 */
export function deriveStatus(id: string, b: RemoteBundle, host: HostEntry, jobs: readonly SchedulerJob[], reg: SchedulerRegistry = DEFAULT_SCHEDULERS): BundleStatus {
  const st: BundleStatus = { id, state: 'synced', host: host.name };
  if (!b.jobId) return st;
  st.jobId = b.jobId;
  if (b.submitted?.ts) st.submittedAt = b.submitted.ts;
  if (typeof b.submitted?.run === 'number' && Number.isInteger(b.submitted.run) && b.submitted.run > 0) st.run = b.submitted.run;
  const after = b.submitted?.after;
  if (Array.isArray(after) && after.length && after.every((x) => typeof x === 'string')) st.after = after as string[];
  const summary = summarizeRun(parseEvents(b.events.join('\n')).value, parseProgressLines(b.logLines.join('\n')).value);
  const starts = parseEvents(b.events.join('\n')).value.filter((e) => e.event === 'start').length;
  if (starts > 1) st.runs = starts;
  if (summary.progress !== undefined) st.progress = summary.progress;
  if (summary.lastMsg !== undefined) st.msg = summary.lastMsg;
  if (summary.started) st.started = summary.started;
  if (summary.ended) st.ended = summary.ended;
  const runHash = summary.content ?? b.submitted?.hash;
  if (runHash) st.runHash = runHash;
  const cancelRequested = summary.cancelRequested !== undefined;
  const settle = (): BundleStatus => {
    const why = whyText(st, cancelRequested);
    if (why) st.why = why;
    return st;
  };
  // The recorded id as the scheduler's adapter writes it (`lsf:123[4]` -> `123_4`).
  const sched = findJob(jobs, b.jobId, reg);
  if (sched) {
    st.schedulerState = sched.rawState;
    if (sched.reason) st.reason = sched.reason;
  }
  if (summary.ended) {
    st.exitCode = summary.exitCode ?? null;
    st.signal = summary.signal ?? null;
    if (sched && (sched.state === 'cancelled' || sched.state === 'timeout' || sched.state === 'oom')) st.state = sched.state;
    else if (summary.exitCode === 0 && !summary.signal) st.state = 'done';
    // The run ended badly but the scheduler has not settled (Slurm COMPLETING while it kills
    // a job at its time limit): why it stopped (timeout, cancel, oom) is not known yet.
    else if (sched && (sched.state === 'running' || sched.state === 'queued')) st.state = 'running';
    else if (cancelRequested) st.state = 'cancelled';
    else if (summary.signal) st.state = 'killed';
    else st.state = 'failed';
    return settle();
  }
  if (sched) {
    if (sched.exitCode !== undefined) st.exitCode = sched.exitCode;
    if (sched.state === 'queued' || sched.state === 'running') st.state = summary.started ? 'running' : sched.state;
    else if (sched.state === 'done' && !summary.started) st.state = 'done';
    else if (sched.state === 'done') st.state = 'lost'; // started, scheduler says finished, but no end was recorded
    else st.state = sched.state;
    return settle();
  }
  // A process the host looked for itself (the bash scheduler's `P` line).
  if (b.pidAlive !== undefined) {
    st.state = b.pidAlive ? (summary.started ? 'running' : 'queued') : 'lost';
    return settle();
  }
  st.state = 'lost';
  return settle();
}

/** Rank answers for one bundle across hosts: a run of this content first, then the latest submission. */
function better(a: BundleStatus, b: BundleStatus): BundleStatus {
  if (!!a.jobId !== !!b.jobId) return a.jobId ? a : b;
  if (!a.changedSinceSubmit !== !b.changedSinceSubmit) return a.changedSinceSubmit ? b : a;
  return (b.submittedAt ?? '') > (a.submittedAt ?? '') ? b : a;
}

const ENDED_BADLY: ReadonlySet<BundleState> = new Set(['failed', 'killed', 'timeout', 'oom', 'lost']);

/**
 * An array task's scheduler log as submit recorded it, filled in for its job id: relative
 * to the submit directory. A record that points anywhere else (absolute, `..`) is ignored.
 */
function arrayLog(rb: RemoteBundle, jobId: string, reg: SchedulerRegistry): string | undefined {
  const pattern = rb.submitted?.log;
  const a = schedulerOfJob(jobId, reg);
  if (typeof pattern !== 'string' || !a || pattern === '' || pattern.startsWith('/') || pattern.split('/').includes('..')) return undefined;
  return a.logName(pattern, a.jobKey(jobId.slice(a.jobIdPrefix.length + 1)));
}

/**
 * A single job's logs where its script's directives put them (`#SBATCH --output=logs/%j.out`;
 * else the scheduler's default), filled in for its job id: relative to the bundle directory,
 * or absolute. Names the scheduler cannot be asked to fill in (`%x`, `%N`) are left out.
 */
function scriptLogs(outDir: string, ib: IndexedBundle, jobId: string, reg: SchedulerRegistry): string[] {
  const a = schedulerOfJob(jobId, reg);
  if (!a?.logFiles) return [];
  let text: string;
  try {
    text = readFileSync(path.join(outDir, ib.dir, ib.script), 'utf8');
  } catch {
    return []; // the bundle is gone from OUT: the host's files still say what there is
  }
  const key = a.jobKey(jobId.slice(a.jobIdPrefix.length + 1));
  return a.logFiles(text).map((p) => a.logName(p, key)).filter((f) => !/%[0-9]*[A-Za-z]/.test(f));
}

/** One state per bundle from every host's answer; with `outDir`, where the logs of runs that ended badly are. */
export function combine(bundles: readonly IndexedBundle[], answers: readonly HostAnswer[], outDir?: string, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): BundleStatus[] {
  return bundles.map((ib) => {
    let best: BundleStatus | undefined;
    let from: { rb: RemoteBundle; host: HostEntry } | undefined;
    for (const ans of answers) {
      const rb = ans.bundles.get(ib.id);
      if (!rb?.present) continue;
      const st = deriveStatus(ib.id, rb, ans.host, ans.jobs, reg);
      if (st.runHash && st.runHash !== ib.hash) st.changedSinceSubmit = true;
      const next = best ? better(best, st) : st;
      if (next === st) from = { rb, host: ans.host };
      best = next;
    }
    if (best && from && outDir !== undefined && ENDED_BADLY.has(best.state)) {
      const there = workdirOf(from.host, outDir);
      const prefix = isRemote(from.host) ? `${from.host.hostname ?? 'localhost'}:` : '';
      const logs = (from.rb.logFiles ?? []).map((file) => ({ file, onHost: `${prefix}${there}/${ib.id}/${file}`, local: path.join(outDir, ib.dir, file) }));
      const task = best.jobId ? arrayLog(from.rb, best.jobId, reg) : undefined;
      const inPlace = runsInPlace(from.host, outDir);
      if (task !== undefined) {
        const onHost = `${prefix}${there}/${task}`;
        logs.push({ file: `../${task}`, onHost, local: inPlace ? path.join(outDir, task) : onHost });
      } else if (best.jobId) {
        // A log the directives put elsewhere than the files the host listed.
        for (const file of scriptLogs(outDir, ib, best.jobId, reg)) {
          // The host lists the *.out and *.log files beside the script that exist: one of those it did not list is not there.
          if (logs.some((l) => l.file === file) || (!file.includes('/') && /\.(out|log)$/.test(file))) continue;
          const abs = file.startsWith('/');
          const onHost = abs ? `${prefix}${file}` : `${prefix}${there}/${ib.id}/${file}`;
          // collect copies the bundle directory: a file below it comes back, others stay where they are.
          const below = !abs && !file.split('/').includes('..');
          logs.push({ file, onHost, local: below ? path.join(outDir, ib.dir, file) : onHost });
        }
      }
      if (logs.length) best.logs = logs;
    }
    return best ?? { id: ib.id, state: 'built' };
  });
}
