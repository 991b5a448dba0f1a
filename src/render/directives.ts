/**
 * Scheduler directive blocks (#SBATCH for Slurm, #BSUB for LSF) from a merged set of
 * directives and resources. The site knowledge (which partition, account, gres a GPU
 * type needs) lives in profiles/*.yaml; this file only knows each scheduler's syntax.
 */
import { placeDirectiveValue } from '../shell/directive.js';
import { checkText, ShellQuoteError } from '../shell/quote.js';
import type { DirectiveSet, Scheduler } from '../types.js';

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

type Merged = DirectiveSet & Resources;

/**
 * A directive argument as exactly one word for the scheduler (shell/directive.ts): as is
 * when plain, else double-quoted; sbatch gets \\ and \" escaped, #BSUB refuses " and \.
 */
function arg(value: unknown, what: string, line: string): string {
  const s = typeof value === 'string' ? value : String(value);
  try {
    return placeDirectiveValue(s, line, line.startsWith('#SBATCH') ? 'slurm' : 'strict');
  } catch (e) {
    if (e instanceof ShellQuoteError) throw new ShellQuoteError(e.reason, `the directive value for ${what} ${e.reason === 'unsafe' ? 'cannot be passed as one word' : 'is not a single printable line'} (${e.message})`);
    throw e;
  }
}

/** A raw directive argument (`extra`): verbatim, but one printable line. */
function raw(value: unknown): string {
  const s = String(value);
  try {
    checkText(s, true);
  } catch (e) {
    if (e instanceof ShellQuoteError) throw new ShellQuoteError(e.reason, `the extra directive "${s.split('\n')[0]}" is not a single printable line (${e.message})`);
    throw e;
  }
  return s;
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/**
 * Each key's #SBATCH option, in eegen's order for keys no site entry orders
 * (directive-table.ts mergeDirectives puts a site entry's own keys first, in its order).
 */
export const SLURM_OPTIONS: readonly (readonly [keyof Merged, string])[] = [
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

/** Slurm time ("MM", "MM:SS", "HH:MM:SS", "D-HH[:MM[:SS]]", or minutes) as LSF's "H:MM". */
export function lsfTime(time: string | number): string {
  let minutes: number | undefined;
  if (typeof time === 'number') minutes = time;
  else {
    const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time.trim());
    if (m) {
      const [, d, a, b, c] = m;
      const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x));
      if (d !== undefined) minutes = n(d) * 1440 + n(a) * 60 + n(b) + (c !== undefined && n(c) > 0 ? 1 : 0);
      else if (c !== undefined) minutes = n(a) * 60 + n(b) + (n(c) > 0 ? 1 : 0);
      else if (b !== undefined) minutes = n(a) + (n(b) > 0 ? 1 : 0);
      else minutes = n(a);
    }
  }
  if (minutes === undefined || !Number.isFinite(minutes)) return String(time);
  const whole = Math.ceil(minutes);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** LSF memory: "32G" -> "32GB" (LSF's unit names), numbers as written. */
function lsfMem(mem: string | number): string {
  return typeof mem === 'string' ? mem.replace(/^(\d+(?:\.\d+)?)\s*([KMGTP])$/i, (_m, n: string, u: string) => `${n}${u.toUpperCase()}B`) : String(mem);
}

/** One line per set key, in the order of `d`'s keys (cloudmesh-rivanna writes a table entry's keys in their order). */
function slurmBlock(d: Merged): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(d) as (keyof Merged)[]) {
    const flag = SLURM_FLAG.get(key);
    if (flag !== undefined && present(d[key])) lines.push(`#SBATCH --${flag}=${arg(d[key], key, `#SBATCH --${flag}=`)}`);
  }
  for (const x of d.extra ?? []) lines.push(`#SBATCH ${raw(x)}`);
  return lines;
}

function lsfBlock(d: Merged): string[] {
  const lines: string[] = [];
  const add = (flag: string, v: unknown, what: string): void => {
    if (present(v)) lines.push(`#BSUB ${flag} ${arg(v, what, `#BSUB ${flag} `)}`);
  };
  add('-J', d.job_name, 'job_name');
  add('-q', d.partition, 'partition');
  add('-P', d.account, 'account');
  add('-U', d.reservation, 'reservation');
  if (present(d.constraint)) add('-R', `select[${String(d.constraint)}]`, 'constraint');
  if (present(d.time)) add('-W', lsfTime(d.time!), 'time');
  add('-nnodes', d.nodes, 'nodes');
  const perNode = d.ntasks_per_node;
  const tasks = present(d.ntasks) ? d.ntasks : present(perNode) && present(d.nodes) ? Number(d.nodes) * Number(perNode) : undefined;
  add('-n', tasks, 'ntasks');
  if (present(perNode)) add('-R', `span[ptile=${String(perNode)}]`, 'ntasks_per_node');
  if (present(d.cpus_per_task)) add('-R', `affinity[core(${String(d.cpus_per_task)})]`, 'cpus_per_task');
  if (present(d.mem)) add('-M', lsfMem(d.mem!), 'mem');
  const gpus = present(d.gpus_per_node) ? d.gpus_per_node : d.gpus;
  if (present(gpus)) add('-gpu', `num=${String(gpus)}`, 'gpus');
  add('-o', d.output, 'output');
  add('-e', d.error, 'error');
  for (const x of d.extra ?? []) lines.push(`#BSUB ${raw(x)}`);
  return lines;
}

/**
 * The directive lines for `scheduler`, one per set key, joined by newlines (no trailing
 * newline); '' for bash. Slurm: `#SBATCH --partition=gpu` ..., in the order of the keys of
 * `d` (mergeDirectives: a site entry's keys in the entry's order, as cloudmesh-rivanna
 * writes them, then the rest in SLURM_OPTIONS order).
 * LSF, in a fixed order: `#BSUB -q queue`, -P account, -U reservation, -W H:MM, -n tasks,
 * -R span[ptile=N], -M mem, -gpu num=N, -o/-e (`qos` and `gres` are Slurm-only).
 * `extra` entries are written verbatim after the directive prefix. Throws
 * ShellQuoteError for a value that is not one printable line.
 */
export function directiveBlock(scheduler: Scheduler, d: DirectiveSet & Resources): string {
  if (scheduler === 'slurm') return slurmBlock(d).join('\n');
  if (scheduler === 'lsf') return lsfBlock(d).join('\n');
  return '';
}
