/** Checks on a rendered script, whatever produced it. */
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { firstCommandOffset } from '../shell/directive.js';
import { scanShell } from '../shell/scan.js';
import { RENDER_CODES as C } from './codes.js';

/**
 * Which of `lines` (indexes) start at the top level of the script: not inside a quoted
 * string, a here-document or a substitution. A token is put at the start of each and the
 * shell scanner says where it landed: `echo "{slurm.sbatch}"` prints directive lines as
 * text, which is no directive for sbatch, while a real `#SBATCH` line is a comment word.
 */
function atTopLevel(lines: string[], candidates: number[]): Set<number> {
  const marked = lines.slice();
  for (const [k, i] of candidates.entries()) marked[i] = `\u0001${k}\u0002${marked[i]}`;
  const top = new Set<number>();
  for (const slot of scanShell(marked.join('\n'), { tokens: true }).slots) {
    if (slot.context === 'unquoted' && !slot.inBackticks && slot.heredocs.length === 0) top.add(candidates[Number(slot.name)]!);
  }
  return top;
}

const excerpt = (line: string): string => (line.length > 60 ? `${line.slice(0, 57)}...` : line);

/**
 * Directive lines after the first command (the first line that is neither blank nor a
 * comment), which the two schedulers treat differently:
 *
 *   - sbatch reads #SBATCH lines only up to the first command and ignores later ones, so
 *     the job would run with other resources than written: an error (EG4008). A line that
 *     is text for the shell (`echo "{slurm.sbatch}"` printing the block into the log, a
 *     here-document) is no directive for anyone and is fine.
 *   - bsub reads every line that starts with #BSUB, wherever it is in the script (IBM
 *     Spectrum LSF, bsub job_script: the example's `#BSUB -P myproj` after its commands is
 *     applied; bsub command: options in the standard input "if the line begins with
 *     #BSUB", no word of position), and it does not parse the shell: a #BSUB line inside a
 *     quoted string or a here-document is applied as well. So a later #BSUB line is not
 *     ignored but applied, possibly unnoticed: a warning (EG4014), unless the header above
 *     the first command already has the same line (the block printed into the log again
 *     applies nothing new).
 */
export function checkDirectivePlacement(text: string, outputName: string, templateFile: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = text.split('\n');
  const at = firstCommandOffset(text);
  if (at >= text.length) return out;
  let first = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < at; k = text.indexOf('\n', k + 1)) first++;
  const candidates: number[] = [];
  for (let i = first + 1; i < lines.length; i++) if (/^#(SBATCH|BSUB)\b/.test(lines[i]!)) candidates.push(i);
  if (!candidates.length) return out;
  const top = atTopLevel(lines, candidates);
  const header = new Set(lines.slice(0, first).filter((l) => /^#BSUB\b/.test(l)).map((l) => l.trimEnd()));
  for (const i of candidates) {
    const line = lines[i]!;
    const where = `Line ${i + 1} of the rendered ${outputName} ("${excerpt(line)}") comes after the first command on line ${first + 1}`;
    if (line.startsWith('#SBATCH')) {
      if (!top.has(i)) continue;
      out.push(diag(C.directiveAfterCommand, `${where}; sbatch ignores #SBATCH lines after the first command.`, { file: outputName, line: i + 1 }, `Move the directive (or the placeholder that produces it) above the first command in ${templateFile}.`));
    } else if (!header.has(line.trimEnd())) {
      const inText = !top.has(i);
      out.push(
        diag(
          C.bsubAfterCommand,
          `${where}; LSF still applies it: bsub reads every line that starts with #BSUB, wherever it is in the script${inText ? ', also this one inside a quoted string or here-document' : ''}.`,
          { file: outputName, line: i + 1 },
          inText
            ? `If the line is text, keep it from starting with #BSUB in ${templateFile} (indent it, or print a prefix before it); if it is a directive, move it above the first command.`
            : `Move it above the first command in ${templateFile}, where the other directives are, so the script says in one place what LSF applies.`,
          'warning',
        ),
      );
    }
  }
  return out;
}
