/**
 * Scheduler directive blocks from a merged set of directives and resources: the scheduler's
 * adapter (src/scheduler/, DirectiveSyntax.block) writes the lines, this file quotes each
 * value as that scheduler splits its directive lines into words. The site knowledge (which
 * partition, account, gres a GPU type needs) lives in profiles/*.yaml.
 */
import { placeDirectiveValue, type DirectiveKind } from '../shell/directive.js';
import { checkText, ShellQuoteError } from '../shell/quote.js';
import { schedulerNamed } from '../scheduler/registry.js';
import type { DirectiveWriter } from '../scheduler/types.js';
import type { DirectiveSet, DirectiveValues, Resources, Scheduler } from '../types.js';

export type { Resources };


/**
 * A directive argument as exactly one word for the scheduler (shell/directive.ts): as is
 * when plain, else double-quoted; sbatch gets \\ and \" escaped, #BSUB refuses " and \.
 */
function arg(value: unknown, what: string, line: string, kind: DirectiveKind): string {
  const s = typeof value === 'string' ? value : String(value);
  try {
    return placeDirectiveValue(s, line, kind);
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

/** What a scheduler's directive block writer quotes its values with: as the scheduler splits its directive lines into words. */
const WRITERS = new Map<DirectiveKind, DirectiveWriter>();
function writerFor(kind: DirectiveKind): DirectiveWriter {
  let w = WRITERS.get(kind);
  if (!w) WRITERS.set(kind, (w = { arg: (value, what, line) => arg(value, what, line, kind), raw, present }));
  return w;
}

export { SLURM_OPTIONS } from '../scheduler/slurm.js';
export { lsfTime } from '../scheduler/lsf.js';

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
  const syntax = schedulerNamed(scheduler)?.directives;
  return syntax ? syntax.block(d, writerFor(syntax.words)).join('\n') : '';
}
