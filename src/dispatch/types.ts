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

/** What a scheduler says about one job (or one array task): the adapters' type. */
export type { SchedulerJob } from '../scheduler/types.js';

/** Where a run writes inside its bundle (bundle/run-layout.ts: the compiler places the wrapper by it too). */
export { RUN_LAYOUT } from '../bundle/run-layout.js';

/**
 * Progress of a dispatcher operation, as it happens: every operation takes
 * `onEvent?: (e: DispatchEvent) => void`. With the build's `BuildEvent` it makes up the
 * package's one event type, `EegenEvent` (src/index.ts).
 */
export type DispatchEvent =
  /** submit: waiting for another submit of the same output directory (its lock file). */
  | { type: 'waiting'; lock: string }
  /** One host answered a status query (or failed to: `error`). */
  | { type: 'asked'; host: string; ok: boolean; error?: import('./codes.js').HostError }
  /** submit: one host is done (its report, also when it failed). */
  | { type: 'submitted'; host: string; report: import('./submit.js').HostSubmitReport }
  /** status / watch: the state of every selected bundle, once per poll. */
  | { type: 'status'; bundles: import('./status.js').BundleStatus[]; hostErrors: import('./codes.js').HostError[] }
  /** watch: a bundle whose state changed since the previous poll (`from` is absent on the first poll). */
  | { type: 'state'; id: string; host?: string; from?: BundleState; to: BundleState; bundle: import('./status.js').BundleStatus }
  /** collect: what came back from one host (`pulled`: bundle ids copied back; none for a host that runs bundles in place) and its rows. */
  | { type: 'collected'; host: string; pulled: string[]; rows: import('./collect.js').Row[] }
  /** collect: the merged tables were written. */
  | { type: 'results'; rows: number; files: { csv: string; jsonl: string; allCsv: string; allJsonl: string } }
  /** cancel: one host is done. */
  | { type: 'cancelled'; host: string; cancelled: { id: string; jobId: string }[]; failed: { id: string; error: string }[] }
  /** Any operation: a host failed (the operation goes on with the others). */
  | { type: 'host-error'; error: import('./codes.js').HostError };

/** Options every dispatcher operation takes. */
export interface DispatchCallOptions {
  /** Progress, as it happens (see DispatchEvent). Exceptions thrown by it propagate. */
  onEvent?: (e: DispatchEvent) => void;
  /** Abort: children are killed, the operation rejects with AbortError, the state on disk and on the hosts is what kill -9 would leave. */
  signal?: AbortSignal;
  /** Caches and queues that outlive the call (see createContext); one per call when absent. */
  context?: import('./context.js').DispatchContext;
  /** How commands run (overrides the context's). */
  runner?: import('./process.js').Runner;
}
