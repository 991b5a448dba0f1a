/** Checks on a rendered script, whatever produced it. */
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { RENDER_CODES as C } from './codes.js';

/**
 * sbatch and bsub read directives only up to the first command; later ones are
 * silently ignored, so a job would run with the wrong resources. The first command is
 * the first line that is neither blank nor a comment.
 */
export function checkDirectivePlacement(text: string, outputName: string, templateFile: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = text.split('\n');
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (first < 0) {
      const t = line.trim();
      if (t !== '' && !t.startsWith('#')) first = i;
      continue;
    }
    const m = /^#(SBATCH|BSUB)\b/.exec(line);
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
