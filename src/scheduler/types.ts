/**
 * What eegen needs to know about a scheduler, in one interface: one implementation per
 * scheduler (slurm.ts, lsf.ts, bash.ts), looked up by name or host kind in a registry
 * (registry.ts). Everything here is data and pure functions (shell text and parsers):
 * nothing runs a process and nothing comes from the dispatcher, so the compile side may
 * read a scheduler's directive syntax from the same place the dispatcher reads its
 * command lines. Adding a scheduler is one file like slurm.ts plus a registry entry.
 *
 * The shell snippets are pieces of the scripts in dispatch/remote.ts and use its names:
 * `emit TAG FIELD...` answers the client, `oneline` flattens text into one field; `$id`
 * is the bundle directory, `$script` its script; `return` ends the bundle's turn.
 */
import type { DirectiveKind } from '../shell/directive.js';
import type { DirectiveValues } from '../types.js';

/** What a scheduler can say about a job (a subset of the dispatcher's BundleState). */
export type JobState = 'submitted' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'timeout' | 'oom';

/** What a scheduler says about one job (or one array task). */
export interface SchedulerJob {
  /** Job id as eegen looks it up: `123`, or `123_4` for an array task. */
  jobId: string;
  state: JobState;
  /** The scheduler's own state word, e.g. OUT_OF_MEMORY, for display. */
  rawState: string;
  exitCode?: number;
  /** Signal number when the scheduler reports `exit:signal`. */
  signal?: number;
  reason?: string;
}

/** The directive lines of a scheduler's job scripts (`#SBATCH --partition=a100`). */
export interface DirectiveSyntax {
  /** The magic word a directive line starts with. */
  prefix: string;
  /** How the scheduler splits such a line into words (shell/directive.ts's models). */
  words: DirectiveKind;
  /** The option a directive's first word sets (`--partition`, `-p`, `-oo`): groups array members. */
  option(firstWord: string): string;
  /** Options that differ per bundle or that an array driver sets itself: left out of array groups. */
  perBundle: ReadonlySet<string>;
  /**
   * The directive lines of a bundle's directives and resources (`#SBATCH --partition=gpu`),
   * one per set key, with its values quoted by `w` (the renderer's: each value one word for
   * the scheduler, `extra` one printable line; both throw ShellQuoteError otherwise).
   */
  block(d: DirectiveValues, w: DirectiveWriter): string[];
}

/** How a directive block writer quotes: the renderer hands it to DirectiveSyntax.block. */
export interface DirectiveWriter {
  /** A value as exactly one word after `line` (the directive text before it). */
  arg(value: unknown, what: string, line: string): string;
  /** An `extra` entry: verbatim, one printable line. */
  raw(value: unknown): string;
  /** Set: not undefined, null or ''. */
  present(value: unknown): boolean;
}

/** Job arrays: many bundles in one submission. */
export interface ArraySupport {
  /** The first array index (Slurm 0, LSF 1). */
  firstIndex: number;
  /** The index spec of `n` tasks at most `throttle` at once: Slurm `0-99%4`, LSF `1-100%4`. */
  spec(n: number, throttle?: number): string;
  /** Arguments of the array submission besides the driver (Slurm `--array=SPEC`; LSF: none). */
  submitArgs(spec: string): string[];
  /** The shell command that submits the driver (a path relative to the submit directory) with `args`. */
  submitCommand(driver: string, args: readonly string[]): string;
  /** A shell pipeline from the command's output (stdin) to the numeric job id (empty when there is none). */
  jobIdFrom: string;
  /** The recorded job id of the member at `index`, as text inside "..." (uses `$n`): `slurm:${n}_4`. */
  memberJobId(index: number): string;
  /** Directive lines a driver adds to the group's own: job name, spec, log file (`log`, with logPattern's placeholders). */
  driverDirectives(name: string, spec: string, log: string): string[];
  /** The scheduler's log file name placeholders for one task: `%A_%a` (Slurm), `%J_%I` (LSF). */
  logPattern: string;
  /** Environment variables a task sees: its index, and the directory it was submitted from. */
  taskVar: string;
  submitDirVar: string;
}

/** What one job asks the scheduler for: nodes, and GPUs in all (over its nodes). */
export interface JobRequest {
  nodes: number;
  gpus: number;
}

