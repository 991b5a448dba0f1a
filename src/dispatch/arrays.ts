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
 * Index ranges: Slurm accepts indices 0..MaxArraySize-1, so a Slurm chunk holds at most
 * MaxArraySize tasks, indexed 0..n-1. LSF arrays are indexed 1..n (`name[1-n]%K`) and
 * hold at most maxArraySize (LSF's MAX_JOB_ARRAY_SIZE) elements.
 */
import { quoteLiteral } from '../shell/quote.js';
import { RUN_LAYOUT } from './types.js';

export type ArrayScheduler = 'slurm' | 'lsf';

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
  /** Array index of this bundle: 0-based for Slurm, 1-based for LSF. */
  index: number;
  id: string;
  dir: string;
  script: string;
}

export interface ArrayPlan {
  /** Job name of the array, e.g. `eegen-1-2` (group 1, chunk 2); safe in any shell word. */
  name: string;
  scheduler: ArrayScheduler;
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

const PREFIX: Record<ArrayScheduler, string> = { slurm: '#SBATCH', lsf: '#BSUB' };

/** Options that differ per bundle (or that the driver sets itself): left out of groups. */
const PER_BUNDLE: Record<ArrayScheduler, ReadonlySet<string>> = {
  slurm: new Set(['--job-name', '-J', '--output', '-o', '--error', '-e', '--array', '-a', '--chdir', '-D']),
  lsf: new Set(['-J', '-o', '-oo', '-e', '-eo', '-cwd']),
};

/**
 * All directive lines of a script's leading block: after the `#!` line, up to the first
 * line that is neither blank nor a comment (where sbatch/bsub stop reading them).
 * Lines are returned trimmed, with the prefix followed by exactly one space.
 */
export function directiveLines(scriptText: string, scheduler: ArrayScheduler): string[] {
  const prefix = PREFIX[scheduler];
  const out: string[] = [];
  const lines = String(scriptText ?? '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (i === 0 && line.startsWith('#!')) continue;
    if (line === '') continue;
    if (!line.startsWith('#')) break;
    if (line.startsWith(prefix) && /\s/.test(line.charAt(prefix.length))) {
      const rest = line.slice(prefix.length).trim();
      if (rest) out.push(`${prefix} ${rest}`);
    }
  }
  return out;
}

/** The option a directive line sets: `--partition`, `-p`, `-q`, `-oo`... */
export function directiveOption(line: string, scheduler: ArrayScheduler): string {
  const token = line.slice(PREFIX[scheduler].length).trim().split(/\s+/)[0] ?? '';
  if (token.startsWith('--')) return token.split('=')[0]!;
  if (scheduler === 'slurm' && /^-[A-Za-z]/.test(token)) return token.slice(0, 2);
  return token;
}

/** Directive lines that are the same for every bundle of a group (per-bundle ones removed). */
export function sharedDirectives(scriptText: string, scheduler: ArrayScheduler): string[] {
  return directiveLines(scriptText, scheduler).filter((l) => !PER_BUNDLE[scheduler].has(directiveOption(l, scheduler)));
}

function checkPath(what: string, id: string, p: string): void {
  // The list file holds `dir<TAB>script` lines: those characters cannot be represented.
  // eslint-disable-next-line no-control-regex
  if (typeof p !== 'string' || p === '' || /[\t\n\r\u0000]/.test(p)) {
    throw new Error(`bundle ${id}: its ${what} ${JSON.stringify(p)} cannot go into an array list file (empty, or holds a tab, newline or NUL)`);
  }
}

function spec(scheduler: ArrayScheduler, n: number, throttle: number | undefined): string {
  const [lo, hi] = scheduler === 'slurm' ? [0, n - 1] : [1, n];
  const range = lo === hi ? String(lo) : `${lo}-${hi}`;
  return throttle !== undefined ? `${range}%${throttle}` : range;
}

/**
 * Group bundles by their shared directive lines and split each group into arrays of at
 * most `maxArraySize` tasks. Throws for a maxArraySize below 1 and for bundle paths
 * that cannot be written into a list file (tab, newline, NUL).
 */
export function planArrays(bundles: readonly ArrayBundle[], opts: PlanArraysOptions): ArrayPlan[] {
  const { scheduler } = opts;
  if (scheduler !== 'slurm' && scheduler !== 'lsf') throw new Error(`planArrays: unknown scheduler ${String(scheduler)}`);
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
      const first = scheduler === 'slurm' ? 0 : 1;
      plans.push({
        name: `${prefix}-${groupNo}-${chunk}`,
        scheduler,
        group: groupNo,
        directives: [...g.directives],
        members: part.map((b, i) => ({ index: first + i, id: b.id, dir: b.dir, script: b.script })),
        spec: spec(scheduler, part.length, throttle),
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
   * `<name>-%J_%I.out` (LSF).
   */
  log?: string;
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
  const slurm = plan.scheduler === 'slurm';
  if (typeof opts.listFile !== 'string' || opts.listFile === '' || /[\n\r\u0000]/.test(opts.listFile)) {
    throw new Error(`array driver: invalid list file path ${JSON.stringify(opts.listFile)}`);
  }
  const logDir = dirname(opts.listFile);
  const log = opts.log ?? `${logDir === '.' ? '' : `${logDir}/`}${plan.name}-${slurm ? '%A_%a' : '%J_%I'}.out`;
  const lines: string[] = ['#!/usr/bin/env bash', ...plan.directives];
  if (slurm) {
    lines.push(`#SBATCH --job-name=${plan.name}`, `#SBATCH --array=${plan.spec}`, `#SBATCH --output=${directiveArg(log)}`);
  } else {
    const [range, k] = plan.spec.split('%');
    lines.push(`#BSUB -J "${plan.name}[${range}]${k ? `%${k}` : ''}"`, `#BSUB -o ${directiveArg(log)}`);
  }
  const taskVar = slurm ? 'SLURM_ARRAY_TASK_ID' : 'LSB_JOBINDEX';
  const submitDir = slurm ? 'SLURM_SUBMIT_DIR' : 'LS_SUBCWD';
  const cdRoot = opts.root !== undefined ? `cd -- ${quoteLiteral(opts.root)}` : `cd -- "\${${submitDir}:-.}"`;
  lines.push(
    '#',
    `# eegen array driver for ${plan.members.length} bundle(s) (${plan.scheduler} array ${plan.spec}).`,
    `# Task i runs the bundle on line ${slurm ? 'i+1' : 'i'} of the list file (\`dir<TAB>script\`).`,
    'set -u',
    `${cdRoot} || { echo "eegen: cannot cd to the output directory" >&2; exit 2; }`,
    `list=${quoteLiteral(opts.listFile)}`,
    `task=\${${taskVar}:-}`,
    `case $task in ''|*[!0-9]*) echo "eegen: \\$${taskVar} is not set: submit this script as an array job" >&2; exit 2;; esac`,
    `[ -r "$list" ] || { echo "eegen: cannot read the array list $list in $PWD" >&2; exit 2; }`,
    `line=$(sed -n "$((task${slurm ? ' + 1' : ''}))p" "$list")`,
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
export function arraySubmitCommand(plan: ArrayPlan, driverPath: string): string {
  return plan.scheduler === 'slurm' ? `sbatch --parsable --array=${plan.spec} ${quoteLiteral(driverPath)}` : `bsub < ${quoteLiteral(driverPath)}`;
}
