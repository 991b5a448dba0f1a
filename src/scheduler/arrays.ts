/**
 * Job-array planning (pure): bundles whose scheduler directives are identical share one
 * array job; the per-bundle directives (job name, log files, array, working directory)
 * are left out of the comparison and of the array's driver script.
 *
 *   planArrays(bundles, opts)         -> ArrayPlan[] (groups in order of first appearance,
 *                                        sweep order within a group, chunks <= maxArraySize)
 *   arrayListFile(plan)               -> the `dir<TAB>script` lines the driver reads
 *   arrayDriverScript(plan, {listFile}) -> the script submitted once per plan
 *   arraySubmitCommand(plan, driver)  -> `sbatch --parsable --array=SPEC driver` / `bsub < driver`
 *
 * What differs between schedulers (directive prefix, per-bundle options, first index,
 * spec, driver directives, task variables) is the adapter's (`SchedulerAdapter.arrays`,
 * `.directives`); a scheduler is named by its adapter or its name in the default registry.
 * Index ranges: Slurm accepts indices 0..MaxArraySize-1, so a Slurm chunk holds at most
 * MaxArraySize tasks, indexed 0..n-1. LSF arrays are indexed 1..n (`name[1-n]%K`) and
 * hold at most maxArraySize (LSF's MAX_JOB_ARRAY_SIZE) elements.
 */
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import { quoteLiteral } from '../shell/quote.js';
import { schedulerNamed } from './registry.js';
import { leadingDirectives } from './script.js';
import type { ArraySupport, DirectiveSyntax, SchedulerAdapter } from './types.js';

/** A scheduler that has job arrays: its adapter, or its name in the default registry. */
export type ArrayScheduler = SchedulerAdapter | string;

interface ArrayAdapter {
  name: string;
  arrays: ArraySupport;
  directives: DirectiveSyntax;
}

function arrayAdapter(s: ArrayScheduler): ArrayAdapter {
  const a = typeof s === 'string' ? schedulerNamed(s) : s;
  if (!a?.arrays || !a.directives) throw new Error(`planArrays: unknown scheduler, or one without job arrays: ${String(typeof s === 'string' ? s : s?.name)}`);
  return a as ArrayAdapter;
}

export interface ArrayBundle {
  id: string;
  /** Bundle directory relative to the output directory on the host (POSIX). */
  dir: string;
  /** The bundle's script, relative to the bundle directory. */
  script: string;
  /** The script's text (its directive block decides the group). */
  scriptText: string;
}

export interface ArrayMember {
  /** Array index of this bundle: from the scheduler's first index (Slurm 0, LSF 1). */
  index: number;
  id: string;
  dir: string;
  script: string;
}

export interface ArrayPlan {
  /** Job name of the array, e.g. `eegen-1-2` (group 1, chunk 2); safe in any shell word. */
  name: string;
  /** The scheduler's name (`slurm`). */
  scheduler: string;
  /** 1-based group number (bundles with identical shared directives). */
  group: number;
  /** Shared directive lines, verbatim (`#SBATCH --partition=a100`), in script order. */
  directives: string[];
  members: ArrayMember[];
  /** Index spec: Slurm `0-99%4`, LSF `1-100%4` (no `%K` without a throttle). */
  spec: string;
}

export interface PlanArraysOptions {
  /** Slurm MaxArraySize (indices 0..max-1) / LSF MAX_JOB_ARRAY_SIZE. */
  maxArraySize: number;
  /** At most this many tasks of one array run at once (`%K`). */
  throttle?: number;
  scheduler: ArrayScheduler;
  /** Prefix of the array job names (default `eegen`); other characters become `_`. */
  name?: string;
}

/**
 * All directive lines of a script's leading block: after the `#!` line, up to the first
 * line that is neither blank nor a comment (where sbatch/bsub stop reading them).
 * Lines are returned trimmed, with the prefix followed by exactly one space.
 */
export function directiveLines(scriptText: string, scheduler: ArrayScheduler): string[] {
  const prefix = arrayAdapter(scheduler).directives.prefix;
  return leadingDirectives(scriptText, prefix).map((rest) => `${prefix} ${rest}`);
}

