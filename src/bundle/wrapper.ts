/**
 * The run wrapper: `runtime/eegen-run.sh`, copied into every bundle as `eegen-run.sh`
 * (RUN_LAYOUT.wrapper). The generated job script gets one hook line before its first
 * command; run any way (sbatch, bsub, `bash job.sh`), the script `exec`s the wrapper, which
 * runs the script again as a child with EEGEN_WRAPPED=1 and records `start` / `end` (the
 * real exit status or the signal) in `eegen-run/events.jsonl` (docs/formats.md).
 */
import { readFileSync } from 'node:fs';

/**
 * The hook line. Under Slurm / LSF the wrapper is found in the submit directory (sbatch and
 * bsub are run from the bundle directory; `$0` is then the scheduler's spool copy of the
 * script), otherwise beside the script.
 */
export const WRAPPER_HOOK =
  '[ -n "${EEGEN_WRAPPED:-}" ] || exec bash "${SLURM_SUBMIT_DIR:-${LS_SUBCWD:-$(cd "$(dirname "$0")" && pwd)}}/eegen-run.sh" "$0" "$@"';

let cachedText: string | undefined;

/** The wrapper's text (`runtime/eegen-run.sh` of this package; two levels above src/dispatch and dist/dispatch). */
export function wrapperText(): string {
  cachedText ??= readFileSync(new URL('../../runtime/eegen-run.sh', import.meta.url), 'utf8');
  return cachedText;
}

/**
 * Inserts WRAPPER_HOOK before the script's first command: after the shebang, blank lines,
 * comments and scheduler directives (`#SBATCH`, `#BSUB`, ...), which must stay before the
 * first command to count. A script without a command gets the hook at its end. A script
 * that already has the hook is returned unchanged.
 */
export function insertHook(script: string): string {
  // Common case, without splitting the whole script: `\n` line ends only and no hook
  // text anywhere (so no line can be the hook). Same result as the general case below.
  if (!script.includes('\r\n') && !script.includes(WRAPPER_HOOK)) {
    for (let start = 0; start <= script.length; ) {
      let end = script.indexOf('\n', start);
      if (end < 0) end = script.length;
      const t = script.slice(start, end).trim();
      if (t !== '' && !t.startsWith('#')) return `${script.slice(0, start)}${WRAPPER_HOOK}\n${script.slice(start)}`;
      start = end + 1;
    }
    // No command: append (keeping a final newline).
    const body = script === '' || script.endsWith('\n') ? script : script + '\n';
    return `${body}${WRAPPER_HOOK}\n`;
  }
  const eol = script.includes('\r\n') ? '\r\n' : '\n';
  const lines = script.split(/\r?\n/);
  if (lines.some((l) => l.trim() === WRAPPER_HOOK)) return script;
  const at = lines.findIndex((l) => {
    const t = l.trim();
    return t !== '' && !t.startsWith('#');
  });
  if (at >= 0) {
    lines.splice(at, 0, WRAPPER_HOOK);
    return lines.join(eol);
  }
  // No command: append (keeping a final newline).
  const body = script === '' || script.endsWith('\n') ? script : script + eol;
  return `${body}${WRAPPER_HOOK}${eol}`;
}
