/**
 * Glob matching, the only `picomatch` import. picomatch is the matcher fast-glob and
 * micromatch are built on, so `files:` entries and `--only` take the syntax users know
 * from them: `*`, `?`, `**`, `[25]`, `{a,b}`, `{1..3}`, extglobs `+(a|b)`, and a leading
 * `!` (negation, where the caller allows it).
 *
 * Two uses with different subjects:
 * - paths (`files:` globs): `/` separates segments, `*` stays inside one, `**` crosses
 *   them; dot files only where the pattern names a dot explicitly (fast-glob's default).
 * - bundle ids (`--only`): ids are `[A-Za-z0-9._+-]` only (bundle/id.ts), so `/` and a
 *   leading dot never occur and the path rules change nothing; `dot` is on anyway.
 *
 * `sweep.exclude` value globs are NOT matched here (expand/exclude.ts keeps its own
 * `*`/`?` rule): values are not paths, and picomatch would stop `*` at a `/` inside a
 * value and give `[`, `{`, `(` meaning in values that use them literally.
 */
import picomatch from 'picomatch';

export type Matcher = (subject: string) => boolean;

const BASE = { windows: false, nocase: false } as const;

/** A matcher for a path glob: `dot` false gives fast-glob's default (no dot files unless named). */
export function pathMatcher(pattern: string, dot = false): Matcher {
  return picomatch(pattern, { ...BASE, dot, nonegate: true });
}

/** A matcher for an exclusion path glob: dot files too (an exclusion should exclude them). */
export function exclusionMatcher(pattern: string): Matcher {
  return picomatch(pattern, { ...BASE, dot: true, nonegate: true });
}

/** A matcher for one `--only` pattern over bundle ids; a leading `!` negates it. */
export function idMatcher(pattern: string): Matcher {
  return picomatch(pattern, { ...BASE, dot: true });
}

/** Whether `pattern` has glob syntax at all (a plain path or id does not). */
export function isGlob(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}

/**
 * A glob split at its static base: `src/lib/**\/*.py` -> base `src/lib`, glob `**\/*.py`,
 * and the glob's segments (a brace with a `/` inside stays one segment).
 */
export function splitGlob(pattern: string): { base: string; glob: string; parts: string[] } {
  const s = picomatch.scan(pattern);
  const parts = s.glob === '' ? [] : (picomatch.scan(s.glob, { parts: true }).parts ?? [s.glob]);
  return { base: s.base, glob: s.glob, parts };
}
