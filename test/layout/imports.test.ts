/**
 * The import rule (ARCHITECTURE.md, "Layout"): the compiler side (load, validate, expand,
 * resolve, render, bundle, write, verify, and what they share) never imports the
 * dispatcher, the CLI or a service; the dispatcher never imports the CLI; and the folders
 * of the source tree import each other without cycles. Every static import, `export ...
 * from`, `import('...')` and `import('...').Type` counts, type-only ones included: a type
 * import is coupling too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const SRC = path.join(ROOT, 'src');

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative module specifiers of a file, resolved to src-relative paths without extension. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(path.relative(SRC, path.resolve(path.dirname(file), m[1]!)).replace(/\.(js|ts)$/, ''));
  return out;
}

type Side = 'cli' | 'dispatch' | 'server' | 'workflow' | 'entry' | 'compiler';
function sideOf(mod: string): Side {
  const top = mod.split('/')[0]!;
  if (mod === 'index') return 'entry';
  if (top === 'cli' || top === 'dispatch' || top === 'server' || top === 'workflow') return top;
  return 'compiler';
}
/** What each side may not import. */
const FORBIDDEN: Record<Side, Side[]> = {
  compiler: ['dispatch', 'cli', 'server', 'workflow', 'entry'],
  dispatch: ['cli', 'server', 'workflow', 'entry'],
  workflow: ['cli', 'server', 'entry'],
  server: ['cli', 'entry'],
  cli: ['entry'],
  entry: [],
};
/** A folder of src, or a top-level file: the units the no-cycle rule is about. */
const unitOf = (mod: string): string => (mod.includes('/') ? mod.split('/')[0]! : mod);

const edges = sources().flatMap((f) => {
  const from = path.relative(SRC, f).replace(/\.ts$/, '');
  return importsOf(f).map((to) => ({ from, to }));
});

describe('the import rule', () => {
  it('finds the imports it is about (a parse that finds none would pass anything)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(importsOf(path.join(SRC, 'x/y.ts'), `import type { A } from '../dispatch/a.js';\nexport { b } from './b.js';\nconst c = await import('../cli/c.js');\nlet d: import('../server/d.js').D;\nimport './side.js';`)).toEqual(['dispatch/a', 'x/b', 'cli/c', 'server/d', 'x/side']);
  });

  it('the compiler side never imports the dispatcher, the CLI or a service; the dispatcher never the CLI', () => {
    const bad = edges.filter((e) => FORBIDDEN[sideOf(e.from)].includes(sideOf(e.to))).map((e) => `${e.from} -> ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('folders import each other without cycles', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) {
      const a = unitOf(e.from);
      const b = unitOf(e.to);
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (n: string, trail: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'open') return void cycles.push([...trail.slice(trail.indexOf(n)), n].join(' -> '));
      state.set(n, 'open');
      for (const m of [...(graph.get(n) ?? [])].sort()) visit(m, [...trail, n]);
      state.set(n, 'done');
    };
    for (const n of [...graph.keys()].sort()) visit(n, []);
    expect(cycles).toEqual([]);
  });
});
