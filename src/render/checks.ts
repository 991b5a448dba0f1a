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

/**
 * sbatch and bsub read directives only up to the first command; later ones are
 * silently ignored, so a job would run with the wrong resources. The first command is
 * the first line that is neither blank nor a comment. Directive-looking lines inside a
 * string or here-document (a template printing its directives into the log) are text.
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
  for (const i of candidates) {
    const line = lines[i]!;
    const m = top.has(i) ? /^#(SBATCH|BSUB)\b/.exec(line) : null;
    if (m) {
      const scheduler = m[1] === 'SBATCH' ? 'Slurm' : 'LSF';
      out.push(
        diag(
          C.directiveAfterCommand,
          `Line ${i + 1} of the rendered ${outputName} ("${line.length > 60 ? `${line.slice(0, 57)}...` : line}") comes after the first command on line ${first + 1}; ${scheduler} ignores it.`,
          { file: outputName, line: i + 1 },
          `Move the directive (or the placeholder that produces it) above the first command in ${templateFile}.`,
        ),
      );
    }
  }
  return out;
}