/** The option a directive line sets: `--partition`, `-p`, `-q`, `-oo`... */
export function directiveOption(line: string, scheduler: ArrayScheduler): string {
  const d = arrayAdapter(scheduler).directives;
  return d.option(line.slice(d.prefix.length).trim().split(/\s+/)[0] ?? '');
}

/** Directive lines that are the same for every bundle of a group (per-bundle ones removed). */
export function sharedDirectives(scriptText: string, scheduler: ArrayScheduler): string[] {
  const perBundle = arrayAdapter(scheduler).directives.perBundle;
  return directiveLines(scriptText, scheduler).filter((l) => !perBundle.has(directiveOption(l, scheduler)));
}

function checkPath(what: string, id: string, p: string): void {
  // The list file holds `dir<TAB>script` lines: those characters cannot be represented.
  // eslint-disable-next-line no-control-regex
  if (typeof p !== 'string' || p === '' || /[\t\n\r\u0000]/.test(p)) {
    throw new Error(`bundle ${id}: its ${what} ${JSON.stringify(p)} cannot go into an array list file (empty, or holds a tab, newline or NUL)`);
  }
}

/**
 * Group bundles by their shared directive lines and split each group into arrays of at
 * most `maxArraySize` tasks. Throws for a maxArraySize below 1 and for bundle paths
 * that cannot be written into a list file (tab, newline, NUL).
 */
export function planArrays(bundles: readonly ArrayBundle[], opts: PlanArraysOptions): ArrayPlan[] {
  const { scheduler } = opts;
  const adapter = arrayAdapter(scheduler);
  const max = Math.floor(opts.maxArraySize);
  if (!Number.isFinite(max) || max < 1) throw new RangeError(`planArrays: maxArraySize must be at least 1 (got ${opts.maxArraySize})`);
  const throttle = opts.throttle !== undefined && Number.isFinite(opts.throttle) && opts.throttle >= 1 ? Math.floor(opts.throttle) : undefined;
  const prefix = (opts.name ?? 'eegen').replace(/[^A-Za-z0-9_.-]/g, '_') || 'eegen';

  const groups = new Map<string, { directives: string[]; bundles: ArrayBundle[] }>();
  for (const b of bundles) {
    checkPath('directory', b.id, b.dir);
    checkPath('script', b.id, b.script);
    const directives = sharedDirectives(b.scriptText, scheduler);
    const key = directives.join('\n');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { directives, bundles: [] }));
    g.bundles.push(b);
  }

  const plans: ArrayPlan[] = [];
  let groupNo = 0;
  for (const g of groups.values()) {
    groupNo++;
    for (let start = 0, chunk = 1; start < g.bundles.length; start += max, chunk++) {
      const part = g.bundles.slice(start, start + max);
      const first = adapter.arrays.firstIndex;
      plans.push({
        name: `${prefix}-${groupNo}-${chunk}`,
        scheduler: adapter.name,
        group: groupNo,
        directives: [...g.directives],
        members: part.map((b, i) => ({ index: first + i, id: b.id, dir: b.dir, script: b.script })),
        spec: adapter.arrays.spec(part.length, throttle),
      });
    }
  }
  return plans;
}

/** The list file of a plan: line k (1-based) = `dir<TAB>script` of the member with the k-th index. */
export function arrayListFile(plan: ArrayPlan): string {
  return plan.members.map((m) => `${m.dir}\t${m.script}\n`).join('');
}

export interface DriverOptions {
  /** The plan's list file, relative to the output directory on the host (or absolute). */
  listFile: string;
  /**
   * The output directory on the host (absolute). Default: the submission directory
   * (`$SLURM_SUBMIT_DIR` / `$LS_SUBCWD`), i.e. submit from the output directory.
   */
  root?: string;
  /**
   * Scheduler log of each task, relative to the output directory or absolute; its
   * directory must exist. Default: beside the list file, `<name>-%A_%a.out` (Slurm) /
   * `<name>-%J_%I.out` (LSF): see arrayLogPattern.
   */
  log?: string;
  /** The plan's scheduler, when it is not one of the default registry's. */
  adapter?: SchedulerAdapter;
}

/**
 * Where the scheduler writes the log of each task of a plan by default, relative to the
 * directory it was submitted from, with the scheduler's placeholders for the array's job
 * id and the task's index (`.eegen/arrays/h/eegen-1-1-%A_%a.out`).
 */
