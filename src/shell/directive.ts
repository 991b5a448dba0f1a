/**
 * Values on scheduler directive lines (#SBATCH, #SLURM, #BSUB, #PBS).
 *
 * sbatch (Slurm 22.05, src/sbatch/opt.c `_get_argument`) splits a directive line into
 * words itself, no shell involved. Measured with the real sbatch (test/render/directive-sbatch.real.test.ts):
 *   - blanks end a word, except inside '...' or "..."; quotes are removed and join text
 *   - a backslash takes the next character literally, also inside quotes (`'a\'b'` is a'b),
 *     but a backslash before a blank does not keep the blank in the word
 *   - an unquoted `#` ends the line (the rest is a comment)
 *   - a word with no characters (`""`) ends the line: the next line's first word becomes
 *     the argument of an option left open (`--comment ""` took `--output=...`)
 *   - a word `hetjob` / `packjob` (any case) at the start of a line splits the job
 *   - all #SBATCH lines above the first command form one argument list; sbatch also reads
 *     #SLURM lines, and #BSUB / #PBS lines (its wrappers) anywhere in the first 100 lines.
 * LSF's bsub reads #BSUB lines; its word splitting is documented only by example
 * (`#BSUB -J "my job"`), so the model here (`lsfWords`) is: blanks split, "..." and '...'
 * group, nothing is escaped. #BSUB and #PBS lines therefore take a value only as it is
 * when plain, else in double quotes without `"` or `\` inside, so that every model reads
 * it the same; anything else is refused.
 *
 * After placing values, `verifyDirectiveLine` re-reads the finished line with the
 * models and refuses it unless each word is exactly the template's word with the values
 * put in: no value adds, removes or splits a word.
 */
import { checkText, ShellQuoteError } from './quote.js';

/**
 * How a directive line is read: `slurm`, sbatch's model alone (its #SBATCH / #SLURM lines);
 * `strict`, every model at once (#BSUB, #PBS: bsub and sbatch both read them). A
 * scheduler's adapter (scheduler/) names the kind of its directive lines.
 */
export type DirectiveKind = 'slurm' | 'strict';

/** Directive prefixes and the kind of line each starts. */
const KINDS: readonly (readonly [string, DirectiveKind])[] = [
  ['#SBATCH', 'slurm'],
  ['#SLURM', 'slurm'],
  ['#BSUB', 'strict'],
  ['#PBS', 'strict'],
];

/** The kind of directive line `line` (column 0) is for some scheduler, or undefined. */
export function directiveKind(line: string): DirectiveKind | undefined {
  return KINDS.find(([prefix]) => line.startsWith(prefix))?.[1];
}

const PREFIX = /^#(SBATCH|SLURM|BSUB|PBS)/;
/** Does a line starting at `offset` of `text` begin with a directive prefix? */
export function startsDirective(text: string, offset: number): boolean {
  return PREFIX.test(text.slice(offset, offset + 7));
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r';

/** sbatch's words of a directive line's arguments (`text` after the magic word); stops where sbatch stops. */
export function sbatchWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isBlank(text[i]!)) i++;
    if (i >= text.length) return words;
    let word = '';
    let quote = '';
    let escape = false;
    let chars = 0;
    while (i < text.length && (quote || !isBlank(text[i]!)) && text[i] !== '\n') {
      const c = text[i]!;
      if (escape) escape = false;
      else if (c === '\\') {
        escape = true;
        i++;
        continue;
      } else if (quote) {
        if (c === quote) {
          quote = '';
          i++;
          continue;
        }
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      } else if (c === '#') {
        // An unquoted # ends the line.
        if (chars) words.push(word);
        return words;
      }
      word += c;
      chars++;
      i++;
    }
    if (quote) throw new ShellQuoteError('unsafe', `sbatch would stop at an unmatched ${quote}`);
    if (!chars) return words; // an empty word ends sbatch's reading of the line
    words.push(word);
  }
}

/** The LSF model: blanks split, "..." and '...' group, no escapes. */
export function lsfWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isBlank(text[i]!)) i++;
    if (i >= text.length) return words;
    let word = '';
    let quote = '';
    while (i < text.length && (quote || !isBlank(text[i]!))) {
      const c = text[i]!;
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else word += c;
      i++;
    }
    if (quote) throw new ShellQuoteError('unsafe', `bsub would stop at an unmatched ${quote}`);
    words.push(word);
  }
}

