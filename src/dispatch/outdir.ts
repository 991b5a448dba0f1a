/** Reading a build's output directory: the bundles `index.json` lists. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diag, DiagnosticError } from '../diagnostics/index.js';
import { globToRegExp } from '../expand/exclude.js';
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
  try {
    return JSON.parse(text) as BuildIndex;
  } catch (e) {
    throw new DiagnosticError(diag('EG6003', `${file} is not valid JSON (${(e as Error).message}).`, undefined, 'Rebuild the bundles with eegen build.'));
  }
}

/** `--only` patterns: globs (`*`, `?`) over bundle ids; none means all. */
export function selectBundles<T extends { id: string }>(bundles: readonly T[], only: readonly string[] | undefined): T[] {
  if (!only?.length) return [...bundles];
  const res = only.map(globToRegExp);
  return bundles.filter((b) => res.some((r) => r.test(b.id)));
}
