/**
 * The placeholder grammar, shared by config values, cloudmesh templates (NAME.in.slurm)
 * and shell-text config fields. There is exactly one implementation: this file.
 *
 * A placeholder is `{name}` or `{name.path.more}`:
 *   - segments are identifiers `[A-Za-z_][A-Za-z0-9_-]*`, separated by dots;
 *   - the `{` is not preceded by `$` (so `${VAR}` and `${VAR:-x}` are shell, not ours);
 *   - the first segment is a top-level key of the config, or one of the provided
 *     namespaces below.
 * Everything else in braces is left untouched, byte for byte: `${VAR}`, `$(cmd)`, awk
 * programs `'{print $2}'`, brace expansion `{a,b}`, JSON `{"a": 1}`, Python format
 * fields `{x:.2f}`, `{}`, and `{word}` / `{obj.attr}` whose first segment is not a key.
 *
 * Provided namespaces (a config key of the same name wins, except for `os`, `bundle` and
 * `{ee.identifier}`):
 *   experiment   this bundle's parameters (the config's `experiment:` with single values)
 *   os           `{os.USER}`, `{os.HOME}`, `{os.NAME}`: from the host profile (user, home,
 *                env); when the profile lacks it, expanded by the job's shell at run time.
 *                The environment of the machine running eegen is never read.
 *   ee, sbatch   the config's `ee:` section (`sbatch:` is its older name; either spelling
 *                reaches either section); `{ee.identifier}` is the bundle id.
 *   identifier   the config's own `identifier:` template, resolved; the bundle id if absent.
 *   host         the host profile (name, hostname, user, home, workdir, ...).
 *   bundle       `{bundle.id}`, `{bundle.index}`, in templates also `{bundle.script}`.
 *   slurm, lsf   templates only: `{slurm.sbatch}` is the #SBATCH block for this bundle,
 *                `{lsf.bsub}` the #BSUB block.
 */

export const PROVIDED_NAMESPACES = ['experiment', 'os', 'ee', 'sbatch', 'slurm', 'lsf', 'identifier', 'host', 'bundle'] as const;

// Segments are SEGMENT = [A-Za-z_][A-Za-z0-9_-]*; a placeholder is \{SEGMENT(\.SEGMENT)*\}.
// matchPlaceholderAt scans that by hand (no regex match, no split): this runs for every
// `{` of every config string and template of every bundle.

/** [A-Za-z_] */
function segmentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** [A-Za-z0-9_-] */
function segmentPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

export interface PlaceholderMatch {
  /** Offset of `{`. */
  start: number;
  /** Offset after `}`. */
  end: number;
  /** The dotted name, e.g. `experiment.epoch`. */
  name: string;
  path: string[];
}

/** The `{dotted.name}` starting at offset `i`, if there is one (first segment not yet checked). */
export function matchPlaceholderAt(text: string, i: number): PlaceholderMatch | undefined {
  if (text.charCodeAt(i) !== 123 /* { */ || text[i - 1] === '$') return undefined;
  const path: string[] = [];
  let j = i + 1;
  for (;;) {
    const from = j;
    if (!segmentStart(text.charCodeAt(j))) return undefined;
    j++;
    while (segmentPart(text.charCodeAt(j))) j++;
    path.push(text.slice(from, j));
    const c = text.charCodeAt(j);
    if (c === 125 /* } */) break;
    if (c !== 46 /* . */) return undefined;
    j++;
  }
  return { start: i, end: j + 1, name: path.length === 1 ? path[0]! : text.slice(i + 1, j), path };
}

/** Every `{dotted.name}` in `text`, in order, whatever its first segment. */
export function findCandidates(text: string): PlaceholderMatch[] {
  const out: PlaceholderMatch[] = [];
  for (let i = text.indexOf('{'); i >= 0; ) {
    const m = matchPlaceholderAt(text, i);
    if (m) out.push(m);
    i = text.indexOf('{', m ? m.end : i + 1);
  }
  return out;
}

/** The names that start a placeholder for this config: its top-level keys and the namespaces. */
export function placeholderRoots(config: object): Set<string> {
  return new Set<string>([...PROVIDED_NAMESPACES, ...Object.keys(config)]);
}

/** A string that is exactly one placeholder, e.g. `"{experiment.epoch}"`, keeps the value's type. */
export function wholePlaceholder(text: string, roots: ReadonlySet<string>): PlaceholderMatch | undefined {
  const m = matchPlaceholderAt(text, 0);
  return m && m.end === text.length && roots.has(m.path[0]!) ? m : undefined;
}