export function arrayLogPattern(plan: ArrayPlan, listFile: string, adapter?: SchedulerAdapter): string {
  const logDir = dirname(listFile);
  return `${logDir === '.' ? '' : `${logDir}/`}${plan.name}-${arrayAdapter(adapter ?? plan.scheduler).arrays.logPattern}.out`;
}

/** A directive argument: bare when plain, else double-quoted (sbatch and bsub both strip them). */
function directiveArg(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\n\r\u0000-\u001f\u007f]/.test(s)) throw new Error(`array driver: ${JSON.stringify(s)} cannot be written into a directive line`);
  return /^[A-Za-z0-9_@%+=:,./\-[\]]+$/.test(s) ? s : `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}

/**
 * The bash script submitted once per plan. It carries the group's directives plus the
 * job name, the array spec and the log path; at run time it takes line
 * `$SLURM_ARRAY_TASK_ID + 1` (Slurm) / `$LSB_JOBINDEX` (LSF) of the list file, cds into
 * that bundle directory and execs `bash eegen-run.sh SCRIPT` with EEGEN_WRAPPED unset,
 * so the wrapper records the run. Every path is quoted; the list file is read as data.
 */
export function arrayDriverScript(plan: ArrayPlan, opts: DriverOptions): string {
  const { arrays } = arrayAdapter(opts.adapter ?? plan.scheduler);
  if (typeof opts.listFile !== 'string' || opts.listFile === '' || /[\n\r\u0000]/.test(opts.listFile)) {
    throw new Error(`array driver: invalid list file path ${JSON.stringify(opts.listFile)}`);
  }
  const log = opts.log ?? arrayLogPattern(plan, opts.listFile, opts.adapter);
  const lines: string[] = ['#!/usr/bin/env bash', ...plan.directives, ...arrays.driverDirectives(plan.name, plan.spec, directiveArg(log))];
  const { taskVar, submitDirVar: submitDir } = arrays;
  // Line 1 of the list is the first index's.
  const line = arrays.firstIndex === 1 ? 'task' : arrays.firstIndex === 0 ? 'task + 1' : `task - ${arrays.firstIndex - 1}`;
  const cdRoot = opts.root !== undefined ? `cd -- ${quoteLiteral(opts.root)}` : `cd -- "\${${submitDir}:-.}"`;
  lines.push(
    '#',
    `# eegen array driver for ${plan.members.length} bundle(s) (${plan.scheduler} array ${plan.spec}).`,
    `# Task i runs the bundle on line ${line.replace('task', 'i').replace(/ /g, '')} of the list file (\`dir<TAB>script\`).`,
    'set -u',
    `${cdRoot} || { echo "eegen: cannot cd to the output directory" >&2; exit 2; }`,
    `list=${quoteLiteral(opts.listFile)}`,
    `task=\${${taskVar}:-}`,
    `case $task in ''|*[!0-9]*) echo "eegen: \\$${taskVar} is not set: submit this script as an array job" >&2; exit 2;; esac`,
    `[ -r "$list" ] || { echo "eegen: cannot read the array list $list in $PWD" >&2; exit 2; }`,
    `line=$(sed -n "$((${line}))p" "$list")`,
    `[ -n "$line" ] || { echo "eegen: no bundle for array index $task in $list" >&2; exit 2; }`,
    `tab=$(printf '\\t')`,
    'dir=${line%%"$tab"*}',
    'script=${line#*"$tab"}',
    'cd -- "$dir" || { echo "eegen: cannot cd to bundle $dir" >&2; exit 2; }',
    'unset EEGEN_WRAPPED',
    `exec bash ${RUN_LAYOUT.wrapper} "$script"`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The submission command for a plan's driver (run it in the output directory on the
 * host): `sbatch --parsable --array=SPEC 'driver'` (parse with parseSbatch) or
 * `bsub < 'driver'` (parseBsub).
 */
export function arraySubmitCommand(plan: ArrayPlan, driverPath: string, adapter?: SchedulerAdapter): string {
  const { arrays } = arrayAdapter(adapter ?? plan.scheduler);
  return arrays.submitCommand(driverPath, arrays.submitArgs(plan.spec));
}
