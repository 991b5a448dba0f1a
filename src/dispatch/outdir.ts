/** Reading a build's output directory: the bundles `index.json` lists. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import { nearest } from '../diagnostics/suggest.js';
import { idMatcher, isGlob, type Matcher } from '../load/glob.js';
import { LAYOUT, type Mapping, type Scheduler } from '../types.js';

export interface IndexedBundle {
  id: string;
  dir: string;
  index: number;
  script: string;
  scheduler: Scheduler;
  hash: string;
  params: Mapping;
}

export interface BuildIndex {
  name?: string;
  varying: string[];
  bundles: IndexedBundle[];
}

export async function readIndex(outDir: string): Promise<BuildIndex> {
  const file = path.join(outDir, LAYOUT.index);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new DiagnosticError(diag('EG6002', `${outDir} has no ${LAYOUT.index}: it is not an eegen output directory.`, undefined, 'Build first: eegen build CONFIG --out DIR, then pass that DIR.'));
  }
  let index: BuildIndex;
  try {
    index = JSON.parse(text) as BuildIndex;
  } catch (e) {
    throw new DiagnosticError(diag('EG6003', `${file} is not valid JSON (${(e as Error).message}).`, undefined, 'Rebuild the bundles with eegen build.'));
  }
  return index;
}

/**
 * `--only` patterns: globs over bundle ids (picomatch: `*`, `?`, `[25]`, `{a,b}`,
 * `{1..3}`, `+(a|b)`); a pattern starting with `!` leaves out the ids it matches. An id
 * is selected when some plain pattern matches it (or there is none) and no `!` pattern
 * does. None means all. Each element is one pattern, commas and all (`{a,b}`); the CLI
 * splits a comma-separated --only between patterns, never inside one. Patterns that select
 * no bundle are an error (EG6004) naming `out`, the directory the bundles came from: every
 * dispatch command would otherwise quietly do nothing.
 */
export function selectBundles<T extends { id: string }>(bundles: readonly T[], only: readonly string[] | undefined, out?: string): T[] {
  if (!only?.length) return [...bundles];
  const patterns = [...only];
  const keep: Matcher[] = [];
  const drop: Matcher[] = [];
  // Plain ids (no glob syntax) are looked up, not matched: a caller naming 1,000 bundles
  // would otherwise match every bundle against every pattern.
  const keepIds = new Set<string>();
  for (const p of patterns) {
    if (p.startsWith('!') && !p.startsWith('!(')) drop.push(idMatcher(p.slice(1)));
    else if (/^[A-Za-z0-9_.-]+$/.test(p) && !isGlob(p)) keepIds.add(p);
    else keep.push(idMatcher(p));
  }
  const kept = (id: string): boolean => (keep.length === 0 && keepIds.size === 0) || keepIds.has(id) || keep.some((m) => m(id));
  const selected = bundles.filter((b) => kept(b.id) && !drop.some((m) => m(b.id)));
  if (selected.length === 0) throw new DiagnosticError(noMatch(bundles, patterns, out));
  return selected;
}

function noMatch(bundles: readonly { id: string }[], patterns: string[], out: string | undefined): Diagnostic {
  const shown = patterns.map((p) => `'${p}'`).join(', ');
  const where = out === undefined ? '' : ` in ${out}`;
  const plain = patterns.find((p) => !isGlob(p));
  const near = plain === undefined ? undefined : nearest(plain, bundles.map((b) => b.id));
  const example = bundles[0]?.id;
  const message = bundles.length === 0 ? `--only ${shown} matches nothing: there are no bundles${where}.` : `--only ${shown} matches none of the ${bundles.length} bundle${bundles.length === 1 ? '' : 's'}${where}; ids look like ${example}.`;
  const hint = near !== undefined ? `Did you mean ${near}? ` : '';
  return diag('EG6004', message, undefined, `${hint}--only takes globs over bundle ids: * ? [25] {a,b} (one per --only, or comma-separated), and !PATTERN to leave ids out; quote them for the shell. The ids are the directory names in the output directory.`);
}
