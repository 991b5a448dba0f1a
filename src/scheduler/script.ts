/**
 * What a scheduler reads of a job script: the directive lines of its leading block, after
 * the `#!` line, up to the first line that is neither blank nor a comment (where sbatch and
 * bsub stop reading them).
 */

/** The arguments (text after the prefix, trimmed) of each `prefix` line of the leading block. */
export function leadingDirectives(scriptText: string, prefix: string): string[] {
  const out: string[] = [];
  const lines = String(scriptText ?? '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (i === 0 && line.startsWith('#!')) continue;
    if (line === '') continue;
    if (!line.startsWith('#')) break;
    if (line.startsWith(prefix) && /\s/.test(line.charAt(prefix.length))) {
      const rest = line.slice(prefix.length).trim();
      if (rest) out.push(rest);
    }
  }
  return out;
}

/**
 * Every word of the leading block's `prefix` lines, split as the scheduler splits them
 * (`split`: shell/directive.ts's sbatchWords or lsfWords); a line the scheduler would
 * refuse (an unclosed quote) gives no words.
 */
export function directiveWords(scriptText: string, prefix: string, split: (args: string) => string[]): string[] {
  return leadingDirectives(scriptText, prefix).flatMap((args) => {
    try {
      return split(args);
    } catch {
      return [];
    }
  });
}

/**
 * The value of the last option among `names` in directive words: `--output=X`, `--output X`,
 * `-o X`, and with `glued` (getopt's one-letter options, not LSF's) `-oX`. Undefined when none is given.
 */
export function lastOption(words: readonly string[], names: readonly string[], glued = true): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    for (const n of names) {
      if (w === n) value = words[++i];
      else if (n.startsWith('--') && w.startsWith(`${n}=`)) value = w.slice(n.length + 1);
      else if (glued && /^-[A-Za-z]$/.test(n) && w.startsWith(n) && w.length > 2) value = w.slice(2);
      else continue;
      break;
    }
  }
  return value;
}

/** `p` seen from the submit directory when the job runs in `dir` (absolute, or relative to it). */
export function underDir(p: string, dir: string | undefined): string {
  if (p.startsWith('/') || dir === undefined || dir === '' || dir === '.') return p;
  return `${dir.replace(/\/+$/, '')}/${p}`;
}
