/**
 * Values shared by submit, status, cancel and collect. The client keeps no state
 * that cannot be rebuilt: hosts and schedulers are the source of truth, the ledger
 * is a record.
 */

/** What eegen reports for a bundle, from "only built" to how it ended. */
export type BundleState =
  | 'built' // exists in OUT only
  | 'synced' // copied to the host, not submitted
  | 'submitted' // handed to the scheduler / launcher; nothing more known yet
  | 'queued' // waiting in the scheduler (or for a local concurrency slot)
  | 'running'
  | 'done' // exit code 0
  | 'failed' // non-zero exit code
  | 'killed' // stopped by a signal nobody asked for (kill -9, the OOM killer, a crash): see `signal`
  | 'cancelled' // eegen cancel, or the scheduler's cancel (scancel, bkill)
  | 'timeout'
  | 'oom'
  | 'lost'; // submitted, the scheduler no longer knows it, and it recorded no end

export const FINAL_STATES: ReadonlySet<BundleState> = new Set(['done', 'failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost']);
export const ACTIVE_STATES: ReadonlySet<BundleState> = new Set(['submitted', 'queued', 'running']);

/** What a scheduler says about one job (or one array task). */
export interface SchedulerJob {
  /** Job id as eegen records it: `123` or `123_4` for an array task. */
  jobId: string;
  state: BundleState;
  /** The scheduler's own state word, e.g. OUT_OF_MEMORY, for display. */
  rawState: string;
  exitCode?: number;
  /** Signal number when the scheduler reports `exit:signal`. */
  signal?: number;
  reason?: string;
}

/**
 * Bundle runtime layout on the host where it runs (B = the bundle directory):
 *   B/eegen-run.sh            the wrapper every run goes through (part of the bundle)
 *   B/eegen-run/events.jsonl  start / progress / end events (docs/formats.md)
 *   B/eegen-run/output.log    stdout+stderr when run by the local/ssh launcher
 *   B/eegen-run/jobid         line 1: `slurm:123`, `slurm:123_4`, `lsf:456[2]`, `local:PID`;
 *                             line 2: {"jobId","hash","ts"} of the submission (written at submit)
 *   B/eegen-run/fingerprint.json, B/eegen-run/power.csv
 */
export const RUN_LAYOUT = {
  wrapper: 'eegen-run.sh',
  dir: 'eegen-run',
  events: 'eegen-run/events.jsonl',
  output: 'eegen-run/output.log',
  jobid: 'eegen-run/jobid',
  fingerprint: 'eegen-run/fingerprint.json',
  power: 'eegen-run/power.csv',
} as const;