/** The leading count of `[type:]N` (`a100:2` -> 2, `4` -> 4); `fallback` without one. */
export function countOf(spec: string | undefined, fallback: number): number {
  if (spec === undefined) return fallback;
  const m = /(?:^|:)(\d+)(?:[-,(].*)?$/.exec(spec.trim());
  return m ? Number(m[1]) : fallback;
}

/** Asking a host for its largest array (Slurm MaxArraySize). */
export interface ArraySizeProbe {
  /** Shell command printing the scheduler's configuration. */
  command: string;
  /** The size from that output; undefined when absent or garbled. */
  parse(text: string): number | undefined;
}

/** A job id as dependencies name it: digits, or digits_digits for an array task. */
export const DEPENDENCY_ID = /^\d+(?:_\d+)?$/;

/** The ids of a dependency, checked (dependsOn's contract): a RangeError names the first bad one. */
export function dependencyIds(jobIds: readonly string[]): string[] {
  if (!jobIds.length) throw new RangeError('a dependency needs at least one job id');
  for (const id of jobIds) if (typeof id !== 'string' || !DEPENDENCY_ID.test(id)) throw new RangeError(`not a job id: ${JSON.stringify(id)}`);
  return [...new Set(jobIds)];
}

export interface SchedulerAdapter {
  /** The name templates and host profiles use (`scheduler: slurm`), and the registry's key. */
  name: string;
  /** The hosts.yaml kinds whose bundles this scheduler runs (`slurm`; `local` and `ssh` for bash). */
  hostKinds: readonly string[];
  /** Recorded job ids start with this and `:` (`slurm:123_4`, `lsf:456[2]`, `local:PID`). */
  jobIdPrefix: string;
  /** Its job scripts' directive lines; none for a plain shell. */
  directives?: DirectiveSyntax;
  /** Template output names whose extension makes a template this scheduler's (`job.slurm`, `run.sbatch`), lower case with the dot. */
  templateExtensions?: readonly string[];
  /** The template placeholder of its directive block, `{slurm.sbatch}`: namespace and field. */
  templateBlock?: { namespace: string; field: string };
  /**
   * Shell: submit (or start) one bundle: run in the bundle's parent directory with `$id`,
   * `$script` and `$wd` (the workdir, absolute) set; sets `jid` to the recorded job id, or
   * emits `FAIL` and returns. `slots` is the host's limit of bundles at once.
   */
  submitLine(opts: { slots: number }): string;
  /**
   * Shell, in the status script: a recorded id of this scheduler is in `$jid` (prefix
   * included): append what the status query needs to `"$ids_file"`, or emit a `P` line
   * (process alive) for `$id`.
   */
  statusCheck: string;
  /**
   * Shell, in the status script once all bundles were read: when `"$ids_file"` is not
   * empty, `emit SCHED <name>` and print the scheduler's view as `@@Q<TAB>` (live) and
   * `@@C<TAB>` (finished jobs) lines. None: only the run records count.
   */
  statusQuery?: string;
  /** The jobs in those lines (`comp` is older: the live view wins). Never throws. */
  parseStatus?(query: string, comp: string): SchedulerJob[];
  /** The report for a job id as parseStatus writes them (`123`, `123_4`); default: the exact one. */
  findJob?(jobs: readonly SchedulerJob[], key: string): SchedulerJob | undefined;
  /** A recorded id (without prefix) as parseStatus writes it: `456[2]` -> `456_2`. */
  jobKey(recorded: string): string;
  /**
   * Shell: cancel the job whose id (without prefix) the shell text `idExpr` gives; sets
   * `out` to what the command said, and its status is the cancel's.
   */
  cancelLine(idExpr: string): string;
  /**
   * Scheduler dependencies: the submit arguments that hold a job until every job of
   * `jobIds` (as jobKey gives them: `123`, or `123_4` for one array task; a plain `123`
   * of an array waits for all its tasks) ended well, and that end the held job when one
   * of them did not. Throws a RangeError for anything that is not such an id, so a
   * tampered record never becomes an option. None: the scheduler cannot hold a job for
   * another, and the workflow coordinator starts each node itself once its needs are done.
   */
  dependsOn?(jobIds: readonly string[]): string[];
  /** Job arrays; none: every bundle is submitted on its own. */
  arrays?: ArraySupport;
  /** How to ask a host for its largest array; none: arrays are as large as max_array_size or 1,001. */
  maxArraySize?: ArraySizeProbe;
  /**
   * Where a single job of this script writes its logs, as its directives say (else the
   * scheduler's default): patterns with the scheduler's placeholders, relative to the
   * directory it was submitted from (the bundle's) or absolute. None: eegen's own log only.
   */
  logFiles?(scriptText: string): string[];
  /**
   * The nodes and GPUs one job of this script asks for, as its directives say (defaults: one
   * node, no GPU): what a bundle costs in node-hours and GPU-hours. None: nothing is requested.
   */
  requests?(scriptText: string): JobRequest;
  /**
   * A log file name with the scheduler's placeholders filled in for one job (`key` as
   * jobKey gives it): `x-%A_%a.out` with `123_4` -> `x-123_4.out`. Placeholders it cannot
   * fill stay as they are.
   */
  logName(pattern: string, key: string): string;
}
