/**
 * `eegen status`: one round trip per host, no daemon anywhere. The host says what it
 * holds (submit records, run events, status lines) and what its scheduler knows; the
 * client combines them into one state per bundle and keeps nothing it cannot rebuild.
 */
import { parseEvents, parseProgressLines, summarizeRun } from '../results/index.js';
import type { IndexedBundle } from './outdir.js';
import type { HostEntry } from './hosts.js';
import type { Runner } from './process.js';
import { parseAnswers, statusScript } from './remote.js';
import { findJob, parseSchedulerAnswer } from './schedulers.js';
import { execCommand, workdirOf } from './transport.js';
import type { BundleState, SchedulerJob } from './types.js';

/** What one host holds for one bundle. */
export interface RemoteBundle {
  present: boolean;
  jobId?: string;
  pidAlive?: boolean;
  submitted?: { jobId?: string; hash?: string; ts?: string };
  events: string[];
  logLines: string[];
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
  /** The bundle's content differs from what was submitted. */
  changedSinceSubmit?: boolean;
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}

/** Ask one host about the given bundles (one round trip). Never throws. */
export async function askHost(runner: Runner, h: HostEntry, outDir: string, ids: readonly string[]): Promise<HostAnswer> {
  const answer: HostAnswer = { host: h, ok: false, bundles: new Map(), jobs: [] };
  const res = await runner.run(execCommand(h, statusScript(h, workdirOf(h, outDir), ids), `status of ${ids.length} bundles on ${h.name}`), { timeoutMs: 120_000 });
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
  answer.jobs = parseSchedulerAnswer(schedLines.kind, schedLines.query.join('\n'), schedLines.comp.join('\n'));
  answer.ok = true;
  return answer;
}

const SIGNAL_CANCEL = new Set(['TERM', 'INT', 'HUP', 'KILL']);

/**
 * One bundle's state on one host, from the run's own record and the scheduler's view.
 * The run's `end` event is the truth about how the command ended (exit code); the
 * scheduler adds why it was stopped (cancelled, timeout, oom) and covers runs that
 * never got to write anything (pending, killed before start, node lost).
 */
export function deriveStatus(id: string, b: RemoteBundle, host: HostEntry, jobs: readonly SchedulerJob[]): BundleStatus {
  const st: BundleStatus = { id, state: 'synced', host: host.name };
  if (!b.jobId) return st;
  st.jobId = b.jobId;
  if (b.submitted?.ts) st.submittedAt = b.submitted.ts;
  const summary = summarizeRun(parseEvents(b.events.join('\n')).value, parseProgressLines(b.logLines.join('\n')).value);
  if (summary.progress !== undefined) st.progress = summary.progress;
  if (summary.lastMsg !== undefined) st.msg = summary.lastMsg;
  if (summary.started) st.started = summary.started;
  if (summary.ended) st.ended = summary.ended;
  // `lsf:123[4]` is recorded as LSF writes it (bkill needs that form); adapters say `123_4`.
  const bare = b.jobId.replace(/^[a-z]+:/, '').replace(/\[(\d+)\]$/, '_$1');
  const sched = findJob(jobs, bare);
  if (sched) {
    st.schedulerState = sched.rawState;
    if (sched.reason) st.reason = sched.reason;
  }
  if (summary.ended) {
    st.exitCode = summary.exitCode ?? null;
    st.signal = summary.signal ?? null;
    if (sched && (sched.state === 'cancelled' || sched.state === 'timeout' || sched.state === 'oom')) st.state = sched.state;
    else if (summary.exitCode === 0) st.state = 'done';
    // The run ended badly but the scheduler has not settled (Slurm COMPLETING while it kills
    // a job at its time limit): why it stopped (timeout, cancel, oom) is not known yet.
    else if (sched && (sched.state === 'running' || sched.state === 'queued')) st.state = 'running';
    else if (!sched && summary.signal && SIGNAL_CANCEL.has(summary.signal)) st.state = 'cancelled';
    else st.state = 'failed';
    return st;
  }
  if (sched) {
    if (sched.exitCode !== undefined) st.exitCode = sched.exitCode;
    if (sched.state === 'queued' || sched.state === 'running') st.state = summary.started ? 'running' : sched.state;
    else if (sched.state === 'done' && !summary.started) st.state = 'done';
    else if (sched.state === 'done') st.state = 'lost'; // started, scheduler says finished, but no end was recorded
    else st.state = sched.state;
    return st;
  }
  if (b.jobId.startsWith('local:')) {
    st.state = b.pidAlive ? (summary.started ? 'running' : 'queued') : 'lost';
    return st;
  }
  st.state = 'lost';
  return st;
}

/** Rank answers for one bundle across hosts: the latest submission wins. */
function better(a: BundleStatus, b: BundleStatus): BundleStatus {
  if (!!a.jobId !== !!b.jobId) return a.jobId ? a : b;
  return (b.submittedAt ?? '') > (a.submittedAt ?? '') ? b : a;
}

export function combine(bundles: readonly IndexedBundle[], answers: readonly HostAnswer[]): BundleStatus[] {
  return bundles.map((ib) => {
    let best: BundleStatus | undefined;
    for (const ans of answers) {
      const rb = ans.bundles.get(ib.id);
      if (!rb?.present) continue;
      const st = deriveStatus(ib.id, rb, ans.host, ans.jobs);
      if (rb.submitted?.hash && rb.submitted.hash !== ib.hash) st.changedSinceSubmit = true;
      best = best ? better(best, st) : st;
    }
    return best ?? { id: ib.id, state: 'built' };
  });
}