/** Where a value starts on a directive line, seen by sbatch's rules. */
type Position = 'blank' | 'word' | 'double' | 'single' | 'escaped' | 'comment';

function positionAt(args: string): Position {
  let quote = '';
  let escape = false;
  let inWord = false;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (escape) {
      escape = false;
      inWord = true;
    } else if (c === '\\') escape = true;
    else if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (isBlank(c)) inWord = false;
    else if (c === '#') return 'comment';
    else inWord = true;
  }
  if (escape) return 'escaped';
  if (quote) return quote === '"' ? 'double' : 'single';
  return inWord ? 'word' : 'blank';
}

/** Written as is: same bytes for every model. A leading `:` is quoted (sbatch stops at `:` opening a word). */
const PLAIN = /^[A-Za-z0-9_@%+=,./\-[\]][A-Za-z0-9_@%+=:,./\-[\]]*$/;
const HETJOB = /hetjob|packjob/i;

/**
 * The text for `value` placed at the end of `before` (the line so far, from column 0,
 * earlier values already placed) on a directive line of `kind`.
 */
export function placeDirectiveValue(value: string, before: string, kind: DirectiveKind): string {
  checkText(value, true);
  const prefix = PREFIX.exec(before)?.[0] ?? '';
  const where = positionAt(before.slice(prefix.length));
  if (where === 'comment') return value; // after an unquoted #: the scheduler does not read it
  if (where === 'escaped') throw new ShellQuoteError('unsafe', 'a backslash right before it would change how the scheduler splits the value; remove the backslash');
  if (value === '') return '';
  if (kind === 'strict') {
    if (/["\\]/.test(value)) throw new ShellQuoteError('unsafe', 'on a #BSUB/#PBS line a value with " or \\ cannot be passed as exactly one word');
    if (where === 'single' && value.includes("'")) throw new ShellQuoteError('unsafe', "on a #BSUB/#PBS line a value with ' cannot be placed inside '...'");
    if (where === 'double' || where === 'single') return value;
    return PLAIN.test(value) ? value : `"${value}"`;
  }
  if (where === 'double') return value.replace(/["\\]/g, '\\$&');
  if (where === 'single') return value.replace(/['\\]/g, '\\$&');
  return PLAIN.test(value) && !HETJOB.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The word models a line of each kind must satisfy, and whether a word can start a new job component (sbatch's hetjob). */
const MODELS: Record<DirectiveKind, { models: ((text: string) => string[])[]; hetjob: boolean }> = {
  slurm: { models: [sbatchWords], hetjob: true },
  strict: { models: [sbatchWords, lsfWords], hetjob: false },
};

/**
 * Check a finished directive line. `template` is the line with each value replaced by
 * a marker character (`markers[k]`), `values[k]` what the marker stands for, `output` the
 * line as rendered. Throws unless the scheduler reads exactly the template's words with
 * the values substituted.
 */
export function verifyDirectiveLine(template: string, markers: string[], values: string[], output: string, kind: DirectiveKind): void {
  const prefix = PREFIX.exec(template)?.[0] ?? '';
  const fill = (w: string): string => markers.reduce((s, m, k) => s.split(m).join(values[k]!), w);
  const { models, hetjob } = MODELS[kind];
  for (const words of models) {
    const expected = words(template.slice(prefix.length)).map(fill);
    const actual = words(output.slice(prefix.length));
    const sameWords = expected.length === actual.length && expected.every((w, k) => w === actual[k]);
    if (!sameWords) throw new ShellQuoteError('unsafe', `the scheduler would read this directive line as ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`);
    if (hetjob) {
      const first = actual[0];
      if (first !== undefined && /^(hetjob|packjob)$/i.test(first) && !/^\s*(hetjob|packjob)\b/i.test(template.slice(prefix.length)))
        throw new ShellQuoteError('unsafe', 'a value would start a new heterogeneous job component (hetjob)');
    }
  }
}

/**
 * Offset of the first line that is neither blank nor a comment: the first command, where
 * sbatch and bsub stop reading directives; the text's length if there is none.
 */
export function firstCommandOffset(text: string): number {
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl;
    const t = text.slice(at, end).trim();
    if (t !== '' && !t.startsWith('#')) return at;
    at = end + 1;
  }
  return text.length;
}
