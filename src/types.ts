/**
 * The values that cross stage boundaries: load -> validate -> expand -> resolve ->
 * render -> finalize -> write. Later stages never mutate what earlier stages produced.
 */
import type { Diagnostic, Span } from './diagnostics/index.js';

/** Plain data as YAML/JSON produce it. */
export type Value = null | boolean | number | string | Value[] | Mapping;
export interface Mapping {
  [key: string]: Value;
}
export type PathSegment = string | number;

/** Output of the loader: data plus a way back to source positions. */
export interface LoadedYaml {
  /** File name as the user gave it (used in diagnostics). */
  file: string;
  text: string;
  data: Value;
  /**
   * Span of the node at `path` (the key when `which` is 'key'). Falls back to the
   * nearest existing ancestor, then to the whole file, so it always returns a span.
   */
  locate(path: readonly PathSegment[], which?: 'key' | 'value'): Span;
}

export type Scheduler = 'slurm' | 'lsf' | 'bash';

/** Scheduler directives for one directive name (e.g. `a100`) on one site. */
export interface DirectiveSet {
  partition?: string;
  account?: string;
  qos?: string;
  gres?: string;
  gpus?: string | number;
  constraint?: string;
  reservation?: string;
  /** Raw extra directive arguments, e.g. `--exclusive` or `-R "select[ngpus>0]"`. */
  extra?: string[];
  /** Shell lines emitted after the directives (module loads etc.). */
  setup?: string[];
}

/** Job resources, as written under `resources:` in a config (and allowed in profile directives). */
export interface Resources {
  /** Wall-clock limit: "HH:MM:SS", "D-HH:MM:SS", or minutes. */
  time?: string | number;
  nodes?: string | number;
  ntasks?: string | number;
  ntasks_per_node?: string | number;
  cpus_per_task?: string | number;
  gpus?: string | number;
  gpus_per_node?: string | number;
  /** Memory per node, e.g. "32G". */
  mem?: string | number;
  partition?: string;
  account?: string;
  qos?: string;
  reservation?: string;
  constraint?: string;
  gres?: string;
  job_name?: string;
  /** Log file patterns (%j etc. are the scheduler's). */
  output?: string;
  error?: string;
  /** Raw extra directive arguments, one directive line each. */
  extra?: string[];
  /** Shell lines run before the command (module loads, venv activation); not part of the block. */
  setup?: string[];
}

/** A bundle's directives and resources merged: what a scheduler's directive block is written from. */
export type DirectiveValues = DirectiveSet & Resources;

/**
 * A host/site profile: everything site-specific that templates may read. Lives in
 * data files (profiles/*.yaml, hosts.yaml), never in code.
 */
export interface HostProfile {
  name: string;
  kind?: 'local' | 'ssh' | 'slurm' | 'lsf';
  scheduler?: Scheduler;
  hostname?: string;
  /** The user the job runs as on that host: `{os.USER}` resolves to this. */
  user?: string;
  /** Home of that user: `{os.HOME}` resolves to this. */
  home?: string;
  /** Other `{os.NAME}` values as seen on the target host. */
  env?: Record<string, string>;
  /** Remote work directory for bundles (dispatch). */
  workdir?: string;
  /** Scheduler defaults (partition, account, qos, ...). */
  defaults?: DirectiveSet;
  /** Directive name (e.g. GPU type) -> directives needed on this site. */
  directives?: Record<string, DirectiveSet>;
  [extra: string]: unknown;
}

/** One point of the sweep. */
export interface Combination {
  /** Position in the full (unfiltered) product order; stable across rebuilds. */
  index: number;
  /** Every experiment key (swept, single-valued and derived) -> its value here. */
  params: Mapping;
}

/** A file of a bundle, fully rendered, before it touches disk. */
export interface BundleFile {
  /** POSIX path relative to the bundle directory. */
  path: string;
  content: Buffer;
  /** 0o755 for scripts, 0o644 otherwise. */
  mode: number;
}

/** A bundle as the compiler produces it: everything the writer needs, nothing on disk yet. */
export interface BundlePlan {
  /** Stable id derived from parameter values; also the directory name. */
  id: string;
  /** Directory relative to the output directory (POSIX). */
  dir: string;
  index: number;
  params: Mapping;
  /** The executable script's path inside the bundle. */
  script: string;
  scheduler: Scheduler;
  /** All files, sorted by path, including manifest.json and SHA256SUMS. */
  files: BundleFile[];
  /** sha256 hex of the SHA256SUMS file: one hash that covers the whole bundle. */
  hash: string;
  /** Hash of everything that produced this bundle (see compile/name.ts, headOf). */
  inputKey?: string;
  /**
   * True when the bundle was not rendered because its inputs are unchanged since the
   * last build: `files` then holds only SHA256SUMS (read from disk), or nothing (see
   * `sig`); `hash` is what the writer compares with the bundle on disk.
   */
  reused?: boolean;
  /**
   * For a reused bundle whose SHA256SUMS was not even read (its inode, size and change
   * time are those recorded by the last build): that signature. `files` is then empty.
   */
  sig?: string;
  /**
   * Set by a streaming build (the plain `build`) once the writer holds the bundle's bytes:
   * staged on disk, or found unchanged there. `files` is then empty, so that a build's
   * memory does not grow with the bytes of its bundles; this lists what the bundle holds.
   */
  written?: readonly WrittenFile[];
}

/** A file of a bundle whose bytes are on disk, not in memory (BundlePlan.written). */
export interface WrittenFile {
  path: string;
  mode: number;
  size: number;
}

export interface BuildPlan {
  /** Bundles in sweep order. */
  bundles: BundlePlan[];
  /** Files written beside the bundles (index.json, jobs.sh), relative to the output dir. */
  sideFiles: BundleFile[];
  diagnostics: Diagnostic[];
}

/** What a write (or a --check comparison) found. Ids, sorted. */
export interface WriteReport {
  added: string[];
  changed: string[];
  unchanged: string[];
  /** Bundles on disk that the config no longer produces, removed because `prune` was set. */
  removed: string[];
  /** Bundles on disk that the config no longer produces, kept (no `prune`). */
  stale: string[];
  /** Changed bundles that had already been submitted (ledger) or have run outputs. */
  changedAfterSubmit: string[];
}

/** Output directory layout shared by build, submit, status and collect. */
export const LAYOUT = {
  manifest: 'manifest.json',
  checksums: 'SHA256SUMS',
  index: 'index.json',
  jobs: 'jobs.sh',
  /** eegen's own state beside the bundles: ledger, build lock, staging (tmp/), bundles.json, arrays/. */
  stateDir: '.eegen',
  ledger: '.eegen/ledger.jsonl',
} as const;

/**
 * What a build reports while it runs, to one `onEvent` callback: the CLI's progress bars
 * and `--json` lines, the workflow coordinator and the service's event stream consume the
 * same values. The dispatcher's events (`DispatchEvent`) and the union of both
 * (`EegenEvent`) are exported from the package index.
 */
export type BuildEvent =
  /** Combinations planned and rendered so far, of `total`. */
  | { type: 'compile'; done: number; total: number }
  /** Bundles written (or found unchanged) so far, of `total`. */
  | { type: 'write'; done: number; total: number }
  /** A diagnostic of the build, once it has its final (deduplicated) list: at its end. */
  | { type: 'diagnostic'; diagnostic: Diagnostic };
