/**
 * What a run leaves behind, as typed values. The wire formats are described in
 * docs/formats.md; these are what the readers turn them into.
 */

/** Where an event was read: the events file, a `# eegen` log line, or a legacy `# cloudmesh` line. */
export type EventSource = 'events' | 'eegen' | 'cloudmesh';

interface EventBase {
  /** ISO 8601 UTC time as written (`2026-11-25T15:00:00.123Z`); log lines usually have none. */
  ts?: string;
  source: EventSource;
  /** 1-based line in the text it was read from. */
  line: number;
  /** Fields the format does not define, kept as written. */
  extra?: Record<string, unknown>;
}

export interface StartEvent extends EventBase {
  event: 'start';
  host?: string;
  jobId?: string;
  pid?: number;
  /** sha256 of the bundle's SHA256SUMS as the run found it (eegen-run.sh writes it): which content ran. */
  content?: string;
}

export interface ProgressEvent extends EventBase {
  event: 'progress';
  /** Percent, 0-100. */
  progress?: number;
  msg?: string;
  /** Legacy `# cloudmesh status=...` (ready, submitted, running, done, failed). */
  status?: string;
}

export interface EndEvent extends EventBase {
  event: 'end';
  /** null when the process was killed by a signal. */
  exitCode?: number | null;
  /** Signal name without `SIG` (`TERM`, `KILL`), null when it exited on its own. */
  signal?: string | null;
}

export interface FingerprintEvent extends EventBase {
  event: 'fingerprint';
  fingerprint: Fingerprint;
}

/** One NVML total-energy counter reading (millijoules since the driver loaded). */
export interface EnergyEvent extends EventBase {
  event: 'energy';
  /** What the reading marks: `start`, `end`, or an app's own phase name. */
  label?: string;
  gpu: number;
  mJ: number;
}

/** `eegen cancel` asked this run to stop (written on the host before it signals the run). */
export interface CancelEvent extends EventBase {
  event: 'cancel';
  /** Who asked: `eegen`. */
  by?: string;
}

/** The bundle directory's size once the script ended (the wrapper's `du`), written just before `end`. */
export interface SizeEvent extends EventBase {
  event: 'size';
  /** Bytes of every file in the bundle directory: the bundle's own and what the run wrote. */
  bytes: number;
}

/** Any other `event` name: kept, so newer writers do not break older readers. */
export interface OtherEvent extends EventBase {
  event: 'other';
  name: string;
}

export type RunEvent = StartEvent | ProgressEvent | EndEvent | FingerprintEvent | EnergyEvent | SizeEvent | CancelEvent | OtherEvent;

/** One run's state, from its events file and its log. */
export interface RunSummary {
  /** ts of the last `start` (a requeued job starts more than once). */
  started?: string;
  /** ts of the `end` that followed the last `start`. */
  ended?: string;
  exitCode?: number | null;
  signal?: string | null;
  progress?: number;
  lastMsg?: string;
  host?: string;
  jobId?: string;
  pid?: number;
  /** Number of `start` events (more than 1 after a requeue). */
  attempts: number;
  /** The last `# cloudmesh status=` value; `done` there does not prove success. */
  legacyStatus?: string;
  /** sha256 of SHA256SUMS the last attempt ran with (its `start` event's `content`). */
  content?: string;
  /** ts of a `cancel` event of the last attempt written before its `end`: cancellation was asked for. */
  cancelRequested?: string;
  /** The last attempt's `size` event: bytes in the bundle directory once its script ended. */
  bytes?: number;
}

/** One row of a StopWatch benchmark (`# csv,...`). */
export interface TimerRecord {
  timer: string;
  status: string;
  /** Seconds of the last start/stop interval. */
  seconds?: number;
  /** Seconds summed over every start/stop of this timer. */
  sum?: number;
  /** ISO 8601 UTC (`2026-11-24T18:46:04.000Z`). */
  start?: string;
  tag: string;
  msg: string;
  node: string;
  user: string;
  system: string;
  platformVersion: string;
  line: number;
}

/** One `:::MLLOG` line, with the MLCommons key names. */
export interface MlLogEvent {
  namespace: string;
  time_ms?: number;
  /** POINT_IN_TIME, INTERVAL_START or INTERVAL_END. */
  event_type: string;
  key: string;
  value: unknown;
  metadata: Record<string, unknown>;
  line: number;
}

export interface EpochRecord {
  epoch: number;
  accuracy?: number;
  loss?: number;
  [metric: string]: number | undefined;
}

export interface MlResults {
  accuracy?: number;
  loss?: number;
  history?: EpochRecord[];
  /** The final `result` event's value, as written. */
  result?: unknown;
  /** Milliseconds between `run_start` and `run_stop`. */
  runMs?: number;
  /** `run_stop`'s `metadata.status` (`success`, `aborted`). */
  status?: string;
  /** The last value of every key whose values are scalars (submission_*, seed, ...). */
  last: Record<string, string | number | boolean | null>;
}

/** One row of an nvidia-smi `--query-gpu` trace. */
export interface PowerSample {
  /** Milliseconds since the Unix epoch, UTC. */
  time: number;
  /** GPU index (0 when the trace has no index column). */
  gpu: number;
  /** Field name as in the header without its unit (`power.draw`) -> number, text, or null for N/A. */
  values: Record<string, number | string | null>;
}

export interface PowerTrace {
  /** Column names without units, in header order. */
  fields: string[];
  /** Unit per field (`W`, `MiB`, `%`), from the header. */
  units: Record<string, string>;
  samples: PowerSample[];
}

/** A time in milliseconds since the epoch, an ISO string, or a Date. */
export type TimeLike = number | string | Date;

export type EnergyMethod = 'counter' | 'power.draw.instant' | 'power.draw';

export interface EnergyEstimate {
  joules: number;
  method: EnergyMethod;
  /** GPUs counted. */
  gpus: number[];
  /** For integrations: the part of [from, to] the samples cover, 0-1. */
  coverage?: number;
  /** For integrations: how the window's edges were treated (see `energyJoules`). */
  edges?: 'samples' | 'interpolate';
}

/** Row of `nvidia-smi --query-gpu=index,name,uuid,driver_version,...`. */
export interface GpuInventoryEntry {
  index?: number;
  name?: string;
  uuid?: string;
  driver?: string;
  vbios?: string;
  pciBusId?: string;
  memoryMiB?: number;
  powerLimitW?: number;
  computeCap?: string;
}

export interface GpuInfo {
  name: string;
  driver?: string;
  memoryMiB?: number;
  uuid?: string;
}

/** The hardware and software a run saw (eegen-run/fingerprint.json). */
export interface Fingerprint {
  host?: string;
  cpu?: { model: string; cores?: number; allowed?: number };
  gpus?: GpuInfo[];
  os?: { name: string; kernel?: string; arch?: string };
  /** CUDA version the driver supports (nvidia-smi's `CUDA Version`). */
  cuda?: string;
  python?: string;
  node?: string;
  /** When it was taken, ISO UTC. */
  ts?: string;
}

export interface NvidiaSmiReport {
  driver?: string;
  cuda?: string;
  gpus: (GpuInfo & { architecture?: string; vbios?: string; pciBusId?: string })[];
}
